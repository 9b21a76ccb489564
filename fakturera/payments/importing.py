"""Importing a bank file: read, find the company, skip what is booked, match, book; all or nothing.

One database transaction per file: a refusal (which may come at the file's end, where its totals
are checked) rolls everything back, so nothing of a refused file is written and no number or
key is taken. The file is read as a stream and booked in chunks, so memory holds one chunk
whatever the file's size. The company comes from the file's account (a bankgiro number or an
IBAN); when the caller names a company (the staff page's company, `--company`) the account must
be that company's. Imports of one company run one at a time (a transaction-level advisory lock
on PostgreSQL), so two uploads of the same file cannot both book it; the unique bank keys are
the backstop.
"""

from __future__ import annotations

import hashlib
import queue
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import islice
from typing import Any

from django.utils.translation import gettext as _

from fakturera.core.collector import collector_paused
from fakturera.core.db import one_at_a_time, retrying_atomic
from fakturera.core.errors import DomainError
from fakturera.invoicing.history import actor_id_of
from fakturera.parties.models import Company
from fakturera.parties.selectors import companies_by_account
from fakturera.payments.booking import NewPayment, book_payments, existing_keys
from fakturera.payments.files import (
    AccountScheme,
    AutogiroReader,
    BankTransaction,
    Direction,
    FileRefused,
    Method,
    open_reader,
)
from fakturera.payments.files.source import Source, open_source
from fakturera.payments.matching import Incoming, Lookups, match_transactions
from fakturera.payments.models import PaymentImport
from fakturera.payments.states import MatchMethod, PaymentMethod, PaymentSource

CHUNK = 5000

METHODS = {
    Method.BANKGIRO: PaymentMethod.BANKGIRO,
    Method.PLUSGIRO: PaymentMethod.PLUSGIRO,
    Method.AUTOGIRO: PaymentMethod.DIRECT_DEBIT,
    Method.TRANSFER: PaymentMethod.TRANSFER,
    Method.SWISH: PaymentMethod.SWISH,
    Method.CARD: PaymentMethod.CARD,
    Method.DIRECT_DEBIT: PaymentMethod.DIRECT_DEBIT,
    Method.UNKNOWN: PaymentMethod.OTHER,
}


class AccountRefused(DomainError):
    """The file's account is no company's, or not the named company's: nothing is imported."""


def file_digest(source: Source) -> tuple[str, int]:
    """SHA-256 and size of the file, read in blocks."""
    digest, size = hashlib.sha256(), 0
    with open_source(source) as fileobj:
        while block := fileobj.read(1 << 20):
            digest.update(block)
            size += len(block)
        fileobj.seek(0)
    return digest.hexdigest(), size


def payments_import(
    *,
    source: Source,
    filename: str = "",
    actor: Any = None,
    company: Company | None = None,
    via: str = PaymentSource.FILE,
) -> PaymentImport:
    """Import a camt.053/054, BgMax or Autogiro report file; FileRefused or AccountRefused refuse
    it whole. Returns the import's record."""
    sha256, size = file_digest(source)
    reader = open_reader(source)
    if isinstance(reader, AutogiroReader):
        from fakturera.payments.autogiro_results import autogiro_report_import

        return autogiro_report_import(
            source=source, filename=filename, actor=actor, company=company, via=via, sha256=sha256, size=size
        )
    earlier = _imported_before(sha256=sha256, company=company)
    if earlier is not None:
        return _import_again(earlier, filename=filename, actor_id=actor_id_of(actor), via=via)
    # Without the collector (core.collector): its full collections walked the objects of every
    # chunk in progress again and again, a quarter of the CPU of a 50,000-line import.
    with collector_paused():
        return _import_bank_file(
            source=source,
            filename=filename,
            actor_id=actor_id_of(actor),
            company=company,
            via=via,
            sha256=sha256,
            size=size,
        )


def _imported_before(*, sha256: str, company: Company | None) -> PaymentImport | None:
    """The first import of a file with the same bytes (SHA-256) into the company (the named one,
    or else the one company the file went into before), or None."""
    found = PaymentImport.objects.filter(sha256=sha256, same_file_as=None)
    if company is not None:
        found = found.filter(company=company)
    earlier = list(found.order_by("pk").select_related("company")[:20])
    if len({record.company_id for record in earlier}) != 1:
        return None  # never imported, or into several companies: the file's account decides
    return earlier[0]


