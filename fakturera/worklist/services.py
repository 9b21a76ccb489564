"""Every write of the worklist: tasks opened, closed and opened again, priorities raised,
notifications made and e-mailed, the company's settings and a user's preference. Each
function owns its transaction or runs in its caller's (the subscribers: the publisher's).

Many rows at once always: issuing ten thousand invoices opens ten thousand tasks with a
fixed number of statements (one read of the invoices, one insert of the tasks, one of their
history), and the daily jobs are one statement each whatever the number of tasks.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from fakturera.core import mail
from fakturera.core.bulk import any_of, bulk_insert, bulk_insert_returning_ids, bulk_update
from fakturera.core.errors import DomainError, ErrorCollector, StateConflict, ValidationFailed
from fakturera.core.events import publish
from fakturera.core.money import MAX_UNIT_PRICE, to_decimal
from fakturera.core.tasks import enqueue_on_commit
from fakturera.core.text import text_error
from fakturera.invoicing.models import Invoice
from fakturera.invoicing.states import InvoiceKind, InvoiceStatus
from fakturera.parties.models import Company, CompanyUser, Customer
from fakturera.worklist import rules, states
from fakturera.worklist.events import TASK_CLOSED, TASK_OPENED
from fakturera.worklist.models import (
    DigestSent,
    Notification,
    NotificationPreference,
    Task,
    TaskEvent,
    WorklistSettings,
)
from fakturera.worklist.states import (
    BillingTasks,
    CloseReason,
    EmailMode,
    NotificationKind,
    TaskKind,
    TaskPriority,
    TaskState,
)
from fakturera.worklist.wording import notification_words

logger = logging.getLogger(__name__)

TEXT_MAX = 500
TASK_FIELDS = (
    "company_id",
    "kind",
    "state",
    "priority",
    "text",
    "invoice_id",
    "customer_id",
    "assignee_id",
    "due_on",
    "key",
    "params",
    "created_at",
    "created_by_id",
)


# A task may name an invoice that was issued (credited ones too); never a draft.
_ISSUED = (InvoiceStatus.ISSUED, InvoiceStatus.CREDITED)


class TaskNotFound(DomainError):
    """Another company's task, or none: the views and the API answer 404."""

    code = "not_found"


# --- settings -------------------------------------------------------------------------------------


def worklist_settings_of(company: Company) -> WorklistSettings:
    """The company's settings, the defaults when it has none (a company older than this app)."""
    return WorklistSettings.objects.filter(company=company).first() or WorklistSettings(company=company)


def worklist_settings_create(*, company: Company) -> WorklistSettings:
    """A new company's settings, the defaults (company.created, in its transaction)."""
    found, _created = WorklistSettings.objects.get_or_create(company=company)
    return found


@transaction.atomic
def worklist_settings_save(*, company: Company, billing_tasks: str, billing_task_min_amount: Any) -> WorklistSettings:
    errors = ErrorCollector()
    if billing_tasks not in BillingTasks.values:
        errors.add("billing_tasks", _("Choose when issuing opens a billing task."))
    amount = Decimal("0.00")
    with errors.check():
        amount = to_decimal(
            billing_task_min_amount or "0", field="billing_task_min_amount", what=_("The amount")
        ).quantize(Decimal("0.01"))
        if amount < 0 or amount > MAX_UNIT_PRICE:
            raise DomainError(
                _("The amount must be between 0 and %(max)s.") % {"max": MAX_UNIT_PRICE},
                field="billing_task_min_amount",
            )
        if billing_tasks == BillingTasks.ABOVE and amount == 0:
            raise DomainError(
                _("Give the amount above which issuing opens a billing task."), field="billing_task_min_amount"
            )
    errors.raise_if_any()
    found, _created = WorklistSettings.objects.update_or_create(
        company=company, defaults={"billing_tasks": billing_tasks, "billing_task_min_amount": amount}
    )
    return found


# --- opening tasks --------------------------------------------------------------------------------


