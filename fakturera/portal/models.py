"""The portal's login links (see DESIGN.md); requests for them are counted by core.ratelimit."""

from __future__ import annotations

from django.db import models

from fakturera.parties.models import Company, Customer


class LoginLink(models.Model):
    """A magic link sent to a person: only the SHA-256 of its token is kept, so a copy of
    the table logs no one in. Used once (`used_at` set by a compare-and-set update)."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="portal_login_links")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["expires_at"])]

    def __str__(self) -> str:
        return f"{self.customer_id} until {self.expires_at:%Y-%m-%d %H:%M}"
