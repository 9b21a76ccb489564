"""Core's tables: the rate limiter's counters (ratelimit.py) and the scheduler's runs (scheduler.py)."""

from __future__ import annotations

from django.db import models


class RateCount(models.Model):
    """How many times a bucket was hit in one fixed window. One row per (bucket, window),
    incremented by a single INSERT ... ON CONFLICT DO UPDATE ... RETURNING (ratelimit.hit),
    so every server process shares the count and two hits at once never read the same
    value. Rows of past windows are purged by a scheduled job."""

    bucket = models.CharField(max_length=120)
    window_start = models.BigIntegerField()  # seconds since the epoch, a multiple of the window
    count = models.IntegerField()
    expires_at = models.DateTimeField()  # the window's end: purged after it

    class Meta:
        constraints = [models.UniqueConstraint(fields=["bucket", "window_start"], name="rate_count_bucket_window")]
        indexes = [models.Index(fields=["expires_at"])]

    def __str__(self) -> str:
        return f"{self.bucket} @ {self.window_start}: {self.count}"


class ScheduledRun(models.Model):
    """One due time of one periodic job (core/scheduler.py), across every scheduler of the
    installation: the scheduler that inserts the row runs the job; another one meeting the
    unique key leaves it. `is_ok` is None while it runs, then True or False: only a run that
    ended without an error is done. A failed run is taken again (attempts + 1) after the job's
    backoff, a run whose scheduler died (never finished within SCHEDULER_LEASE_SECONDS) too."""

    job = models.CharField(max_length=100)
    due_at = models.DateTimeField()
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    is_ok = models.BooleanField(null=True)
    attempts = models.PositiveSmallIntegerField(default=1)
    runner = models.CharField(max_length=200)  # host:pid of the scheduler that ran it last
    said = models.TextField(blank=True)
    # What the job counted (a `scheduler.Report`'s figures: reminders queued, ...), for /metrics.
    figures = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "due_at"], name="scheduled_run_job_due")]

    def __str__(self) -> str:
        return f"{self.job} @ {self.due_at:%Y-%m-%d %H:%M}"


class StoredFile(models.Model):
    """An uploaded file (a company's logo) kept in the database by `storage.DatabaseStorage`,
    the default file storage: no web or worker machine keeps a file on its own disk, and a
    backup of the database holds the files too. `name` is the storage name a FileField keeps
    (`logos/3/logo.png`). With an S3-compatible store configured (FAKTURERA_S3_BUCKET) files go
    there instead and this table stays empty."""

    name = models.CharField(max_length=255, unique=True)
    content = models.BinaryField()
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.size} bytes)"
