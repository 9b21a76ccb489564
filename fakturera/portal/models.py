"""The portal's login links and the attempts counted for rate limiting (see DESIGN.md)."""

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


class LoginAttempt(models.Model):
    """One request for a link, by IP address and by e-mail (hashed: the table is not a list
    of addresses). Counted over a window; rows older than the window are removed."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    email_hash = models.CharField(max_length=64)
    at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["ip_address", "at"]),
            models.Index(fields=["email_hash", "at"]),
            models.Index(fields=["at"]),
        ]

    def __str__(self) -> str:
        return f"{self.ip_address} {self.at:%Y-%m-%d %H:%M}"
