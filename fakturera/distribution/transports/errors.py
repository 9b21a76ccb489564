"""How a transport says a delivery failed, and what it got back when it succeeded.

The distribution worker retries a TransientError with backoff and fails the
delivery at once on a PermanentError. Its `reason` goes into the invoice history as
data (worded in the reader's language), so it never carries a secret (API keys,
passwords).
"""

from __future__ import annotations

from dataclasses import dataclass

from fakturera.distribution.reasons import Reason, text


class TransportError(Exception):
    """A delivery failed: `reason` for the invoice history (no secrets); `message` is it
    worded in the active language."""

    def __init__(self, reason: Reason | str, *, status: int | None = None):
        self.reason = reason if isinstance(reason, Reason) else text(reason)
        super().__init__(self.reason)
        self.status = status

    @property
    def message(self) -> str:
        return str(self.reason)

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
