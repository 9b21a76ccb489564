"""Print: the invoices join their send's print run, one merged PDF (in number order)
that staff download from the send's page for the company's own printer."""

from __future__ import annotations

from typing import Any

from fakturera.distribution.channels.base import Channel, Job, Outcome, Session
from fakturera.parties.models import Channel as ChannelCode


class PrintChannel(Channel):
    code = ChannelCode.PRINT
    # Nothing leaves the system: the PDF is already stored, the run is built on download.
    needs_pdf = False
    is_local = True
    chunk_size = 1000

    def problem(self, facts: Any) -> str | None:
        return None

    def open(self, **kwargs: Any) -> Session:
        return PrintSession()


class PrintSession(Session):
    def send(self, jobs: list[Job]) -> list[Outcome]:
        return [Outcome(job.delivery.pk, reference="") for job in jobs]
