"""The common interface of the channels.

A channel says whether an invoice can go its way (`problem`, pure: routing calls it
for the decision table) and delivers many invoices through a session opened once per
batch (one SMTP connection for a whole batch). Each job comes back as an Outcome:
the service's reference, or a TransportError whose kind decides between a retry with
backoff (TransientError) and failing now (PermanentError).

A session of a remote channel streams: `send` is a generator that takes up a job only
when the worker asks for its outcome, and yields one Outcome per job in the jobs' order.
The worker marks each job handed over before asking and records each acceptance before
the next job goes, so a worker that dies leaves at most the one message in flight
uncertain. Local channels (`is_local`) may answer the whole chunk at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from fakturera.distribution.reasons import Reason
from fakturera.distribution.transports.errors import PermanentError, Receipt, TransientError, TransportError

if TYPE_CHECKING:
    from fakturera.core.reminder_letters import Letter
    from fakturera.distribution.mail import Text
    from fakturera.distribution.models import ChannelSetting, Delivery
    from fakturera.distribution.routing import Facts
    from fakturera.invoicing.models import Invoice
    from fakturera.parties.models import Company

__all__ = [
    "Channel", "Job", "Outcome", "PermanentError", "Receipt", "ServiceSession", "Session", "TransientError",
    "TransportError",
]  # fmt: skip


@dataclass
class Job:
    """One delivery with what its channel needs, loaded in bulk by the worker."""

    delivery: Delivery
    invoice: Invoice
    pdf: bytes | None = None
    ubl: bytes | None = None
    # A reminder's own letter (core.reminder_letters), when collections made one: its PDF is
    # `pdf`, and the e-mail names its amount and new due date.
    letter: Letter | None = None


@dataclass(frozen=True)
class Outcome:
    delivery_id: int
    # The service's id for what it accepted; a Reason when it is our own words ("payment order").
    reference: str | Reason = ""
    error: TransportError | None = None

    @property
    def is_success(self) -> bool:
        return self.error is None


class Session:
    """Delivers jobs of one company through one channel; `close` always runs."""

    # True when this session needs the PDF although its channel in general does not.
    needs_pdf: bool | None = None

    def send(self, jobs: list[Job]) -> Iterator[Outcome] | list[Outcome]:
        """One Outcome per job, in order: a generator for a remote channel (one job at a time)."""
        raise NotImplementedError

    def close(self) -> None:
        return None


class ServiceSession(Session):
    """An HTTP service that takes one request per job (letter, Peppol): its address and API
    key from the channel's settings; each job's outcome is its receipt or its error."""

    def __init__(self, setting: ChannelSetting | None) -> None:
        self.base_url = setting.options.get("base_url", "") if setting else ""
        self._api_key = setting.secret if setting else ""

    def deliver(self, job: Job) -> Receipt:
        raise NotImplementedError

    def send(self, jobs: list[Job]) -> Iterator[Outcome]:
        for job in jobs:
            try:
                receipt = self.deliver(job)
            except TransportError as exc:
                yield Outcome(job.delivery.pk, error=exc)
            else:
                yield Outcome(job.delivery.pk, reference=receipt.reference)


class Channel:
    code: ClassVar[str]
    needs_pdf: ClassVar[bool] = True
    needs_ubl: ClassVar[bool] = False
    # The service recognises a repeated idempotency key: a delivery whose worker died
    # after handing it over is retried with the same key instead of becoming uncertain.
    takes_idempotency_key: ClassVar[bool] = False
    # Delivered by writes to our own database (webhook outbox, payment orders, the print
    # run): done in the transaction that records the outcome, so never uncertain.
    is_local: ClassVar[bool] = False
    # Jobs handed over at once: what a dead worker can leave uncertain.
    chunk_size: ClassVar[int] = 50

    def problem(self, facts: Facts) -> Reason | None:
        """Why this invoice cannot go this way, or None. Pure: no database, no network."""
        raise NotImplementedError

    def settings_problem(self, setting: ChannelSetting) -> str | None:
        """Why the company's settings of this channel do not work yet (missing host...)."""
        return None

    def open(
        self, *, company: Company, settings: dict[str, ChannelSetting], texts: dict[tuple[str, str], Text]
    ) -> Session:
        """A session for one company's batch: `settings` are all its channel settings (the
        portal sends by the e-mail channel's server), `texts` its e-mail templates."""
        raise NotImplementedError
