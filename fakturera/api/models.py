"""What the API keeps: idempotency records. API keys are a company's credentials and
live in parties (parties.models.ApiKey, parties/keys.py); webhook endpoints and
deliveries are the webhooks app's."""

from __future__ import annotations

from django.db import models

from fakturera.parties.models import Company


class IdempotencyRecord(models.Model):
    """The first successful response to a write sent with an Idempotency-Key.

    Unique per (company, key): a retry finds this row and gets the stored response;
    two requests racing with one key meet at the unique index, and the second waits
    for the first's transaction and then reads its response.
    """

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField(null=True)
    response_body = models.BinaryField(default=b"")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["company", "key"], name="idempotency_key_unique")]
        indexes = [models.Index(fields=["created_at"])]

    def __str__(self) -> str:
        return self.key