@dataclass(frozen=True)
class TaskSpec:
    """One task to open; `key` (unique per company) makes opening it again a no-op."""

    kind: str
    assignee_id: int | None = None
    invoice_id: int | None = None
    customer_id: int | None = None
    due_on: dt.date | None = None
    priority: int = TaskPriority.NORMAL
    text: str = ""
    key: str = ""
    params: Mapping[str, Any] = field(default_factory=dict)


def tasks_open(
    *, company_id: int, specs: Sequence[TaskSpec], actor_id: int | None = None, skip_existing: bool = True
) -> list[int]:
    """Open every task of `specs` (already checked: the callers are services) in one insert and
    publish `task.opened`. Runs in the caller's transaction.
    A spec whose key the company already has is skipped (one query for all of them) unless the
    caller knows the keys are new (`skip_existing=False`: the unique index is the backstop).
    Returns the new tasks' ids, in the order of `specs`."""
    wanted: list[TaskSpec] = []
    seen: set[str] = set()
    keys = [spec.key for spec in specs if spec.key]
    taken = (
        set(Task.objects.filter(company_id=company_id, key__in=keys).values_list("key", flat=True))
        if keys and skip_existing
        else set()
    )
    for spec in specs:
        if spec.key and (spec.key in taken or spec.key in seen):
            continue
        if spec.key:
            seen.add(spec.key)
        wanted.append(spec)
    if not wanted:
        return []
    now = timezone.now()
    ids = bulk_insert_returning_ids(
        Task,
        TASK_FIELDS,
        [
            (
                company_id,
                spec.kind,
                TaskState.OPEN,
                spec.priority,
                spec.text,
                spec.invoice_id,
                spec.customer_id,
                spec.assignee_id,
                spec.due_on,
                spec.key,
                dict(spec.params),
                now,
                actor_id,
            )
            for spec in wanted
        ],
    )
    # No history row for the opening: the task's created_at and created_by are it (selectors'
    # task_history_data shows them first); one insert less inside every issue.
    publish(TASK_OPENED, company_id=company_id, actor=actor_id, task_ids=ids, reopened=False)
    return ids


def _history(rows: Iterable[tuple[int, str, Mapping[str, Any]]], *, at: dt.datetime, actor_id: int | None) -> None:
    bulk_insert(
        TaskEvent,
        ("task_id", "kind", "at", "actor_id", "params"),
        ((task_id, kind, at, actor_id, dict(params)) for task_id, kind, params in rows),
    )


def _staff_ids(company_id: int, user_ids: Iterable[int | None]) -> set[int]:
    """Of these users, those who work for the company (one query)."""
    ids = {pk for pk in user_ids if pk is not None}
    if not ids:
        return set()
    return set(CompanyUser.objects.filter(company_id=company_id, user_id__in=ids).values_list("user_id", flat=True))


