"""Export: the invoice handed to the company's accounting system, exclusive (an export
company uses no other channel, checked when the settings are saved).

Two ways: the event `invoice.exported` (distribution/events.py), which the webhooks
app passes on as a webhook (signed, retried by its outbox) carrying the invoice's
JSON and its UBL, recorded in the same transaction as the delivery's outcome; or
the UBL and PDF written as files to a directory, where writing again overwrites the
same names, so a repeat is harmless.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from fakturera.core.events import publish
from fakturera.distribution.channels.base import Channel, Job, Outcome, PermanentError, Session, TransientError
from fakturera.distribution.events import INVOICE_EXPORTED
from fakturera.distribution.models import ChannelSetting
from fakturera.distribution.reasons import reason
from fakturera.parties.models import Channel as ChannelCode
from fakturera.parties.models import Company

WEBHOOK, DIRECTORY = "webhook", "directory"


class ExportChannel(Channel):
    code = ChannelCode.EXPORT
    needs_ubl = True
    is_local = True
    chunk_size = 200

    def problem(self, facts: Any) -> str | None:
        return None

    def settings_problem(self, setting: ChannelSetting) -> str | None:
        mode = setting.options.get("mode", WEBHOOK)
        if mode == DIRECTORY and not setting.options.get("directory"):
            return _("Choose the directory the export writes to.")
        if mode not in (WEBHOOK, DIRECTORY):
            return _("Unknown export method.")
        return None

    def open(self, *, company: Company, settings: dict[str, ChannelSetting], **kwargs: Any) -> Session:
        setting = settings.get(ChannelCode.EXPORT)
        options = setting.options if setting else {}
        if options.get("mode", WEBHOOK) == DIRECTORY:
            return DirectorySession(Path(options.get("directory", "")))
        return WebhookSession(company)


class WebhookSession(Session):
    def __init__(self, company: Company):
        self.company = company

    def send(self, jobs: list[Job]) -> list[Outcome]:
        # One event for the chunk; whoever passes an invoice on says so in its receipts.
        receipts: list[list[dict]] = [[] for _job in jobs]
        publish(
            INVOICE_EXPORTED,
            company_id=self.company.pk,
            invoices=[job.invoice for job in jobs],
            ubl=[job.ubl or b"" for job in jobs],
            receipts=receipts,
        )
        outcomes = []
        for job, taken in zip(jobs, receipts, strict=True):
            if taken:
                outcomes.append(Outcome(job.delivery.pk, reference=reason(taken[0]["kind"], id=taken[0]["id"])))
            else:
                outcomes.append(Outcome(job.delivery.pk, error=PermanentError(reason("no_webhook_endpoint"))))
        return outcomes


class DirectorySession(Session):
    needs_pdf = True  # the PDF is written beside the UBL

    def __init__(self, directory: Path):
        self.directory = directory

    def send(self, jobs: list[Job]) -> list[Outcome]:
        outcomes = []
        for job in jobs:
            name = f"{job.invoice.company_id}-{job.invoice.display_number}"
            try:
                self.directory.mkdir(parents=True, exist_ok=True)
                (self.directory / f"{name}.xml").write_bytes(job.ubl or b"")
                if job.pdf is not None:
                    (self.directory / f"{name}.pdf").write_bytes(job.pdf)
            except PermissionError as exc:
                outcomes.append(Outcome(job.delivery.pk, error=PermanentError(str(exc))))
            except OSError as exc:
                outcomes.append(Outcome(job.delivery.pk, error=TransientError(str(exc))))
            else:
                outcomes.append(Outcome(job.delivery.pk, reference=str(self.directory / f"{name}.xml")))
        return outcomes
