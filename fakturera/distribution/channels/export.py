"""Export: the invoice handed to the company's accounting system, exclusive (an export
company uses no other channel, checked when the settings are saved).

Two ways: the event `invoice.exported` (distribution/events.py), which the webhooks
app passes on as a webhook (signed, retried by its outbox) carrying the invoice's
JSON and its UBL, recorded in the same transaction as the delivery's outcome; or
the UBL and PDF written as files to a directory, where writing again overwrites the
same names, so a repeat is harmless.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from django.conf import settings as django_settings
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
        if mode not in (WEBHOOK, DIRECTORY):
            return _("Unknown export method.")
        if mode == DIRECTORY and subfolder_parts(setting.options.get("directory", "")) is None:
            return str(reason("export_folder_refused", folder=setting.options.get("directory", "")))
        return None

    def open(self, *, company: Company, settings: dict[str, ChannelSetting], **kwargs: Any) -> Session:
        setting = settings.get(ChannelCode.EXPORT)
        options = setting.options if setting else {}
        if options.get("mode", WEBHOOK) == DIRECTORY:
            return DirectorySession(company, options.get("directory", ""))
        return WebhookSession(company)


# A subfolder: relative, at most three levels of letters, digits, spaces, dots, dashes and
# underscores, none of them "." or "..". Everything else (an absolute path, "..", a drive, a
# home directory, a backslash) is refused when the settings are saved and again when sending.
SEGMENT = re.compile(r"[\w .-]{1,64}")
MAX_DEPTH = 3


def subfolder_parts(folder: str) -> tuple[str, ...] | None:
    """The parts of a company's export subfolder, or None when it is not one ("" is the
    company's folder itself)."""
    folder = (folder or "").strip()
    if folder.startswith(("/", "\\")):
        return None
    folder = folder.rstrip("/")
    if not folder:
        return ()
    parts = tuple(part.strip() for part in folder.split("/"))
    if len(parts) > MAX_DEPTH or any(
        part in ("", ".", "..") or not SEGMENT.fullmatch(part) or part.startswith("~") for part in parts
    ):
        return None
    return parts


def export_folder(company_id: int, folder: str) -> Path | None:
    """The folder a company's export writes to: the operator's root (settings.EXPORT_ROOT), the
    company's own folder in it, then the subfolder the company named; None when the name would
    lead anywhere else (checked on the resolved path too, so a link cannot lead out)."""
    parts = subfolder_parts(folder)
    if parts is None:
        return None
    own = Path(django_settings.EXPORT_ROOT).resolve() / str(company_id)
    target = own.joinpath(*parts)
    if not target.resolve().is_relative_to(own):
        return None
    return target


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

    def __init__(self, company: Company, folder: str):
        self.folder = folder
        self.directory = export_folder(company.pk, folder)

    def send(self, jobs: list[Job]) -> list[Outcome]:
        if self.directory is None:
            # Saved before the rule, or written around it: nothing goes outside the company's folder.
            error = PermanentError(reason("export_folder_refused", folder=self.folder))
            return [Outcome(job.delivery.pk, error=error) for job in jobs]
        outcomes = []
        for job in jobs:
            name = f"{job.invoice.company_id}-{job.invoice.display_number}"
            try:
                self.directory.mkdir(parents=True, exist_ok=True)
                (self.directory / f"{name}.xml").write_bytes(job.ubl or b"")
                if job.pdf is not None:
                    (self.directory / f"{name}.pdf").write_bytes(job.pdf)
            except OSError as exc:
                # The operating system's words without the server's paths.
                said = reason("export_write_failed", error=exc.strerror or type(exc).__name__)
                kind = PermanentError if isinstance(exc, PermissionError) else TransientError
                outcomes.append(Outcome(job.delivery.pk, error=kind(said)))
            else:
                # The file as the company knows it: its subfolder, not the server's layout.
                shown = "/".join((*subfolder_parts(self.folder), f"{name}.xml"))
                outcomes.append(Outcome(job.delivery.pk, reference=reason("export_file", path=shown)))
        return outcomes