@transaction.atomic
def task_open(
    *,
    company: Company,
    actor: Any,
    kind: str = TaskKind.CUSTOM,
    text: str = "",
    invoice_id: int | None = None,
    customer_id: int | None = None,
    assignee_id: int | None = None,
    due_on: dt.date | None = None,
    priority: int = TaskPriority.NORMAL,
    key: str = "",
    params: Mapping[str, Any] | None = None,
) -> Task:
    """One task, by hand or by another app (collections' "call the customer"): checked, opened,
    and its assignee told when someone else assigned it. A key the company already has
    returns that task, unchanged."""
    errors = ErrorCollector()
    text = (text or "").strip()
    if kind not in TaskKind.values:
        errors.add("kind", _("Choose the kind of task."))
    if kind == TaskKind.CUSTOM and not text:
        errors.add("text", _("Say what is to be done."))
    if len(text) > TEXT_MAX:
        errors.add("text", _("At most %(max)s characters.") % {"max": TEXT_MAX})
    elif (problem := text_error(text)) is not None:
        errors.add("text", problem)
    if priority not in TaskPriority.values:
        errors.add("priority", _("Choose a priority."))
    if assignee_id is not None and assignee_id not in _staff_ids(company.pk, [assignee_id]):
        errors.add("assignee", _("Assign the task to someone who works for %(company)s.") % {"company": company.name})
    facts: dict[str, Any] = dict(params or {})
    if invoice_id is not None:
        found = (
            Invoice.objects.filter(company=company, pk=invoice_id, status__in=_ISSUED)
            .values_list("customer_id", "customer__name", "number", "seller", "total_amount", "currency")
            .first()
        )
        if found is None:
            errors.add("invoice", _("No issued invoice of %(company)s has this id.") % {"company": company.name})
        else:
            invoice_customer, name, number, seller, total, currency = found
            if customer_id is not None and customer_id != invoice_customer:
                errors.add("customer", _("The invoice is not this customer's."))
            customer_id = invoice_customer
            facts = {**_invoice_facts(name, number, seller, total, currency), **facts}
    elif customer_id is not None:
        name = Customer.objects.filter(company=company, pk=customer_id).values_list("name", flat=True).first()
        if name is None:
            errors.add("customer", _("No customer of %(company)s has this id.") % {"company": company.name})
        else:
            facts = {"customer": name, **facts}
    errors.raise_if_any()
    if key:
        existing = Task.objects.filter(company=company, key=key).first()
        if existing is not None:
            return existing
    actor_id = getattr(actor, "pk", actor)
    spec = TaskSpec(
        kind=kind,
        assignee_id=assignee_id,
        invoice_id=invoice_id,
        customer_id=customer_id,
        due_on=due_on,
        priority=priority,
        text=text,
        key=key,
        params=facts,
    )
    (pk,) = tasks_open(company_id=company.pk, specs=[spec], actor_id=actor_id, skip_existing=False)
    if assignee_id is not None and assignee_id != actor_id:
        notify(
            company_id=company.pk,
            user_ids=[assignee_id],
            kind=NotificationKind.TASK_ASSIGNED,
            invoice_id=invoice_id,
            customer_id=customer_id,
            task_id=pk,
            params={"task_kind": kind, "text": text, **facts},
        )
    return Task.objects.get(pk=pk)


def _invoice_facts(customer: str, number: Any, seller: Any, total: Decimal, currency: str) -> dict[str, Any]:
    prefix = (seller or {}).get("series_prefix", "")
    return {"number": f"{prefix}{number}", "customer": customer, "amount": str(total), "currency": currency}


def billing_tasks_open(*, company_id: int, invoice_ids: Sequence[int], actor_id: int | None) -> list[int]:
    """invoice.issued, in the issuing transaction: a billing task per new invoice, as the company
    chose (on, off, above an amount), for its customer's relationship manager, or for the team
    when the customer has none or the manager no longer works for the company. Due on the
    invoice's due date. Credit notes open none.

    One read (the invoices with their customers, the company's setting and whether each manager
    is staff, joined) and one insert for any number: it runs inside every issue, the API's
    one-invoice calls included."""
    if not invoice_ids:
        return []
    is_staff = Exists(
        CompanyUser.objects.filter(
            company_id=OuterRef("company_id"), user_id=OuterRef("customer__relationship_manager")
        )
    )
    rows = list(
        Invoice.objects.filter(any_of(Invoice, list(invoice_ids)), company_id=company_id, kind=InvoiceKind.INVOICE)
        .annotate(is_staff=is_staff)
        .order_by("number", "pk")
        .values_list(
            "pk",
            "customer_id",
            "customer__name",
            "customer__relationship_manager_id",
            "is_staff",
            "number",
            "seller",
            "total_amount",
            "currency",
            "due_on",
            "company__default_currency",
            "company__worklist_settings__billing_tasks",
            "company__worklist_settings__billing_task_min_amount",
        )
    )
    specs = [
        TaskSpec(
            kind=TaskKind.BILLING,
            assignee_id=manager if is_manager_staff else None,
            invoice_id=pk,
            customer_id=customer_id,
            due_on=due_on,
            key=f"billing:{pk}",
            params=_invoice_facts(name, number, seller, total, currency),
        )
        for (pk, customer_id, name, manager, is_manager_staff, number, seller, total, currency, due_on,
             company_currency, setting, min_amount) in rows
        if rules.billing_task_wanted(
            setting=setting or BillingTasks.ON,
            min_amount=min_amount or Decimal("0"),
            company_currency=company_currency,
            total_amount=total,
            currency=currency,
        )
    ]  # fmt: skip
    # New invoices have no task yet: no look-up of the keys (the unique index stays the backstop).
    return tasks_open(company_id=company_id, specs=specs, actor_id=actor_id, skip_existing=False)


