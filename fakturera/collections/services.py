"""Every write of collections: policies, settings, a customer's terms, the rate table, pauses
and the one function that moves a reminder. Each checks everything first and reports all it
refuses at once (core.errors.ValidationFailed); nothing is written when anything is refused."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from fakturera.collections import history
from fakturera.collections.law import HALF_YEARLY, LAWS, RateKind, policy_problems
from fakturera.collections.models import (
    CollectionSettings,
    CustomerCollectionTerms,
    Reminder,
    ReminderLevel,
    ReminderPause,
    ReminderPolicy,
    StatutoryRate,
)
from fakturera.collections.rules import LANGUAGES, MAX_DAYS, MAX_LEVELS, TEXT_FIELDS, Level, default_levels, law_terms
from fakturera.collections.selectors import collection_rate_on
from fakturera.collections.states import (
    TRANSITIONS,
    DaysFrom,
    InterestInvoiceMode,
    LastLevelAction,
    PauseReason,
    RateKindChoice,
    ReminderState,
    TaskMode,
)
from fakturera.core.bulk import any_of, bulk_update
from fakturera.core.errors import DomainError, ErrorCollector, PermissionDenied, StateConflict, ValidationFailed
from fakturera.core.text import text_errors
from fakturera.distribution.mail import template_problems, unknown_variables, variables_text
from fakturera.invoicing.history import Entry, history_add_many
from fakturera.invoicing.models import Invoice
from fakturera.parties.models import Channel, Company, Customer, CustomerKind
from fakturera.payments.selectors import open_receivables

MAX_NEW_DUE_DAYS = 90


def _decimal(value: Any, *, field: str, what: str, errors: ErrorCollector) -> Decimal | None:
    """A typed amount with at most two decimals, or None (blank); refusals into `errors`."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        amount = Decimal(str(value).strip().replace(",", ".").replace(" ", ""))
    except InvalidOperation:
        errors.add(field, _("%(what)s must be a number.") % {"what": what})
        return None
    if not amount.is_finite():
        errors.add(field, _("%(what)s must be a number.") % {"what": what})
        return None
    if amount < 0:
        errors.add(field, _("%(what)s cannot be negative.") % {"what": what})
        return None
    if amount != amount.quantize(Decimal("0.01")):
        errors.add(field, _("%(what)s has at most two decimals.") % {"what": what})
        return None
    return amount


def _whole(value: Any, *, field: str, what: str, least: int, most: int, errors: ErrorCollector) -> int | None:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        errors.add(field, _("%(what)s must be a whole number.") % {"what": what})
        return None
    if not least <= number <= most:
        errors.add(
            field,
            _("%(what)s must be between %(least)s and %(most)s.") % {"what": what, "least": least, "most": most},
        )
        return None
    return number


# --- policies -----------------------------------------------------------------------------------


def _texts(raw: Any, *, prefix: str, errors: ErrorCollector) -> dict[str, dict[str, str]]:
    """A level's texts per language, each field checked as the invoice e-mails are: unknown
    variables refused with their name (distribution.mail), control characters refused."""
    texts: dict[str, dict[str, str]] = {}
    if not raw:
        return texts
    if not isinstance(raw, Mapping):
        errors.add(f"{prefix}texts", _("The texts are given per language."))
        return texts
    for language, fields in raw.items():
        if language not in LANGUAGES:
            errors.add(f"{prefix}texts", _("Unknown language %(language)s.") % {"language": language})
            continue
        if not isinstance(fields, Mapping) or set(fields) - set(TEXT_FIELDS):
            errors.add(f"{prefix}texts-{language}", _("A text has a subject, a body and a letter text."))
            continue
        values = {name: str(fields.get(name) or "") for name in TEXT_FIELDS}
        if not any(value.strip() for value in values.values()):
            continue
        field_prefix = f"{prefix}texts-{language}-"
        for field, messages in text_errors(values, multiline={"body", "letter"}, prefix=field_prefix).items():
            for message in messages:
                errors.add(field, message)
        for field, messages in template_problems(subject=values["subject"], body=values["body"]).items():
            for message in messages:
                errors.add(field_prefix + field, message)
        for written in unknown_variables(values["letter"]):
            errors.add(
                field_prefix + "letter",
                _("Unknown variable %(variable)s: the variables you can use are %(variables)s.")
                % {"variable": written, "variables": variables_text()},
            )
        if values["body"].strip() and not values["subject"].strip():
            errors.add(field_prefix + "subject", _("An e-mail text needs a subject."))
        texts[language] = {name: value.strip() if name == "subject" else value for name, value in values.items()}
    return texts


