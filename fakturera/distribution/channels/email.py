"""E-mail: the PDF attached, sent by the company's own SMTP server, one connection per
batch, through core.mail. The Message-ID is the delivery's, the same on every attempt.

SMTP answers 4xx and lost or refused connections are transient (tried again later);
5xx answers are permanent. SMTP takes no idempotency key, so a worker that dies after
handing a message over leaves the delivery uncertain for staff to confirm or resend.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from django.urls import reverse

from fakturera.core import mail
from fakturera.core.urls import absolute_url
from fakturera.distribution.channels.base import Channel, Job, Outcome, PermanentError, Session, TransientError
from fakturera.distribution.errors import plain_text
from fakturera.distribution.mail import Text, amount_text, default_text, fill, smtp_outbox
from fakturera.distribution.models import ChannelSetting, Purpose
from fakturera.distribution.reasons import Reason, reason, text
from fakturera.parties.models import Channel as ChannelCode
from fakturera.parties.models import Company

log = logging.getLogger(__name__)


def smtp_settings_problem(setting: ChannelSetting | None) -> Reason | None:
    options = setting.options if setting else {}
    if not options.get("host"):
        return reason("smtp_without_server")
    if not options.get("from_email"):
        return reason("smtp_without_sender")
    return None


class EmailChannel(Channel):
    code = ChannelCode.EMAIL
    purpose_override: str | None = None

    def problem(self, facts: Any) -> Reason | None:
        if not facts.recipient.email:
            return reason("no_email", name=facts.recipient.name)
        return None

    def settings_problem(self, setting: ChannelSetting) -> str | None:
        problem = smtp_settings_problem(setting)
        return str(problem) if problem else None

    def open(
        self, *, company: Company, settings: dict[str, ChannelSetting], texts: dict[tuple[str, str], Text]
    ) -> Session:
        return SmtpSession(
            company=company, setting=settings.get(ChannelCode.EMAIL), texts=texts, purpose=self.purpose_override
        )


class SmtpSession(Session):
    def __init__(
        self,
        *,
        company: Company,
        setting: ChannelSetting | None,
        texts: dict[tuple[str, str], Text],
        purpose: str | None,
    ):
        self.texts = texts
        self.purpose = purpose
        self.problem = smtp_settings_problem(setting)
        self.outbox = smtp_outbox(setting, company)
        # Opened at the first message, kept for every chunk of the batch until close().
        self.connection: mail.Connection | None = None

    def send(self, jobs: list[Job]) -> Iterator[Outcome]:
        """One message at a time over the batch's connection, each answered before the next."""
        if self.problem:
            for job in jobs:
                yield Outcome(job.delivery.pk, error=PermanentError(self.problem))
            return
        assert self.outbox is not None  # the settings name a server and a sender
        for job in jobs:
            try:
                message = self.message(job)
            except Exception as exc:
                # Stored text no message can carry: this one fails, certainly not sent.
                log.warning("The message of delivery %s could not be made: %s", job.delivery.pk, exc)
                yield Outcome(job.delivery.pk, error=PermanentError(reason("message_failed")))
                continue
            if self.connection is None:
                self.connection = self.outbox.connect()
            try:
                message_id = self.connection.send(message)
            except mail.MailError as exc:
                yield Outcome(job.delivery.pk, error=_transport_error(exc))
            else:
                yield Outcome(job.delivery.pk, reference=message_id)

    def message(self, job: Job) -> mail.Message:
        delivery, invoice = job.delivery, job.invoice
        purpose = self.purpose or delivery.purpose
        text = self.texts.get((purpose, invoice.language)) or default_text(purpose, invoice.language)
        values = variables(invoice, recipient=delivery.recipient)
        attachments = ()
        letter = job.letter
        if letter is not None:
            # A reminder letter: the level's own words where the company wrote them, and what is
            # to be paid now (what is open, the fee, the interest) by the new due date.
            own = letter.texts.get(invoice.language)
            if own is not None:
                text = Text(*own)
            values["amount"] = amount_text(letter.amount, invoice.currency, invoice.language)
            values["due_date"] = letter.due_on.isoformat()
            attachments = (mail.Attachment(letter.filename, letter.pdf, "application/pdf"),)
        elif job.pdf is not None and purpose != Purpose.PORTAL_NOTICE:
            prefix = "kreditfaktura" if invoice.is_credit_note else "faktura"
            attachments = (mail.Attachment(f"{prefix}-{invoice.display_number}.pdf", job.pdf, "application/pdf"),)
        assert self.outbox is not None
        return mail.Message(
            sender=self.outbox.sender,
            to=[(delivery.recipient, delivery.address["email"])],
            subject=fill(text.subject, values),
            body=fill(text.body, values),
            attachments=attachments,
            message_id=mail.message_id(delivery.idempotency_key),
        )

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def _transport_error(error: mail.MailError | None) -> TransientError | PermanentError:
    """The mail module's refusal as a reason (data, worded when shown); the server's and the
    operating system's own words as plain text."""
    assert error is not None
    kind = TransientError if isinstance(error, mail.TemporaryMailError) else PermanentError
    params = dict(error.params)
    if error.code == "smtp_answer":
        params["text"] = plain_text(params.get("text", ""), length=300)
    if error.code in ("private_address", "refused_port"):  # core.net refused the server
        params["service"] = "smtp"
    if "error" in params:
        words = params["error"]
        params["error"] = reason("timed_out") if words is None else text(plain_text(words, length=300))
    said = reason(error.code, **params) if error.code else text(plain_text(error.message, length=300))
    return kind(said, status=error.status)


def variables(invoice: Any, *, recipient: str) -> dict[str, str]:
    return {
        "customer_name": recipient,
        "invoice_number": invoice.display_number,
        "amount": amount_text(invoice.total_amount, invoice.currency, invoice.language),
        "due_date": invoice.due_on.isoformat() if invoice.due_on else "",
        "ocr": invoice.payment_reference,
        # The portal's address by its route name: distribution does not import the portal.
        "portal_link": absolute_url(
            reverse("portal:invoice_detail", kwargs={"company_id": invoice.company_id, "invoice_id": invoice.pk})
        ),
        "company_name": (invoice.seller or {}).get("name", ""),
    }