def _invoices_with_managers(
    company_id: int, invoice_ids: Sequence[int], *, tasks_for: Sequence[int] | None = None
) -> dict[int, tuple[Any, ...]]:
    """Invoice id -> (customer id, customer name, its manager if they work for the company, else
    None, number, seller, total, currency), in one query. With `tasks_for`, the invoices of
    `invoice_ids` outside it are read only when their customer has a relationship manager (a
    reminder run's hundred thousand letters ask for no task: only the managed are notified)."""
    is_staff = Exists(
        CompanyUser.objects.filter(
            company_id=OuterRef("company_id"), user_id=OuterRef("customer__relationship_manager")
        )
    )
    wanted = Q()
    if tasks_for is not None:
        wanted = Q(customer__relationship_manager__isnull=False)
        if tasks_for:
            wanted |= any_of(Invoice, sorted(set(tasks_for)))
    rows = (
        Invoice.objects.filter(any_of(Invoice, sorted(set(invoice_ids))), wanted, company_id=company_id)
        .annotate(is_staff=is_staff)
        .values_list("pk", "customer_id", "customer__name", "customer__relationship_manager_id", "is_staff",
                     "number", "seller", "total_amount", "currency")
    )  # fmt: skip
    return {
        pk: (customer_id, name, manager if is_manager_staff else None, number, seller, total, currency)
        for pk, customer_id, name, manager, is_manager_staff, number, seller, total, currency in rows
    }


def reminder_levels_reached(
    *, company_id: int, reminders: Sequence[Mapping[str, Any]], actor_id: int | None, today: dt.date | None = None
) -> tuple[list[int], int]:
    """collections' reminders.queued, in the run's transaction: a "call the customer" task for
    each level that asks for one (beside or instead of the letter; key
    `reminder_call:<invoice>:<level>`, so a level asks once however often the run meets it), for
    the customer's relationship manager (else the team), due today; and the manager notified
    that their customer reached the level (in the app, and by e-mail as they chose: the daily
    digest by default). One read of the invoices, one of the tasks' keys, one insert of the
    tasks and one of the notifications, whatever the number. Returns (task ids, notifications)."""
    if not reminders:
        return [], 0
    today = today or timezone.localdate()
    invoices = _invoices_with_managers(
        company_id,
        [r["invoice_id"] for r in reminders],
        tasks_for=[r["invoice_id"] for r in reminders if r.get("task_mode") in ("beside", "instead")],
    )
    specs, notes = [], []
    for reminder in reminders:
        found = invoices.get(reminder["invoice_id"])
        if found is None:
            continue
        customer_id, name, manager, number, seller, total, currency = found
        facts = {**_invoice_facts(name, number, seller, total, currency), "level": reminder["level"]}
        if reminder.get("task_mode") in ("beside", "instead"):
            specs.append(
                TaskSpec(
                    kind=TaskKind.REMINDER_CALL,
                    assignee_id=manager,
                    invoice_id=reminder["invoice_id"],
                    customer_id=customer_id,
                    due_on=today,
                    key=f"reminder_call:{reminder['invoice_id']}:{reminder['level']}",
                    params=facts,
                )
            )
        if manager is not None:
            notes.append(
                NotificationSpec(
                    user_id=manager,
                    kind=NotificationKind.REMINDER_LEVEL,
                    invoice_id=reminder["invoice_id"],
                    customer_id=customer_id,
                    params=facts,
                )
            )
    task_ids = tasks_open(company_id=company_id, specs=specs, actor_id=actor_id) if specs else []
    return task_ids, notifications_create(company_id=company_id, specs=notes)


# --- closing and opening again --------------------------------------------------------------------


def _find(company: Company, task_id: int) -> Task:
    found = Task.objects.filter(company=company, pk=task_id).first()
    if found is None:
        raise TaskNotFound(_("No task of %(company)s has this id.") % {"company": company.name})
    return found