def _level(raw: Mapping[str, Any], *, index: int, errors: ErrorCollector) -> Level | None:
    prefix = f"levels-{index}-"
    before = sum(len(messages) for messages in errors.errors.values())
    number = index + 1
    days = _whole(raw.get("days"), field=prefix + "days", what=_("The days"), least=1, most=MAX_DAYS, errors=errors)
    days_from = raw.get("days_from") or DaysFrom.DUE_DATE
    if days_from not in DaysFrom.values:
        errors.add(prefix + "days_from", _("Count the days from the due date or from the previous reminder."))
    elif days_from == DaysFrom.PREVIOUS and number == 1:
        errors.add(prefix + "days_from", _("The first reminder counts its days from the due date."))
    channel = raw.get("channel") or ""
    if channel and channel not in Channel.values:
        errors.add(prefix + "channel", _("Unknown channel %(channel)s.") % {"channel": channel})
    fee = _decimal(raw.get("fee_amount"), field=prefix + "fee_amount", what=_("The fee"), errors=errors)
    new_due_days = _whole(
        raw.get("new_due_days", 10),
        field=prefix + "new_due_days",
        what=_("The days to pay"),
        least=0,
        most=MAX_NEW_DUE_DAYS,
        errors=errors,
    )
    task_mode = raw.get("task_mode") or ""
    if task_mode not in TaskMode.values:
        errors.add(prefix + "task_mode", _("Unknown task choice %(choice)s.") % {"choice": task_mode})
    elif task_mode == TaskMode.INSTEAD and fee:
        errors.add(prefix + "fee_amount", _("A level that sends no reminder (a staff task instead) charges no fee."))
    texts = _texts(raw.get("texts"), prefix=prefix, errors=errors)
    if sum(len(messages) for messages in errors.errors.values()) != before or days is None or new_due_days is None:
        return None
    return Level(
        number=number,
        days=days,
        days_from=days_from,
        channel=channel,
        fee_amount=fee or None,
        is_claiming_interest=bool(raw.get("is_claiming_interest", True)),
        new_due_days=new_due_days,
        task_mode=task_mode,
        texts=texts,
    )


def policy_check(
    *,
    company: Company,
    customer_kind: str,
    levels: Sequence[Mapping[str, Any]],
    minimum_amount: Any = "0",
    last_level_action: str = LastLevelAction.STOP,
    today: dt.date | None = None,
) -> tuple[list[Level], Decimal]:
    """What policy_save would save, checked and writing nothing: the levels and the minimum, or
    ValidationFailed with every reason at once (a field, a variable unknown to the e-mails, the
    law of the company's country: law.policy_problems). The editor's preview asks it before
    anything is saved."""
    errors = ErrorCollector()
    if customer_kind not in CustomerKind.values:
        errors.add("customer_kind", _("Choose a person or an organisation."))
    minimum = _decimal(minimum_amount, field="minimum_amount", what=_("The smallest amount"), errors=errors)
    if last_level_action not in LastLevelAction.values:
        errors.add("last_level_action", _("Choose what follows the last level."))
    if not levels:
        errors.add("levels", _("A policy has at least one level."))
    elif len(levels) > MAX_LEVELS:
        errors.add("levels", _("A policy has at most %(count)s levels.") % {"count": MAX_LEVELS})
    cleaned = [_level(raw, index=index, errors=errors) for index, raw in enumerate(levels[:MAX_LEVELS])]
    if levels and all(level is not None for level in cleaned) and company.country in LAWS:
        on = today or timezone.localdate()
        for field, messages in policy_problems(
            country=company.country,
            customer_kind=customer_kind,
            levels=law_terms([level for level in cleaned if level is not None]),
            collection_rate=collection_rate_on(country=company.country, on=on),
        ).items():
            for message in messages:
                errors.add(field, message)
    errors.raise_if_any()
    return [level for level in cleaned if level is not None], minimum or Decimal("0.00")


