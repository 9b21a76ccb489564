"""`fakturera serve --role web|tasks|deliver|scheduler|all` (ops/serve.py)."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from fakturera.ops.serve import ROLES, SERVERS, Options, serve


class Command(BaseCommand):
    help = "Run the installation's processes: the web server, task and delivery workers, the scheduler, or all."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--role", choices=ROLES, required=True, help="what this machine (process) runs")
        parser.add_argument(
            "--processes", type=int, default=None, help="worker processes (default FAKTURERA_TASK_WORKERS ...)"
        )
        parser.add_argument("--bind", default=None, help="web: address:port (default FAKTURERA_BIND)")
        parser.add_argument("--server", choices=SERVERS, default="gunicorn", help="web: runserver for `make run`")

    def handle(
        self, *args: Any, role: str, processes: int | None, bind: str | None, server: str, **options: Any
    ) -> None:
        if processes is not None and processes < 1:
            sys.exit("fakturera serve: --processes must be 1 or more.")
        status = serve(Options(role=role, processes=processes, bind=bind, server=server))
        if status:
            sys.exit(status)