@transaction.atomic
def task_done(*, company: Company, actor: Any, task_id: int) -> Task:
    """A person marks a task done (compare-and-set: done twice at once is done once)."""
    now = timezone.now()
    actor_id = getattr(actor, "pk", actor)
    changed = Task.objects.filter(company=company, pk=task_id, state=TaskState.OPEN).update(
        state=TaskState.CLOSED, closed_at=now, closed_by_id=actor_id, close_reason=CloseReason.DONE
    )
    task = _find(company, task_id)
    if not changed:
        raise StateConflict(_("This task is already done."))
    _history([(task.pk, states.CLOSED, {"reason": CloseReason.DONE})], at=now, actor_id=actor_id)
    publish(TASK_CLOSED, company_id=company.pk, actor=actor_id, task_ids=[task.pk], reason=CloseReason.DONE)
    return task


@transaction.atomic
def task_undo(*, company: Company, actor: Any, task_id: int) -> Task:
    """Done undone: the task is open again. Only what a person marked done: a task closed by its
    invoice's payment or full credit is closed by a fact, which a click does not undo."""
    now = timezone.now()
    actor_id = getattr(actor, "pk", actor)
    changed = Task.objects.filter(
        company=company, pk=task_id, state=TaskState.CLOSED, close_reason=CloseReason.DONE
    ).update(state=TaskState.OPEN, closed_at=None, closed_by=None, close_reason="")
    task = _find(company, task_id)
    if not changed:
        if task.state == TaskState.OPEN:
            raise StateConflict(_("This task is open; there is nothing to undo."))
        raise StateConflict(
            _("This task was closed because %(why)s; it is not opened again by hand.")
            % {
                "why": _("its invoice was paid")
                if task.close_reason == CloseReason.PAID
                else _("its invoice was credited")
            }
        )
    _history([(task.pk, states.REOPENED, {})], at=now, actor_id=actor_id)
    publish(TASK_OPENED, company_id=company.pk, actor=actor_id, task_ids=[task.pk], reopened=True)
    return task


def tasks_close_for_invoices(
    *,
    company_id: int,
    invoice_ids: Sequence[int],
    reason: str,
    actor_id: int | None,
    facts: Mapping[int, Mapping[str, Any]] | None = None,
) -> list[int]:
    """Close the open billing and call tasks of these invoices (paid, or credited in full: there is
    nothing left to follow up), with `facts[invoice_id]` (the payment) in each one's history. A task
    typed by hand stays open: its author said what it is for. Runs in the caller's transaction:
    one read (the rows locked), one update, one insert for any number."""
    if not invoice_ids:
        return []
    rows = list(
        Task.objects.select_for_update()
        .filter(
            any_of(Task, list(invoice_ids), "invoice_id"),
            company_id=company_id,
            state=TaskState.OPEN,
            kind__in=(TaskKind.BILLING, TaskKind.REMINDER_CALL),
        )
        .order_by("pk")
        .values_list("pk", "invoice_id")
    )
    if not rows:
        return []
    now = timezone.now()
    ids = [pk for pk, _invoice in rows]
    Task.objects.filter(any_of(Task, ids), state=TaskState.OPEN).update(
        state=TaskState.CLOSED, closed_at=now, closed_by_id=actor_id, close_reason=reason
    )
    facts = facts or {}
    _history(
        ((pk, states.CLOSED, {"reason": reason, **facts.get(invoice, {})}) for pk, invoice in rows),
        at=now,
        actor_id=actor_id,
    )
    publish(TASK_CLOSED, company_id=company_id, actor=actor_id, task_ids=ids, reason=reason)
    return ids


