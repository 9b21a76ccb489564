"""Core's one table: the rate limiter's counters (ratelimit.py)."""

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
