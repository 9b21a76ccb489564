"""E-mail: the PDF attached, sent by the company's own SMTP server, one connection per
batch. The Message-ID is the delivery's, the same on every attempt.

SMTP answers 4xx and lost or refused connections are transient (tried again later);
5xx answers are permanent. SMTP takes no idempotency key, so a worker that dies after
handing a message over leaves the delivery uncertain for staff to confirm or resend.
"""

from __future__ import annotations

import base64
import contextlib
import smtplib
import socket
import ssl
import uuid
from dataclasses import dataclass
from email.header import Header
from email.utils import formataddr, formatdate
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings as django_settings

from fakturera.distribution.channels.base import Channel, Job, Outcome, PermanentError, Session, TransientError
from fakturera.distribution.errors import plain_text
from fakturera.distribution.mail import SMTP_TIMEOUT_SECONDS, Text, amount_text, default_text, fill
from fakturera.distribution.models import ChannelSetting, Purpose
from fakturera.distribution.reasons import Reason, reason, text
from fakturera.parties.models import Channel as ChannelCode
from fakturera.parties.models import Company
from fakturera.portal.links import portal_invoice_url

TIMEOUT_SECONDS = SMTP_TIMEOUT_SECONDS
SECURITY = ("starttls", "ssl", "none")


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
        self.company = company
        self.options = setting.options if setting else {}
        self._password = setting.secret if setting else ""
        self.texts = texts
        self.purpose = purpose
        self.problem = smtp_settings_problem(setting)
        self.smtp: smtplib.SMTP | None = None
        # A server that cannot be reached or refuses the login fails the rest of the batch
        # at once, rather than each message waiting for its own timeout.
        self.connect_error: TransientError | PermanentError | None = None
        self.host_name = urlsplit(django_settings.SITE_URL).hostname or "fakturera.invalid"

    def _connect(self) -> smtplib.SMTP:
        host, port = self.options["host"], int(self.options.get("port") or 25)
        security = self.options.get("security", "starttls")
        try:
            if security == "ssl":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    host, port, timeout=TIMEOUT_SECONDS, context=ssl.create_default_context()
                )
            else:
                smtp = smtplib.SMTP(host, port, timeout=TIMEOUT_SECONDS)
                if security == "starttls":
                    smtp.starttls(context=ssl.create_default_context())
            if self.options.get("username"):
                smtp.login(self.options["username"], self._password)
        except smtplib.SMTPAuthenticationError as exc:
            raise PermanentError(reason("smtp_login_refused", code=exc.smtp_code)) from None
        except smtplib.SMTPResponseException as exc:
            raise _answer_error(exc.smtp_code, exc.smtp_error) from None
        except (OSError, smtplib.SMTPException) as exc:
            raise TransientError(reason("smtp_unreachable", host=host, port=port, error=_describe(exc))) from None
        return smtp

    def send(self, jobs: list[Job]) -> list[Outcome]:
        outcomes = []
        for job in jobs:
            try:
                reference = self._send_one(job)
            except (TransientError, PermanentError) as exc:
                outcomes.append(Outcome(job.delivery.pk, error=exc))
            else:
                outcomes.append(Outcome(job.delivery.pk, reference=reference))
        return outcomes

    def _send_one(self, job: Job) -> str:
        if self.problem:
            raise PermanentError(self.problem)
        try:
            message = self.message(job)
        except UnicodeError:
            # An address the message cannot carry (a domain outside ASCII): this one
            # delivery fails with its reason; the rest of the batch goes on.
            raise self._unsendable(job) from None
        if self.connect_error is not None:
            raise self.connect_error
        if self.smtp is None:
            try:
                self.smtp = self._connect()
            except (TransientError, PermanentError) as exc:
                self.connect_error = exc
                raise
        try:
            self.smtp.sendmail(self.options["from_email"], [job.delivery.address["email"]], message.content)
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            raise _answer_error(code, text) from None
        except smtplib.SMTPResponseException as exc:
            self._drop_if_broken(exc.smtp_code)
            raise _answer_error(exc.smtp_code, exc.smtp_error) from None
        except UnicodeError:
            raise self._unsendable(job) from None
        except (OSError, smtplib.SMTPException) as exc:
            # The connection is gone: the next message connects again.
            self._drop()
            raise TransientError(reason("smtp_connection_failed", error=_describe(exc))) from None
        return message.message_id

    @staticmethod
    def _unsendable(job: Job) -> PermanentError:
        return PermanentError(reason("smtp_address_unsendable", to=job.delivery.address["email"]))

    def message(self, job: Job) -> OutgoingMessage:
        delivery, invoice = job.delivery, job.invoice
        purpose = self.purpose or delivery.purpose
        text = self.texts.get((purpose, invoice.language)) or default_text(purpose, invoice.language)
        values = variables(invoice, recipient=delivery.recipient)
        attachment = None
        if job.pdf is not None and purpose != Purpose.PORTAL_NOTICE:
            prefix = "kreditfaktura" if invoice.is_credit_note else "faktura"
            attachment = (f"{prefix}-{invoice.display_number}.pdf", job.pdf)
        return mime_message(
            sender=formataddr(
                (self.options.get("from_name") or self.company.name, self.options["from_email"]), "utf-8"
            ),
            to=formataddr((delivery.recipient, delivery.address["email"]), "utf-8"),
            subject=fill(text.subject, values),
            body=fill(text.body, values),
            message_id=f"<{delivery.idempotency_key}@{self.host_name}>",
            pdf=attachment,
        )

    def _drop_if_broken(self, code: int) -> None:
        if code in (421,):
            self._drop()

    def _drop(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.close()
            finally:
                self.smtp = None

    def close(self) -> None:
        if self.smtp is not None:
            # The messages are sent; a server that hangs up first is no failure.
            with contextlib.suppress(OSError, smtplib.SMTPException):
                self.smtp.quit()
            self._drop()


@dataclass(frozen=True)
class OutgoingMessage:
    message_id: str
    content: bytes


def _header(value: str) -> str:
    # One line whatever the value holds: a name or subject with CR/LF (a customer's name
    # comes from a public form) must not add headers or a body of its own.
    value = " ".join(value.splitlines())
    return value if value.isascii() else Header(value, "utf-8").encode()


def mime_message(
    *, sender: str, to: str, subject: str, body: str, message_id: str, pdf: tuple[str, bytes] | None
) -> OutgoingMessage:
    """The message as bytes, written directly: the standard library's email package spends
    most of a bulk send parsing and folding its own headers (seen in `make bench`). Plain
    MIME (RFC 2045-2049): a text part and the PDF, both base64 in 76-character lines."""
    boundary = f"=_{uuid.uuid4().hex}"
    text = base64.encodebytes(body.encode()).replace(b"\n", b"\r\n")
    headers = (
        f"From: {_header(sender)}\r\nTo: {_header(to)}\r\nSubject: {_header(subject)}\r\n"
        f"Date: {formatdate(localtime=True)}\r\n"
        f"Message-ID: {message_id}\r\nMIME-Version: 1.0\r\n"
    )
    if pdf is None:
        content = (
            headers + 'Content-Type: text/plain; charset="utf-8"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
        ).encode() + text
        return OutgoingMessage(message_id, content)
    filename, data = pdf
    parts = [
        (
            headers + f'Content-Type: multipart/mixed; boundary="{boundary}"\r\n\r\n'
            f'--{boundary}\r\nContent-Type: text/plain; charset="utf-8"\r\n'
            "Content-Transfer-Encoding: base64\r\n\r\n"
        ).encode(),
        text,
        (
            f'--{boundary}\r\nContent-Type: application/pdf; name="{filename}"\r\n'
            f'Content-Disposition: attachment; filename="{filename}"\r\n'
            "Content-Transfer-Encoding: base64\r\n\r\n"
        ).encode(),
        base64.encodebytes(data).replace(b"\n", b"\r\n"),
        f"--{boundary}--\r\n".encode(),
    ]
    return OutgoingMessage(message_id, b"".join(parts))


def variables(invoice: Any, *, recipient: str) -> dict[str, str]:
    return {
        "customer_name": recipient,
        "invoice_number": invoice.display_number,
        "amount": amount_text(invoice.total_amount, invoice.currency, invoice.language),
        "due_date": invoice.due_on.isoformat() if invoice.due_on else "",
        "ocr": invoice.payment_reference,
        "portal_link": portal_invoice_url(invoice),
        "company_name": (invoice.seller or {}).get("name", ""),
    }


def _answer_error(code: int, answer: bytes | str) -> TransientError | PermanentError:
    # The server's words as plain text: a multi-line answer on one line, never markup.
    said = reason("smtp_answer", code=code, text=plain_text(answer, length=300))
    if 400 <= code < 500:
        return TransientError(said, status=code)
    return PermanentError(said, status=code)


def _describe(exc: BaseException) -> Reason:
    if isinstance(exc, socket.timeout | TimeoutError):
        return reason("timed_out")
    return text(str(exc) or type(exc).__name__)