def tasks_raise_priority(*, today: dt.date) -> int:
    """The daily job: every open task whose due date has passed becomes high priority, once (it
    remembers the day it did, so a person who lowers it again is not overruled the next day).
    Idempotent: run twice, the second changes nothing. One read, one insert of the history, one
    UPDATE, for every company at once."""
    with transaction.atomic():
        due = Task.objects.select_for_update().filter(
            state=TaskState.OPEN, due_on__lt=today, priority_raised_on=None, priority__lt=TaskPriority.HIGH
        )
        rows = list(due.order_by("pk").values_list("pk", "due_on"))
        if not rows:
            return 0
        ids = [pk for pk, _due in rows]
        changed = Task.objects.filter(any_of(Task, ids), priority_raised_on=None).update(
            priority=TaskPriority.HIGH, priority_raised_on=today
        )
        _history(
            (
                (pk, states.PRIORITY_RAISED, {"priority": int(TaskPriority.HIGH), "due_on": due_on.isoformat()})
                for pk, due_on in rows
            ),
            at=timezone.now(),
            actor_id=None,
        )
    return changed


# --- notifications --------------------------------------------------------------------------------


@dataclass(frozen=True)
class NotificationSpec:
    user_id: int
    kind: str
    invoice_id: int | None = None
    customer_id: int | None = None
    task_id: int | None = None
    params: Mapping[str, Any] = field(default_factory=dict)


def notifications_create(*, company_id: int, specs: Sequence[NotificationSpec]) -> int:
    """Tell users something: one insert for all, and an e-mail task (after the commit) for the
    users who want each notification at once. Returns how many were made."""
    if not specs:
        return 0
    now = timezone.now()
    bulk_insert(
        Notification,
        ("company_id", "user_id", "kind", "invoice_id", "customer_id", "task_id", "params", "created_at"),
        ((company_id, s.user_id, s.kind, s.invoice_id, s.customer_id, s.task_id, dict(s.params), now) for s in specs),
    )
    user_ids = sorted({s.user_id for s in specs})
    at_once = list(
        NotificationPreference.objects.filter(user_id__in=user_ids, email_mode=EmailMode.IMMEDIATELY).values_list(
            "user_id", flat=True
        )
    )
    if at_once:
        from fakturera.worklist.tasks import email_notifications

        enqueue_on_commit(email_notifications, user_ids=at_once, company_id=company_id)
    return len(specs)


def notify(
    *,
    company_id: int,
    user_ids: Iterable[int],
    kind: str,
    invoice_id: int | None = None,
    customer_id: int | None = None,
    task_id: int | None = None,
    params: Mapping[str, Any] | None = None,
) -> int:
    """One notification of `kind` to each of `user_ids` (collections: a customer reached a
    reminder level). The sentence is worded from `kind` and `params` when shown."""
    if kind not in NotificationKind.values:
        raise ValueError(f"unknown notification kind {kind!r}")
    specs = [
        NotificationSpec(
            user_id=user_id,
            kind=kind,
            invoice_id=invoice_id,
            customer_id=customer_id,
            task_id=task_id,
            params=dict(params or {}),
        )
        for user_id in sorted(set(user_ids))
    ]
    return notifications_create(company_id=company_id, specs=specs)


def managers_notify(*, company_id: int, event: str, invoice_ids: Sequence[int], purpose: str,
                    channels: Mapping[Any, Any], history: Mapping[Any, Any]) -> int:  # fmt: skip
    """distribution's invoice.sent / invoice.reminded / invoice.delivery_failed: the relationship
    manager of each invoice's customer is told (one read of the invoices, one of the staff, one
    insert). A customer without a manager, or whose manager left the company, tells nobody."""
    kind = rules.notification_kind(event=event, purpose=purpose)
    if kind is None or not invoice_ids:
        return 0
    rows = list(
        Invoice.objects.filter(any_of(Invoice, list(invoice_ids)), company_id=company_id)
        .exclude(customer__relationship_manager=None)
        .order_by("pk")
        .values_list("pk", "customer_id", "customer__name", "customer__relationship_manager_id", "number", "seller")
    )
    staff = _staff_ids(company_id, (row[3] for row in rows))
    specs = []
    for pk, customer_id, name, manager, number, seller in rows:
        if manager not in staff:
            continue
        moved = dict(history.get(pk) or history.get(str(pk)) or {})
        params = {
            "number": f"{(seller or {}).get('series_prefix', '')}{number}",
            "customer": name,
            "purpose": purpose,
            "channel": moved.get("channel") or channels.get(pk) or channels.get(str(pk)) or "",
            "recipient": moved.get("recipient", ""),
        }
        for name_ in ("error", "reason", "count"):
            if moved.get(name_) is not None:
                params[name_] = moved[name_]
        specs.append(
            NotificationSpec(user_id=manager, kind=kind, invoice_id=pk, customer_id=customer_id, params=params)
        )
    return notifications_create(company_id=company_id, specs=specs)


