from datetime import timedelta

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "fakturera.core"
    label = "core"

    def ready(self) -> None:
        from fakturera.core.scheduler import Job, register

        # The rate limiter's counters of windows that have ended (ratelimit.py).
        register(Job("rate limit counters purge", "fakturera.core.ratelimit:purge_expired", every=timedelta(hours=1)))
        # The scheduler's own run rows past their keep time (scheduler.py).
        register(Job("scheduler runs purge", "fakturera.core.scheduler:runs_purge", every=timedelta(hours=1)))

        # Tasks left running by a worker that died are tried again (tasks.py, "Workers that die").
        register(
            Job(
                "tasks of stopped workers",
                "fakturera.core.tasks:tasks_abandoned_retry_job",
                every=timedelta(seconds=30),
            )
        )

        from fakturera.core import tasks

        # A failed attempt of a background task is tried again (core/tasks.py, "Retries").
        tasks.connect()
