"""Collections: each company's reminder policy per kind of customer, an invoice's reminders,
pauses, what is due today and a reminder run, and the rate table. Every rule is
collections.services' and collections.run's; this module only translates."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Query, Router

from fakturera.api.v1.common import ERRORS, IDEMPOTENT, WRITE_ERRORS, actor_of, company_of, get_or_404, page, write
from fakturera.api.v1.errors import NotFoundField
from fakturera.api.v1.schemas import (
    AssessmentOut,
    CustomerKindCode,
    InterestChargeOut,
    InterestChargePage,
    InterestChargeQuery,
    InterestDismissIn,
    InterestIssueIn,
    InterestIssueOut,
    PauseIn,
    PauseOut,
    PausePage,
    PauseQuery,
    PolicyIn,
    PolicyOut,
    RateIn,
    RateOut,
    RateQuery,
    RateTableOut,
    ReminderOut,
    RunIn,
    RunOut,
)
from fakturera.collections import selectors, services
from fakturera.collections.interest_invoices import interest_charges_dismiss, interest_invoices_issue
from fakturera.collections.law import LAWS
from fakturera.collections.models import InterestCharge, Reminder, ReminderPause, StatutoryRate
from fakturera.collections.rules import Policy
from fakturera.collections.run import Assessment, reminders_assess, reminders_run
from fakturera.collections.states import TaskMode
from fakturera.core.errors import DomainError, ValidationFailed
from fakturera.invoicing.models import Invoice

policies = Router(tags=["collections"])
invoice_reminders = Router(tags=["collections"])
pauses = Router(tags=["collections"])
reminders = Router(tags=["collections"])
runs = Router(tags=["collections"])
rates = Router(tags=["collections"])
interest_invoices = Router(tags=["collections"])

REMINDER_OUT = ("id", "invoice_id", "customer_id", "level", "state", "attempt", "assessed_on", "queued_at", "sent_at",
                "currency", "open_amount", "fee_amount", "fee_kind", "interest_amount", "interest_until",
                "interest_periods", "new_due_on", "delivery_id", "error")  # fmt: skip
PAUSE_OUT = ("id", "invoice_id", "customer_id", "reason", "note", "starts_on", "ends_on", "created_at", "ended_at")
RATE_OUT = ("id", "country", "kind", "valid_from", "source", "updated_at")


def _api_field(name: str) -> str:
    """collections.services names a level's field `levels-<n>-texts-<language>-subject`; the
    body, `levels.<n>.texts.<language>.subject`."""
    return name.replace("-", ".")


def _as_body_fields(exc: DomainError) -> DomainError:
    if exc.field:
        exc.field = _api_field(exc.field)
    if isinstance(exc, ValidationFailed):
        exc.errors = {_api_field(name): messages for name, messages in exc.errors.items()}
    return exc


# --- the reminder policy ------------------------------------------------------------------------


def policy_out(policy: Policy) -> dict[str, Any]:
    return {
        "customer_kind": policy.customer_kind,
        "is_default": policy.is_default,
        "minimum_amount": policy.minimum_amount,
        "last_level_action": policy.last_level_action,
        "levels": [
            {
                "number": level.number,
                "days": level.days,
                "days_from": level.days_from,
                "channel": level.channel,
                "fee_amount": level.fee_amount,
                "is_claiming_interest": level.is_claiming_interest,
                "new_due_days": level.new_due_days,
                "task_mode": level.task_mode,
                "texts": level.texts,
            }
            for level in policy.levels
        ],
    }


@policies.get(
    "/{customer_kind}", response={200: PolicyOut, **ERRORS}, summary="Get the reminder policy of a kind of customer"
)
def policy_get(request: HttpRequest, customer_kind: CustomerKindCode) -> Any:
    return policy_out(selectors.policy_of(company=company_of(request), customer_kind=customer_kind))


@policies.put(
    "/{customer_kind}",
    response={200: PolicyOut, **WRITE_ERRORS},
    openapi_extra=IDEMPOTENT,
    summary="Replace the reminder policy of a kind of customer",
    description="Refused (422, each field named) when a level breaks the law of the company's country: a fee "
    "above the cap, a fee before the law's earliest day or too many fees per claim, or when a text uses a "
    "variable the e-mails do not know.",
)
def policy_put(request: HttpRequest, customer_kind: CustomerKindCode, payload: PolicyIn) -> HttpResponse:
    company = company_of(request)

    def action() -> str:
        try:
            services.policy_save(
                company=company,
                actor=actor_of(request),
                customer_kind=customer_kind,
                levels=[level.model_dump() for level in payload.levels],
                minimum_amount=payload.minimum_amount,
                last_level_action=payload.last_level_action,
            )
        except DomainError as exc:
            raise _as_body_fields(exc) from None
        return customer_kind

    return write(
        request,
        status=200,
        action=action,
        present=lambda kind: policy_out(selectors.policy_of(company=company, customer_kind=kind)),
    )


# --- an invoice's reminders ------------------------------------------------------------------------


@invoice_reminders.get(
    "/{invoice_id}/reminders",
    response={200: list[ReminderOut], **ERRORS},
    summary="The reminders of an invoice, level by level (failed and undone ones too)",
)
def invoice_reminder_list(request: HttpRequest, invoice_id: int) -> Any:
    company = company_of(request)
    invoice = get_or_404(Invoice.objects.all(), company, invoice_id)
    return [_reminder_out(row) for row in selectors.invoice_reminders(company=company, invoice_id=invoice.pk)]


def _reminder_out(row: Reminder) -> dict[str, Any]:
    return {name: getattr(row, name) for name in REMINDER_OUT}


# --- pauses ----------------------------------------------------------------------------------------


def _pause_out(pause: ReminderPause) -> dict[str, Any]:
    return {name: getattr(pause, name) for name in PAUSE_OUT}


@pauses.get("", response={200: PausePage, **ERRORS}, summary="List reminder pauses (ended ones too), newest first")
def pause_list(request: HttpRequest, query: Query[PauseQuery]) -> Any:
    rows = ReminderPause.objects.filter(company=company_of(request)).order_by("-starts_on", "-pk")
    if query.invoice_id is not None:
        rows = rows.filter(invoice_id=query.invoice_id)
    if query.customer_id is not None:
        rows = rows.filter(customer_id=query.customer_id)
    return page(rows, limit=query.limit, offset=query.offset, item=_pause_out)


@pauses.post(
    "",
    response={201: PauseOut, **WRITE_ERRORS},
    openapi_extra=IDEMPOTENT,
    summary="Pause the reminders of an invoice or of all a customer's invoices",
)
def pause_create(request: HttpRequest, payload: PauseIn) -> HttpResponse:
    company = company_of(request)

    def action() -> int:
        try:
            pause = services.pause_create(
                company=company,
                actor=actor_of(request),
                reason=payload.reason,
                note=payload.note,
                starts_on=payload.starts_on or timezone.localdate(),
                ends_on=payload.ends_on,
                invoice_id=payload.invoice_id,
                customer_id=payload.customer_id,
            )
        except ValidationFailed as exc:
            names = {"invoice": "invoice_id", "customer": "customer_id"}
            exc.errors = {names.get(name, name): messages for name, messages in exc.errors.items()}
            missing = [name for name in ("invoice_id", "customer_id") if name in exc.errors]
            if missing and len(exc.errors) == 1:
                raise NotFoundField(exc.errors[missing[0]][0], field=missing[0]) from None
            raise
        return pause.pk

    return write(
        request,
        status=201,
        action=action,
        present=lambda pk: _pause_out(ReminderPause.objects.get(company=company, pk=pk)),
    )


@pauses.post(
    "/{pause_id}/end",
    response={200: PauseOut, **WRITE_ERRORS},
    openapi_extra=IDEMPOTENT,
    summary="End a pause now (409 when it has ended already)",
)
def pause_end(request: HttpRequest, pause_id: int) -> HttpResponse:
    company = company_of(request)
    pause = get_or_404(ReminderPause.objects.all(), company, pause_id)

    def action() -> int:
        services.pause_end(company=company, actor=actor_of(request), pause_id=pause.pk)
        return pause.pk

    return write(
        request,
        status=200,
        action=action,
        present=lambda pk: _pause_out(ReminderPause.objects.get(company=company, pk=pk)),
    )


# --- the run ---------------------------------------------------------------------------------------


def _assessment_out(assessment: Assessment) -> dict[str, Any]:
    return {
        "on": assessment.on,
        "overdue_count": assessment.overdue_count,
        "due": [
            {
                "invoice_id": due.claim.invoice_id,
                "customer_id": due.claim.customer_id,
                "number": due.claim.number,
                "currency": due.claim.currency,
                "due_on": due.claim.due_on,
                "open_amount": due.claim.open_amount,
                "level": due.level.number,
                "fee_amount": due.fee.amount,
                "fee_kind": due.fee.kind,
                "interest_amount": due.interest_amount,
                "new_due_on": due.new_due_on if due.has_letter else None,
                "is_task_only": due.level.task_mode == TaskMode.INSTEAD,
                "is_last_level": due.is_last_level,
            }
            for due in assessment.due
        ],
        "held": [{"invoice_id": pk, "reason": reason} for pk, reason in sorted(assessment.held.items())],
        "warnings": [str(warning) for warning in assessment.warnings],
    }


@reminders.get(
    "/due",
    response={200: AssessmentOut, **ERRORS},
    summary="The overdue invoices due for their next reminder level today, those held back and why, and warnings",
)
def reminders_due(request: HttpRequest) -> Any:
    return _assessment_out(reminders_assess(company=company_of(request), on=timezone.localdate()))


@runs.post(
    "",
    response={200: RunOut, **WRITE_ERRORS},
    openapi_extra=IDEMPOTENT,
    summary="Send the reminders due (all, or those of the given invoices) through distribution",
    description="Each (invoice, level) is reminded at most once: a second run, or two at once, gives nothing twice.",
)
def reminder_run(request: HttpRequest, payload: RunIn | None = None) -> HttpResponse:
    company = company_of(request)
    invoice_ids = payload.invoice_ids if payload is not None else None

    def action() -> dict[str, Any]:
        result = reminders_run(company=company, actor=actor_of(request), invoice_ids=invoice_ids)
        return {
            "queued": result.queued,
            "tasks": result.tasks,
            "not_sent": [{"invoice_id": pk, "reason": why} for pk, why in sorted(result.not_sent.items())],
            "batch_ids": result.batch_ids,
            "warnings": [str(warning) for warning in result.assessment.warnings],
        }

    return write(request, status=200, action=action)


# --- the rate table --------------------------------------------------------------------------------


def _rate_out(rate: StatutoryRate) -> dict[str, Any]:
    return {**{name: getattr(rate, name) for name in RATE_OUT}, "value": str(rate.value.normalize())}


@rates.get(
    "",
    response={200: RateTableOut, **ERRORS},
    summary="The published reference and interest rates, with the half-years still without a rate",
)
def rate_list(request: HttpRequest, query: Query[RateQuery]) -> Any:
    del request  # the table is the installation's: the same for every key
    countries = [query.country] if query.country else sorted(LAWS)
    items = [_rate_out(row) for country in countries for row in selectors.rate_list(country=country, kind=query.kind)]
    gaps = [
        gap.__dict__
        for gap in selectors.rate_gaps(until=timezone.localdate())
        if gap.country in countries and (query.kind is None or gap.kind == query.kind)
    ]
    return {"items": items, "gaps": gaps}


@rates.post(
    "",
    response={201: RateOut, **WRITE_ERRORS},
    openapi_extra=IDEMPOTENT,
    summary="Add a published rate, or correct one (rate_id)",
    description="Only a key created by the installation's administrator (a superuser) may: 403 otherwise.",
)
def rate_create(request: HttpRequest, payload: RateIn) -> HttpResponse:
    def action() -> int:
        return services.rate_save(
            actor=actor_of(request),
            country=payload.country,
            kind=payload.kind,
            valid_from=payload.valid_from,
            value=payload.value,
            source=payload.source,
            rate_id=payload.rate_id,
        ).pk

    return write(request, status=201, action=action, present=lambda pk: _rate_out(StatutoryRate.objects.get(pk=pk)))


# --- interest invoices (räntefakturor) ---------------------------------------------------------------

CHARGE_OUT = ("id", "invoice_id", "invoice_number", "customer_id", "state", "currency", "due_on", "paid_on",
              "days_late", "interest_amount", "fee_amount", "total_amount", "fees", "charge_invoice_id",
              "dismiss_reason", "error", "created_at", "decided_at")  # fmt: skip


def _charge_out(charge: InterestCharge) -> dict[str, Any]:
    periods = [{**period, "from_on": period["from"], "to_on": period["to"]} for period in charge.interest_periods]
    return {**{name: getattr(charge, name) for name in CHARGE_OUT}, "interest_periods": periods}


@interest_invoices.get(
    "",
    response={200: InterestChargePage, **ERRORS},
    summary="Interest owed by invoices paid late: proposals, issued, dismissed, below the minimum",
)
def interest_charge_list(request: HttpRequest, query: Query[InterestChargeQuery]) -> Any:
    rows = selectors.interest_charge_list(company=company_of(request), state=query.state or "")
    if query.invoice_id is not None:
        rows = rows.filter(invoice_id=query.invoice_id)
    return page(rows, limit=query.limit, offset=query.offset, item=_charge_out)


@interest_invoices.post(
    "/issue",
    response={200: InterestIssueOut, **WRITE_ERRORS},
    openapi_extra=IDEMPOTENT,
    summary="Issue proposals as interest invoices, sent the way the customer's invoices go",
    description="Proposals issued or dismissed meanwhile are left out; none left is 409. The invoices are "
    "numbered in the company's series and read with GET /invoices/{id}; `invoice.issued` announces them.",
)
def interest_invoice_issue(request: HttpRequest, payload: InterestIssueIn) -> HttpResponse:
    company = company_of(request)

    def action() -> dict[str, Any]:
        result = interest_invoices_issue(company=company, actor=actor_of(request), charge_ids=payload.ids)
        invoice_of = dict(
            InterestCharge.objects.filter(company=company, pk__in=list(result.issued)).values_list(
                "pk", "charge_invoice_id"
            )
        )
        return {
            "issued": [
                {"id": pk, "invoice_id": invoice_of[pk], "number": number} for pk, number in result.issued.items()
            ],
            "not_sent": [{"invoice_id": pk, "reason": why} for pk, why in sorted(result.not_sent.items())],
        }

    return write(request, status=200, action=action)


# After /issue: Django tries the paths in order, and {charge_id} would take "issue".
@interest_invoices.get("/{charge_id}", response={200: InterestChargeOut, **ERRORS}, summary="One interest charge")
def interest_charge_get(request: HttpRequest, charge_id: int) -> Any:
    return _charge_out(get_or_404(InterestCharge.objects.all(), company_of(request), charge_id))


@interest_invoices.post(
    "/{charge_id}/dismiss",
    response={200: InterestChargeOut, **WRITE_ERRORS},
    openapi_extra=IDEMPOTENT,
    summary="Dismiss a proposal, with the reason (409 when it is no longer a proposal)",
)
def interest_charge_dismiss(request: HttpRequest, charge_id: int, payload: InterestDismissIn) -> HttpResponse:
    company = company_of(request)
    charge = get_or_404(InterestCharge.objects.all(), company, charge_id)

    def action() -> int:
        interest_charges_dismiss(
            company=company, actor=actor_of(request), charge_ids=[charge.pk], reason=payload.reason
        )
        return charge.pk

    return write(
        request,
        status=200,
        action=action,
        present=lambda pk: _charge_out(InterestCharge.objects.get(company=company, pk=pk)),
    )
