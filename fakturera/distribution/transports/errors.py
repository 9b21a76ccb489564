"""How a transport says a delivery failed, and what it got back when it succeeded.

The distribution worker retries a TransientError with backoff and fails the
delivery at once on a PermanentError. `message` goes into the invoice history, so
it never carries a secret (API keys, passwords).
"""

from __future__ import annotations

from dataclasses import dataclass


class TransportError(Exception):
    """A delivery failed; `message` is for the invoice history (no secrets)."""

    def __init__(self, message: str, *, status: int | None = None):
        super().__init__(message)
        self.message = message
        self.status = status

    def __str__(self) -> str:
        return self.message


class TransientError(TransportError):
    """Timeouts, refused connections, 429, 5xx, SMTP 4xx: worth trying again later."""


class PermanentError(TransportError):
    """Everything else (4xx, invalid document, unknown receiver): trying again gives the same answer."""


@dataclass(frozen=True)
class Receipt:
    reference: str  # the service's id for what it accepted (shown in history)
    detail: str = ""