@retrying_atomic
def _import_again(earlier: PaymentImport, *, filename: str, actor_id: int | None, via: str) -> PaymentImport:
    """A file imported before, byte for byte: its every line is where that import left it (booked
    then, or already booked then, or not an incoming payment), and an import is all or nothing,
    so none is read again. The record says so, and points at the first import, whose lines
    (selectors.payment_import_skipped) are this one's lines not booked."""
    return PaymentImport.objects.create(
        company=earlier.company,
        created_by_id=actor_id,
        via=via,
        filename=filename[:255],
        sha256=earlier.sha256,
        size=earlier.size,
        format=earlier.format,
        version=earlier.version,
        message_id=earlier.message_id,
        account=earlier.account,
        is_test=earlier.is_test,
        transaction_count=earlier.transaction_count,
        skipped_count=earlier.booked_count + earlier.skipped_count,
        ignored_count=earlier.ignored_count,
        warnings=earlier.warnings,
        same_file_as=earlier,
    )


_END = object()


@contextmanager
def _read_ahead(reader: Any) -> Iterator[Iterator[list[BankTransaction]]]:
    """The file's transactions in chunks of CHUNK, read by a thread of their own one or two chunks
    ahead: the reading (Python) runs while the booking waits for the database (the driver lets go
    of the interpreter then), so a large file takes about the longer of the two, not their sum.
    At most three chunks are in memory. A refusal of the reader (FileRefused, at any line or at
    the file's end) is raised here, in the importing thread, where it rolls the import back; and
    when the import stops early (its own refusal), the reader is told to stop and waited for."""
    chunks: queue.Queue[Any] = queue.Queue(maxsize=2)
    stop = threading.Event()

    def read() -> None:
        try:
            transactions = iter(reader)
            while not stop.is_set():
                chunk = list(islice(transactions, CHUNK))
                if not chunk:
                    break
                chunks.put(chunk)
            chunks.put(_END)
        except BaseException as error:  # handed over whole, raised by the importer
            chunks.put(error)

    def taken() -> Iterator[list[BankTransaction]]:
        while True:
            item = chunks.get()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item

    thread = threading.Thread(target=read, name="payments-import-reader", daemon=True)
    thread.start()
    try:
        yield taken()
    finally:
        stop.set()
        # Unblock a reader waiting to put a chunk, then wait for it to end.
        while thread.is_alive():
            with suppress(queue.Empty):
                chunks.get(timeout=0.05)
        thread.join()


@dataclass
class _Run:
    company: Company | None
    named: Company | None
    record: PaymentImport | None = None
    accounts: set[str] = field(default_factory=set)
    seen_keys: set[str] = field(default_factory=set)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    lookups: Lookups | None = None
    totals: dict[str, Decimal] = field(default_factory=dict)
    counts: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(
            ("transactions", "booked", "matched", "unmatched", "skipped", "ignored"), 0
        )
    )


@retrying_atomic
def _import_bank_file(
    *, source: Source, filename: str, actor_id: int | None, company: Company | None, via: str, sha256: str, size: int
) -> PaymentImport:
    reader = open_reader(source)
    run = _Run(company=None, named=company)
    with _read_ahead(reader) as chunks:
        for chunk in chunks:
            _book_chunk(run, chunk, actor_id=actor_id, filename=filename, via=via, sha256=sha256, size=size)
    summary = reader.summary
    assert summary is not None
    if run.company is None:
        for account in summary.accounts:
            _company_for(run, account.value, account.scheme)
        if run.company is None:
            raise AccountRefused(_("The file names no account, so it belongs to no company."), code="no_account")
        _start(run, actor_id=actor_id, filename=filename, via=via, sha256=sha256, size=size)
    record = run.record
    assert record is not None
    record.format = str(summary.format)
    record.version = summary.version
    record.message_id = summary.message_id[:140]
    record.is_test = summary.test
    record.account = ", ".join(sorted(run.accounts))[:40]
    record.transaction_count = run.counts["transactions"]
    record.booked_count = run.counts["booked"]
    record.matched_count = run.counts["matched"]
    record.unmatched_count = run.counts["unmatched"]
    record.skipped_count = run.counts["skipped"]
    record.ignored_count = run.counts["ignored"]
    record.totals = {currency: str(amount) for currency, amount in sorted(run.totals.items())}
    record.warnings = list(summary.warnings)
    record.skipped = run.skipped
    record.save()
    return record


