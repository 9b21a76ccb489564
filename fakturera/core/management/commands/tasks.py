"""`fakturera tasks failed [--company ID]` lists the background tasks that failed for good
(every attempt spent; core/tasks.py, "Retries"), newest first, with their error;
`fakturera tasks rerun ID` runs one of them again, as a new chain of attempts."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from fakturera.core.tasks import error_line, task_rerun, tasks_failed


class Command(BaseCommand):
    help = "Background tasks that failed for good: list them (failed), or run one again (rerun ID)."

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="command", required=True)
        failed = commands.add_parser("failed", help="list the tasks that failed for good")
        failed.add_argument("--company", type=int, help="only those of this company (its id)")
        rerun = commands.add_parser("rerun", help="run a task that failed for good again")
        rerun.add_argument("id", help="the task's id, as `tasks failed` lists it")

    def handle(self, *args, command: str, **options) -> None:
        if command == "failed":
            rows = list(tasks_failed(company_id=options.get("company")))
            for row in rows:
                attempts = row.args_kwargs.get("attempt", 1)
                company = row.args_kwargs.get("company_id") or "-"
                self.stdout.write(
                    f"{row.pk}  {row.finished_at:%Y-%m-%d %H:%M:%S}  company {company}  {row.task_path}  "
                    f"attempts {attempts}  {error_line(row)}"
                )
            self.stdout.write(f"{len(rows)} failed for good")
            return
        following = task_rerun(task_id=options["id"])
        if following is None:
            raise CommandError(f"No task {options['id']} has failed for good (or it was run again already).")
        self.stdout.write(f"Run again as {following.pk}")