def notifications_mark_read(*, company: Company, user: Any, notification_ids: Sequence[int] | None = None) -> int:
    """Mark the user's notifications in this company read: these, or all of them."""
    unread = Notification.objects.filter(company=company, user=user, read_at=None)
    if notification_ids is not None:
        unread = unread.filter(pk__in=list(notification_ids))
    return unread.update(read_at=timezone.now())


@transaction.atomic
def notification_preference_save(*, user: Any, email_mode: str) -> NotificationPreference:
    if email_mode not in EmailMode.values:
        raise ValidationFailed({"email_mode": [_("Choose how you want notifications by e-mail.")]})
    found, _created = NotificationPreference.objects.update_or_create(user=user, defaults={"email_mode": email_mode})
    return found


# --- e-mail -----------------------------------------------------------------------------------------

PENDING_FIELDS = ("pk", "user_id", "company_id", "kind", "params", "created_at")


def _users(user_ids: Iterable[int]) -> dict[int, Any]:
    User = get_user_model()  # noqa: N806 - a model class
    return {
        user.pk: user for user in User.objects.filter(pk__in=sorted(set(user_ids)), is_active=True).exclude(email="")
    }


def _company_names(company_ids: Iterable[int]) -> dict[int, str]:
    return dict(Company.objects.filter(pk__in=sorted(set(company_ids))).values_list("pk", "name"))


def _link() -> str:
    return f"{settings.SITE_URL.rstrip('/')}/notifications/"


def email_notifications_now(*, user_ids: Sequence[int], now: dt.datetime | None = None) -> int:
    """E-mail each pending notification of these users, one e-mail each, for those who want them
    at once. Each is claimed first (its `emailed_at` set, compare-and-set in one statement), so a
    second run sends nothing twice; one that could not be sent is released again, and the daily
    digest takes it. Returns the e-mails sent."""
    now = now or timezone.now()
    with transaction.atomic():
        modes = dict(
            NotificationPreference.objects.filter(user_id__in=list(user_ids)).values_list("user_id", "email_mode")
        )
        wanted = [pk for pk in user_ids if rules.emails_at_once(modes.get(pk))]
        rows = list(
            Notification.objects.select_for_update()
            .filter(user_id__in=wanted, emailed_at=None, read_at=None, created_at__lte=now)
            .order_by("pk")
            .values_list(*PENDING_FIELDS)
        )
        if not rows:
            return 0
        Notification.objects.filter(pk__in=[row[0] for row in rows], emailed_at=None).update(emailed_at=now)
    users = _users(row[1] for row in rows)
    names = _company_names(row[2] for row in rows)
    sendable = [row for row in rows if row[1] in users]
    messages = []
    with translation.override(settings.LANGUAGE_CODE):
        for _pk, user_id, company_id, kind, params, _at in sendable:
            sentence = notification_words(kind, params)
            messages.append(
                mail.Message(
                    sender=settings.DEFAULT_FROM_EMAIL,
                    to=[users[user_id].email],
                    subject=f"{names.get(company_id, '')}: {sentence}"[:200],
                    body="\n\n".join([sentence, _("All your notifications: %(link)s") % {"link": _link()}]) + "\n",
                )
            )
    with mail.INSTALLATION.connect() as connection:
        results = mail.send_batch(connection, messages)
    failed = [row[0] for row, result in zip(sendable, results, strict=True) if not result.is_success]
    failed += [row[0] for row in rows if row[1] not in users]
    if failed:
        Notification.objects.filter(pk__in=failed).update(emailed_at=None)
        logger.warning("notifications not e-mailed at once (left for the digest): %s", failed)
    return len(sendable) - len(failed)


@dataclass
class DigestResult:
    sent: int = 0
    failed: int = 0
    notifications: int = 0

    def __str__(self) -> str:
        # Never the word "failed" when nothing did: the scheduler's log reads it as the job's failure.
        return f"{self.sent} digests sent ({self.notifications} notifications), {self.failed} to try again"