def _company_for(run: _Run, account: str, scheme: AccountScheme | None, also: Sequence[Company] = ()) -> None:
    """Find the file's company by its account (`also`: further holders of it, such as the
    companies whose Autogiro collects to the bankgiro), refusing as AccountRefused says."""
    if account in run.accounts:
        return
    if scheme not in (AccountScheme.BANKGIRO, AccountScheme.IBAN):
        raise AccountRefused(
            _("The file's account %(account)s is neither a bankgiro number nor an IBAN; no company can be found by it.")
            % {"account": account},
            code="account_unknown",
        )
    holders = companies_by_account(
        bankgiros=[account] if scheme is AccountScheme.BANKGIRO else [],
        ibans=[account] if scheme is AccountScheme.IBAN else [],
    ).get(account.upper() if scheme is AccountScheme.IBAN else account, [])
    holders = list({holder.pk: holder for holder in [*holders, *also]}.values())
    if run.named is not None:
        if all(holder.pk != run.named.pk for holder in holders):
            if holders:
                message = _("The file is for account %(account)s, which belongs to another company than %(company)s.")
            else:
                message = _("The file is for account %(account)s, which is not an account of %(company)s.")
            raise AccountRefused(
                message % {"account": account, "company": run.named.name}, code="account_other_company"
            )
        chosen = run.named
    elif not holders:
        raise AccountRefused(
            _("The file is for account %(account)s, which belongs to no company here.") % {"account": account},
            code="account_unknown",
        )
    elif len(holders) > 1:
        raise AccountRefused(
            _("Account %(account)s is given by several companies; name the company the file is for.")
            % {"account": account},
            code="account_ambiguous",
        )
    else:
        chosen = holders[0]
    if run.company is not None and run.company.pk != chosen.pk:
        raise AccountRefused(
            _(
                "The file holds the accounts of two companies (%(first)s and %(second)s); "
                "import each company's file on its own."
            )
            % {"first": run.company.name, "second": chosen.name},
            code="account_two_companies",
        )
    run.company = chosen
    run.accounts.add(account)


def _start(run: _Run, *, actor_id: int | None, filename: str, via: str, sha256: str, size: int) -> None:
    assert run.company is not None
    # One import of a company at a time: the second waits, then finds the keys booked.
    one_at_a_time(f"payments-import:{run.company.pk}")
    run.record = PaymentImport.objects.create(
        company=run.company,
        created_by_id=actor_id,
        via=via,
        filename=filename[:255],
        sha256=sha256,
        size=size,
        format="",
    )


def _skip(run: _Run, transaction: BankTransaction, reason: str, **extra: Any) -> None:
    run.skipped.append(
        {
            "position": transaction.position,
            "reason": reason,
            "amount": str(transaction.amount) if transaction.amount is not None else None,
            "currency": transaction.currency,
            "reference": transaction.reference,
            "payer": transaction.payer_name,
            **extra,
        }
    )