@transaction.atomic
def policy_save(
    *,
    company: Company,
    actor: Any,
    customer_kind: str,
    levels: Sequence[Mapping[str, Any]],
    minimum_amount: Any = "0",
    last_level_action: str = LastLevelAction.STOP,
    today: dt.date | None = None,
) -> ReminderPolicy:
    """Save a company's reminder policy for one kind of customer: its levels in order (level 1
    first), each a mapping of ReminderLevel's fields. Refused, with every reason at once, when
    a field is invalid or a fee or its timing breaks the law of the company's country
    (policy_check)."""
    cleaned, minimum = policy_check(
        company=company,
        customer_kind=customer_kind,
        levels=levels,
        minimum_amount=minimum_amount,
        last_level_action=last_level_action,
        today=today,
    )

    policy, _created = ReminderPolicy.objects.update_or_create(
        company=company,
        customer_kind=customer_kind,
        defaults={
            "minimum_amount": minimum,
            "last_level_action": last_level_action,
            "updated_by": actor if getattr(actor, "pk", None) else None,
        },
    )
    ReminderLevel.objects.filter(policy=policy).delete()
    ReminderLevel.objects.bulk_create(_level_rows(policy, cleaned))
    return policy


def _level_rows(policy: ReminderPolicy, levels: Iterable[Level]) -> list[ReminderLevel]:
    return [
        ReminderLevel(
            policy=policy,
            number=level.number,
            days=level.days,
            days_from=level.days_from,
            channel=level.channel,
            fee_amount=level.fee_amount,
            is_claiming_interest=level.is_claiming_interest,
            new_due_days=level.new_due_days,
            task_mode=level.task_mode,
            texts=level.texts,
        )
        for level in levels
    ]


def policies_create_default(*, company: Company) -> None:
    """The built-in policy (rules.default_levels) saved for each kind of customer the company
    has none for: company.created, and the migration for companies made before."""
    if company.country not in LAWS:
        return
    existing = set(ReminderPolicy.objects.filter(company=company).values_list("customer_kind", flat=True))
    for kind in CustomerKind.values:
        if kind in existing:
            continue
        policy = ReminderPolicy.objects.create(company=company, customer_kind=kind)
        ReminderLevel.objects.bulk_create(_level_rows(policy, default_levels(company.country)))


# --- settings and a customer's terms --------------------------------------------------------


@transaction.atomic
def collection_settings_save(
    *,
    company: Company,
    is_reminder_fee_agreed: bool,
    is_claiming_late_compensation: bool,
    bank_import_stale_days: Any,
    interest_invoice_mode: str,
    interest_invoice_minimum_amount: Any,
    is_reminding_automatically: bool | None = None,
) -> CollectionSettings:
    errors = ErrorCollector()
    stale = _whole(
        bank_import_stale_days,
        field="bank_import_stale_days",
        what=_("The days"),
        least=1,
        most=60,
        errors=errors,
    )
    if interest_invoice_mode not in InterestInvoiceMode.values:
        errors.add("interest_invoice_mode", _("Choose how interest invoices are made."))
    minimum = _decimal(
        interest_invoice_minimum_amount,
        field="interest_invoice_minimum_amount",
        what=_("The smallest interest invoiced"),
        errors=errors,
    )
    if (
        is_claiming_late_compensation
        and LAWS.get(company.country)
        and not LAWS[company.country].late_compensation_amount
    ):
        errors.add(
            "is_claiming_late_compensation",
            _("The law of the company's country has no late-payment compensation in place of reminder fees."),
        )
    errors.raise_if_any()
    found, _created = CollectionSettings.objects.update_or_create(
        company=company,
        defaults={
            "is_reminder_fee_agreed": bool(is_reminder_fee_agreed),
            "is_claiming_late_compensation": bool(is_claiming_late_compensation),
            "bank_import_stale_days": stale,
            "interest_invoice_mode": interest_invoice_mode,
            "interest_invoice_minimum_amount": minimum or Decimal("0.00"),
            **(
                {"is_reminding_automatically": bool(is_reminding_automatically)}
                if is_reminding_automatically is not None
                else {}
            ),
        },
    )
    return found