def digests_send(*, today: dt.date | None = None, now: dt.datetime | None = None) -> DigestResult:
    """The daily job: one e-mail per user with every notification not yet e-mailed nor read, for
    users who want the digest (the default), and those who wanted them at once but whose e-mail
    failed. Once a day per user by construction: the day is claimed by inserting (user, day) under
    a unique index before anything is sent, so a second run the same day, or two at once, sends
    nothing twice; a digest that could not be sent gives its day back for the next run. A fixed
    number of queries whatever the number of users; the e-mails share one connection."""
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    result = DigestResult()
    pending = Notification.objects.filter(emailed_at=None, read_at=None, created_at__lt=now)
    candidates = set(pending.values_list("user_id", flat=True).order_by().distinct())
    never = set(
        NotificationPreference.objects.filter(user_id__in=candidates, email_mode=EmailMode.NEVER).values_list(
            "user_id", flat=True
        )
    )
    users = _users(candidates - never)
    if not users:
        return result
    run = uuid.uuid4().hex
    with transaction.atomic():
        DigestSent.objects.bulk_create(
            [DigestSent(user_id=pk, on=today, run=run) for pk in sorted(users)], ignore_conflicts=True
        )
        claimed = dict(DigestSent.objects.filter(on=today, run=run).values_list("user_id", "pk"))
        rows = list(
            pending.select_for_update()
            .filter(user_id__in=sorted(claimed))
            .order_by("user_id", "company_id", "created_at", "pk")
            .values_list(*PENDING_FIELDS)
        )
        per_user: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
        for row in rows:
            per_user[row[1]].append(row)
        names = _company_names(row[2] for row in rows)
        order = sorted(per_user)
        with translation.override(settings.LANGUAGE_CODE):
            messages = [_digest_message(users[pk], per_user[pk], names, today) for pk in order]
        with mail.INSTALLATION.connect() as connection:
            results = mail.send_batch(connection, messages)
        sent = [(pk, r) for pk, r in zip(order, results, strict=True) if r.is_success]
        failed = [pk for pk, r in zip(order, results, strict=True) if not r.is_success]
        sent_notes = [row[0] for pk, _r in sent for row in per_user[pk]]
        if sent_notes:
            Notification.objects.filter(any_of(Notification, sent_notes)).update(emailed_at=now)
        bulk_update(
            DigestSent,
            ("sent_at", "notification_count", "message_id"),
            ((claimed[pk], now, len(per_user[pk]), r.message_id[:300]) for pk, r in sent),
        )
        # Nothing to say after all (read in the meantime), or not sent: the day stays free.
        DigestSent.objects.filter(run=run, sent_at=None).delete()
    result.sent, result.failed = len(sent), len(failed)
    result.notifications = len(sent_notes)
    if failed:
        logger.warning("daily digests not sent to users %s; the next run tries again", failed)
    return result


def _digest_message(user: Any, rows: list[tuple[Any, ...]], names: dict[int, str], today: dt.date) -> mail.Message:
    lines = [_("Hello %(name)s,") % {"name": user.get_full_name() or user.username}, ""]
    lines.append(_("What happened for your customers since the last digest:"))
    company_id = None
    for _pk, _user, company, kind, params, created_at in rows:
        if company != company_id:
            company_id = company
            lines += ["", names.get(company, "")]
        at = timezone.localtime(created_at).strftime("%Y-%m-%d %H:%M")
        lines.append(f"- {at} {notification_words(kind, params)}")
    lines += ["", _("All your notifications: %(link)s") % {"link": _link()}, ""]
    lines.append(_("You get this digest once a day; choose another way on the notifications page."))
    count = len(rows)
    subject = ngettext(
        "Fakturera: %(count)s notification, %(date)s", "Fakturera: %(count)s notifications, %(date)s", count
    ) % {"count": count, "date": today.isoformat()}
    return mail.Message(sender=settings.DEFAULT_FROM_EMAIL, to=[user.email], subject=subject, body="\n".join(lines))