def _book_chunk(
    run: _Run, chunk: list[BankTransaction], *, actor_id: int | None, filename: str, via: str, sha256: str, size: int
) -> None:
    for transaction in chunk:
        if transaction.account is not None:
            _company_for(run, transaction.account.value, transaction.account.scheme)
    if run.company is None:
        raise AccountRefused(_("The file names no account, so it belongs to no company."), code="no_account")
    if run.record is None:
        _start(run, actor_id=actor_id, filename=filename, via=via, sha256=sha256, size=size)
    assert run.company is not None
    assert run.record is not None
    run.counts["transactions"] += len(chunk)

    bookable: list[BankTransaction] = []
    for transaction in chunk:
        if transaction.direction is not Direction.CREDIT:
            run.counts["ignored"] += 1
            _skip(run, transaction, "debit")
        elif transaction.reversal:
            run.counts["ignored"] += 1
            _skip(run, transaction, "reversal")
        elif transaction.status != "BOOK":
            run.counts["ignored"] += 1
            _skip(run, transaction, "not_booked", status=transaction.status)
        elif transaction.amount is None:
            run.counts["ignored"] += 1
            _skip(run, transaction, "no_amount", entry_amount=str(transaction.entry_amount))
        elif transaction.amount <= 0:
            run.counts["ignored"] += 1
            _skip(run, transaction, "zero_amount")
        else:
            bookable.append(transaction)

    booked_before = existing_keys(run.company.pk, [key for t in bookable for key in t.dedup_keys])
    fresh: list[BankTransaction] = []
    for transaction in bookable:
        known = next((booked_before[key] for key in transaction.dedup_keys if key in booked_before), None)
        if known is not None or any(key in run.seen_keys for key in transaction.dedup_keys):
            run.counts["skipped"] += 1
            _skip(run, transaction, "already_booked", payment_id=known)
            continue
        run.seen_keys.update(transaction.dedup_keys)
        fresh.append(transaction)
    if not fresh:
        return

    if run.lookups is None:
        run.lookups = Lookups(run.company.pk)
    matches = match_transactions(
        company_id=run.company.pk,
        with_length_digit=run.company.has_ocr_length_digit,
        incoming=[_incoming(t) for t in fresh],
        lookups=run.lookups,
    )
    payments = [
        NewPayment(
            amount=t.amount,  # type: ignore[arg-type]
            currency=t.currency,
            booked_on=t.booking_date or t.value_date,  # type: ignore[arg-type]
            value_on=t.value_date,
            method=METHODS.get(t.method, PaymentMethod.OTHER),
            source=via,
            payer_name=t.payer_name,
            payer_account=t.payer_account,
            payer_org_number=t.payer_org_number,
            reference=t.reference,
            message=t.message,
            position=t.position,
            bank_reference=t.acct_svcr_ref or t.tx_id or t.bank_serial or t.entry_ref,
            match=m.method,
            match_details=m.details,
            customer_id=m.customer_id,
            targets=m.targets,
            keys=t.dedup_keys,
        )
        for t, m in zip(fresh, matches, strict=True)
    ]
    missing_date = next((t for t in fresh if t.booking_date is None and t.value_date is None), None)
    if missing_date is not None:
        raise FileRefused(
            "missing", "A payment has neither a booking date nor a value date", path=missing_date.position
        )
    booked = book_payments(company_id=run.company.pk, payments=payments, actor_id=actor_id, import_id=run.record.pk)
    run.counts["booked"] += len(payments)
    run.counts["matched"] += sum(1 for m in matches if m.method != MatchMethod.NONE)
    run.counts["unmatched"] += len(booked.unmatched_ids)
    for payment in payments:
        run.totals[payment.currency] = run.totals.get(payment.currency, Decimal("0.00")) + payment.amount
    if booked.credit_customer_ids:
        from fakturera.payments.services import credit_apply_automatically

        credit_apply_automatically(company=run.company, customer_ids=booked.credit_customer_ids, actor_id=actor_id)


def _incoming(transaction: BankTransaction) -> Incoming:
    return Incoming(
        amount=transaction.amount,  # type: ignore[arg-type]
        currency=transaction.currency,
        reference=transaction.reference,
        extra_references=[
            (extra.value, extra.amount) for extra in transaction.extra_references if (extra.amount or 0) >= 0
        ],
        message=transaction.message,
        payer_name=transaction.payer_name,
    )


def refusal_message(error: FileRefused) -> str:
    """A refused file's reason in the reader's language, naming the line or element."""
    reasons = {
        "empty": _("The file is empty."),
        "unknown_format": _(
            "This is not a bank file Fakturera reads (camt.053, camt.054, BgMax or an Autogiro report)."
        ),
        "unsupported": _("This kind of file is not read: %(detail)s."),
        "malformed": _("The file is damaged: %(detail)s."),
        "missing": _("Something the file must hold is missing: %(detail)s."),
        "invalid_value": _("A value in the file is not valid: %(detail)s."),
        "encoding": _("The file's characters are not in the encoding the format prescribes: %(detail)s."),
        "totals_mismatch": _("The file's stated totals do not match its payments: %(detail)s."),
        "count_mismatch": _("The file's stated counts do not match its payments: %(detail)s."),
    }
    template = reasons.get(error.code or "", _("The file was refused: %(detail)s."))
    if "%(detail)s" in template:
        return template % {"detail": error.message}
    return template