def customer_terms_save(*, company: Company, customer_id: int, is_reminder_fee_agreed: bool | None) -> None:
    """A customer's own reminder-fee agreement (None: the company's terms)."""
    if not Customer.objects.filter(company=company, pk=customer_id).exists():
        raise DomainError(_("No such customer."), field="customer", code="not_found")
    CustomerCollectionTerms.objects.update_or_create(
        customer_id=customer_id, defaults={"company": company, "is_reminder_fee_agreed": is_reminder_fee_agreed}
    )


# --- the rate table ---------------------------------------------------------------------------


RATE_BOUNDS = {
    RateKind.REFERENCE: (Decimal("-5"), Decimal("30")),
    RateKind.LATE_INTEREST: (Decimal("0"), Decimal("40")),
    RateKind.COLLECTION_RATE: (Decimal("1"), Decimal("100000")),
}


@transaction.atomic
def rate_save(
    *,
    actor: Any,
    country: str,
    kind: str,
    valid_from: Any,
    value: Any,
    source: str,
    rate_id: int | None = None,
) -> StatutoryRate:
    """Add a published rate, or correct one (`rate_id`). The table is the installation's, not a
    company's (one law for every company of a country): only a superuser may change it."""
    if not getattr(actor, "is_superuser", False):
        raise PermissionDenied(_("Only the installation's administrator may change the rate table."))
    errors = ErrorCollector()
    if country not in LAWS:
        errors.add("country", _("Choose a Nordic country."))
    if kind not in RateKindChoice.values:
        errors.add("kind", _("Choose the kind of rate."))
    on: dt.date | None = None
    try:
        on = valid_from if isinstance(valid_from, dt.date) else dt.date.fromisoformat(str(valid_from).strip())
    except ValueError:
        errors.add("valid_from", _("Enter the date as YYYY-MM-DD."))
    # Reference and late-interest rates are fixed per calendar half-year (räntelagen 9 §,
    # renteloven § 5, korkolaki 12 §, the half-yearly Norwegian forskrift).
    if on is not None and kind in HALF_YEARLY and (on.day != 1 or on.month not in (1, 7)):
        errors.add("valid_from", _("This rate is fixed per half-year: it applies from 1 January or 1 July."))
    amount: Decimal | None = None
    try:
        amount = Decimal(str(value).strip().replace(",", "."))
        if not amount.is_finite():
            raise InvalidOperation
    except InvalidOperation:
        errors.add("value", _("The value must be a number."))
        amount = None
    if amount is not None and kind in RATE_BOUNDS:
        least, most = RATE_BOUNDS[kind]
        if not least <= amount <= most or amount != amount.quantize(Decimal("0.0001")):
            errors.add(
                "value",
                _("%(value)s is not a plausible value (between %(least)s and %(most)s, at most four decimals).")
                % {"value": value, "least": least, "most": most},
            )
    source = (source or "").strip()
    if not source:
        errors.add("source", _("Name where the rate was published."))
    for field, messages in text_errors({"source": source}).items():
        for message in messages:
            errors.add(field, message)
    errors.raise_if_any()
    row = StatutoryRate() if rate_id is None else StatutoryRate.objects.select_for_update().filter(pk=rate_id).first()
    if row is None:
        raise DomainError(_("No such rate."), code="not_found")
    row.country, row.kind, row.valid_from, row.value, row.source = country, kind, on, amount, source
    row.updated_by = actor
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:
        raise ValidationFailed(
            {"valid_from": [_("The table already has a rate of this kind from this date; correct that one.")]}
        ) from None
    return row


# --- pauses ---------------------------------------------------------------------------------------


@transaction.atomic
def pause_create(
    *,
    company: Company,
    actor: Any,
    reason: str,
    starts_on: dt.date,
    ends_on: dt.date | None = None,
    note: str = "",
    invoice_id: int | None = None,
    customer_id: int | None = None,
) -> ReminderPause:
    """Stop reminders of one invoice, or of all of one customer's invoices, for a while. The
    invoices concerned (the customer's open ones) get a history entry with the reason."""
    errors = ErrorCollector()
    if (invoice_id is None) == (customer_id is None):
        errors.add("__all__", _("Pause either an invoice or a customer."))
    elif invoice_id is not None:
        found = Invoice.objects.filter(company=company, pk=invoice_id).values_list("customer_id", flat=True).first()
        if found is None:
            errors.add("invoice", _("No such invoice."))
    elif not Customer.objects.filter(company=company, pk=customer_id).exists():
        errors.add("customer", _("No such customer."))
    if reason not in PauseReason.values:
        errors.add("reason", _("Choose a reason."))
    if ends_on is not None and ends_on < starts_on:
        errors.add("ends_on", _("The pause cannot end before it starts."))
    for field, messages in text_errors({"note": note}).items():
        for message in messages:
            errors.add(field, message)
    errors.raise_if_any()
    pause = ReminderPause.objects.create(
        company=company,
        invoice_id=invoice_id,
        customer_id=customer_id,
        reason=reason,
        note=note.strip(),
        starts_on=starts_on,
        ends_on=ends_on,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    params = {
        "reason": reason,
        "starts_on": starts_on.isoformat(),
        "ends_on": ends_on.isoformat() if ends_on else None,
        "customer": customer_id is not None,
        **({"note": pause.note} if pause.note else {}),
    }
    _history(pause, kind=history.REMINDERS_PAUSED, actor=actor, params=params)
    return pause


@transaction.atomic
def pause_end(*, company: Company, actor: Any, pause_id: int) -> ReminderPause:
    """End a pause now (it stays, with who ended it and when)."""
    now = timezone.now()
    changed = ReminderPause.objects.filter(company=company, pk=pause_id, ended_at__isnull=True).update(
        ended_at=now, ended_by=actor if getattr(actor, "pk", None) else None
    )
    pause = ReminderPause.objects.filter(company=company, pk=pause_id).first()
    if pause is None:
        raise DomainError(_("No such pause."), code="not_found")
    if not changed:
        raise StateConflict(_("This pause has already ended."))
    _history(pause, kind=history.REMINDERS_RESUMED, actor=actor, params={"reason": pause.reason})
    return pause


def _history(pause: ReminderPause, *, kind: str, actor: Any, params: dict[str, Any]) -> None:
    if pause.invoice_id is not None:
        invoice_ids = [pause.invoice_id]
    else:
        invoice_ids = list(
            open_receivables(company=pause.company_id)
            .filter(customer_id=pause.customer_id)
            .values_list("invoice_id", flat=True)
        )
    at = timezone.now()
    actor_id = getattr(actor, "pk", None)
    history_add_many(Entry(invoice_id, kind, at, actor_id, params) for invoice_id in invoice_ids)


# --- reminders ------------------------------------------------------------------------------------


def reminder_move(*, company: Company | int, reminder_ids: Sequence[int], to: str, **fields: Any) -> int:
    """Move reminders to `to` from every state that may precede it (states.TRANSITIONS), by one
    compare-and-set update; `fields` are written with it. Returns how many moved: a row in
    another state (sent already, moved by someone else) is left as it is."""
    sources = [state for state, targets in TRANSITIONS.items() if to in targets]
    if not sources:
        raise ValueError(f"Nothing moves to {to!r}.")
    rows = Reminder.objects.filter(Q(company=company) & any_of(Reminder, list(reminder_ids)) & Q(state__in=sources))
    return rows.update(state=to, **fields)


def reminders_delivered(
    *, company_id: int, invoice_ids: Sequence[int], to: str, errors: Mapping[int, str] | None = None
) -> int:
    """The queued reminders of these invoices whose delivery ended (distribution's events): sent,
    failed (with why) or undone. In the caller's transaction; a compare-and-set from queued, so an
    outcome heard twice moves a reminder once. Returns how many moved."""
    rows = Reminder.objects.filter(
        Q(company_id=company_id, state=ReminderState.QUEUED, delivery__isnull=False)
        & any_of(Reminder, sorted(set(invoice_ids)), "invoice_id")
    )
    if to == ReminderState.SENT:
        return rows.update(state=to, sent_at=timezone.now())
    errors = errors or {}
    found = list(rows.values_list("pk", "invoice_id"))
    return bulk_update(
        Reminder,
        ("state", "error"),
        [(pk, to, (errors.get(invoice_id) or "")[:500]) for pk, invoice_id in found],
        only_if={"state": ReminderState.QUEUED},
    )
