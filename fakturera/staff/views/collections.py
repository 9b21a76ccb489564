"""Collections' settings pages and pauses: the company's collection settings, the reminder
policy editor per kind of customer (with a preview of a level's e-mail and letter before
saving), the rate table (everyone reads, the installation's administrator edits), and pausing
an invoice's or a customer's reminders. Every rule is collections.services'."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied as Forbidden
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from fakturera.collections import selectors, services
from fakturera.collections.law import LAWS
from fakturera.collections.letters import letter_preview
from fakturera.collections.rules import Level
from fakturera.collections.states import ReminderState
from fakturera.core.errors import DomainError, PermissionDenied, ValidationFailed
from fakturera.distribution.channels.email import variables
from fakturera.distribution.mail import default_text, fill, variables_text
from fakturera.distribution.models import Purpose
from fakturera.invoicing.models import Invoice
from fakturera.parties.models import Customer, CustomerKind
from fakturera.parties.tenancy import get_for_company, staff_view
from fakturera.staff.forms.collections import (
    CollectionSettingsForm,
    LevelForm,
    LevelFormSet,
    PauseForm,
    PolicyForm,
    RateForm,
)
from fakturera.staff.forms_errors import add_domain_error

# --- the company's settings ----------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@staff_view(role="admin")
def collection_settings(request: HttpRequest) -> HttpResponse:
    company = request.company
    current = selectors.collection_settings_of(company=company)
    initial = {
        "is_reminder_fee_agreed": current.is_reminder_fee_agreed,
        "is_claiming_late_compensation": current.is_claiming_late_compensation,
        "is_reminding_automatically": current.is_reminding_automatically,
        "bank_import_stale_days": current.bank_import_stale_days,
        "interest_invoice_mode": current.interest_invoice_mode,
        "interest_invoice_minimum_amount": f"{current.interest_invoice_minimum_amount:.2f}",
    }
    form = CollectionSettingsForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.collection_settings_save(company=company, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("The settings were saved."))
            return redirect("staff:collection_settings")
    policies = selectors.policies_of(company=company)
    context = {
        "section": "settings",
        "form": form,
        "policies": [(kind, label, policies[kind]) for kind, label in CustomerKind.choices],
        "law": LAWS.get(company.country),
    }
    return render(request, "staff/collections/settings.html", context, status=400 if form.errors else 200)


# --- the reminder policy ---------------------------------------------------------------------------


def _kind(kind: str) -> str:
    if kind not in CustomerKind.values:
        raise Http404
    return kind


def _policy_forms(request: HttpRequest, kind: str) -> tuple[PolicyForm, Any]:
    if request.method == "POST":
        return PolicyForm(request.POST), LevelFormSet(request.POST, prefix="levels")
    policy = selectors.policy_of(company=request.company, customer_kind=kind)
    form = PolicyForm(
        initial={
            "minimum_amount": f"{policy.minimum_amount:.2f}",
            "last_level_action": policy.last_level_action,
        }
    )
    formset = LevelFormSet(prefix="levels", initial=[LevelForm.initial_for(level) for level in policy.levels])
    return form, formset


def _checked(request: HttpRequest, kind: str, form: PolicyForm, formset: Any) -> list[Level] | None:
    """The editor's policy as policy_check finds it (nothing saved), or None with every refusal
    on the field it names (a level's by its row)."""
    if not (form.is_valid() and formset.is_valid()):
        return None
    kept = formset.kept()
    try:
        levels, _minimum = services.policy_check(
            company=request.company,
            customer_kind=kind,
            levels=[level.as_level() for level in kept],
            minimum_amount=form.cleaned_data.get("minimum_amount") or "0",
            last_level_action=form.cleaned_data["last_level_action"],
        )
    except ValidationFailed as exc:
        _show_refusal(exc, form, formset, kept)
        return None
    return levels


def _show_refusal(exc: ValidationFailed, form: PolicyForm, formset: Any, kept: list[LevelForm]) -> None:
    """The service names a level's field `levels-<index>-<field>`, the index among the levels
    it was given: the row that holds it."""
    for name, found in exc.errors.items():
        parts = name.split("-", 2)
        if len(parts) == 3 and parts[0] == "levels" and parts[1].isdigit() and int(parts[1]) < len(kept):
            row, field = kept[int(parts[1])], parts[2]
            for message in found:
                row.add_error(field if field in row.fields else None, message)
        elif name in form.fields:
            for message in found:
                form.add_error(name, message)
        else:
            formset._non_form_errors = formset.error_class([*formset.non_form_errors(), *found])


def _preview_of(request: HttpRequest, kind: str, form: PolicyForm, levels: list[Level]) -> dict[str, Any] | None:
    """The chosen level's e-mail filled in with a real invoice, in the chosen language (the
    level's own text, else distribution's reminder text); None with the reason on the form."""
    index = request.POST.get("preview", "")
    if not index.isdigit() or int(index) >= len(levels):
        form.add_error(None, _("Choose the level to preview."))
        return None
    level = levels[int(index)]
    invoice = selectors.preview_invoice(
        company=request.company,
        customer_kind=kind,
        number=form.cleaned_data.get("preview_invoice") or "",
        on=timezone.localdate(),
    )
    if invoice is None:
        number = form.cleaned_data.get("preview_invoice") or ""
        form.add_error(
            "preview_invoice",
            _("There is no issued invoice %(number)s.") % {"number": number}
            if number
            else _("There is no issued invoice to preview with yet."),
        )
        return None
    language = form.cleaned_data.get("preview_language") or invoice.language
    own = level.texts.get(language) or {}
    text = default_text(Purpose.REMINDER, language)
    subject = own.get("subject") or text.subject
    body = own.get("body") or text.body
    values = variables(invoice, recipient=(invoice.buyer or {}).get("name") or invoice.customer.name)
    return {
        "invoice": invoice,
        "level": level,
        "index": int(index),
        "language": language,
        "subject": fill(subject, values),
        "body": fill(body, values),
        "letter": fill(own.get("letter", ""), values),
        "is_own_text": bool(own.get("subject")),
    }


@require_http_methods(["GET", "POST"])
@staff_view(role="admin")
def reminder_policy(request: HttpRequest, kind: str) -> HttpResponse:
    kind = _kind(kind)
    form, formset = _policy_forms(request, kind)
    preview = None
    status = 200
    if request.method == "POST":
        levels = _checked(request, kind, form, formset)
        if "preview" in request.POST:
            preview = _preview_of(request, kind, form, levels) if levels is not None else None
            if request.htmx:
                return render(
                    request,
                    "staff/collections/_policy_preview.html",
                    {"preview": preview, "form": form, "formset": formset, "kind": kind},
                )
            status = 200 if preview else 400
        elif levels is not None:
            try:
                services.policy_save(
                    company=request.company,
                    actor=request.user,
                    customer_kind=kind,
                    levels=[level.as_level() for level in formset.kept()],
                    minimum_amount=form.cleaned_data.get("minimum_amount") or "0",
                    last_level_action=form.cleaned_data["last_level_action"],
                )
            except ValidationFailed as exc:
                _show_refusal(exc, form, formset, formset.kept())
            else:
                messages.success(request, _("The reminder policy was saved."))
                return redirect("staff:reminder_policy", kind=kind)
        if preview is None:
            status = 400
    context = {
        "section": "settings",
        "kind": kind,
        "kind_label": dict(CustomerKind.choices)[kind],
        "form": form,
        "formset": formset,
        "preview": preview,
        "variables": variables_text(),
        "law": LAWS.get(request.company.country),
    }
    return render(request, "staff/collections/policy.html", context, status=status)


@require_POST
@staff_view(role="admin")
def reminder_policy_letter(request: HttpRequest, kind: str) -> HttpResponse:
    """The chosen level's letter as a PDF, from the editor's unsaved policy and a real invoice
    (collections.letters.letter_preview): nothing is saved or sent."""
    kind = _kind(kind)
    form, formset = _policy_forms(request, kind)
    levels = _checked(request, kind, form, formset)
    preview = _preview_of(request, kind, form, levels) if levels is not None else None
    if preview is None:
        context = {
            "section": "settings",
            "kind": kind,
            "kind_label": dict(CustomerKind.choices)[kind],
            "form": form,
            "formset": formset,
            "preview": None,
            "variables": variables_text(),
            "law": LAWS.get(request.company.country),
        }
        return render(request, "staff/collections/policy.html", context, status=400)
    pdf = letter_preview(
        company=request.company,
        invoice=preview["invoice"],
        level=preview["level"],
        customer_kind=kind,
        language=preview["language"],
        on=timezone.localdate(),
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="reminder-preview-{preview["level"].number}.pdf"'
    return response


# --- the rate table --------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@staff_view()
def statutory_rates(request: HttpRequest) -> HttpResponse:
    """The published rates per country and kind with their sources, and the half-years without
    a late-interest rate up to today; the installation's administrator adds and corrects them."""
    is_editor = bool(request.user.is_superuser)
    editing = None
    edit = request.GET.get("edit", "")
    if edit.isdigit():
        editing = next((row for row in selectors.rate_by_ids([int(edit)])), None)
    initial = (
        {
            "country": editing.country,
            "kind": editing.kind,
            "valid_from": editing.valid_from.isoformat(),
            "value": str(editing.value),
            "source": editing.source,
            "rate_id": editing.pk,
        }
        if editing
        else {"country": request.company.country}
    )
    form = RateForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST":
        if not is_editor:
            raise Forbidden(_("Only the installation's administrator may change the rate table."))
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.rate_save(
                    actor=request.user,
                    country=data["country"],
                    kind=data["kind"],
                    valid_from=data["valid_from"],
                    value=data["value"],
                    source=data["source"],
                    rate_id=data.get("rate_id"),
                )
            except PermissionDenied as exc:
                raise Forbidden(exc.message) from None
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, _("The rate was saved."))
                return redirect("staff:statutory_rates")
    today = timezone.localdate()
    tables = [
        {"country": code, "name": name, "rows": selectors.rate_list(country=code)}
        for code, name in form.fields["country"].choices
    ]
    context = {
        "section": "reminders",
        "tables": tables,
        "gaps": selectors.rate_gaps(until=today),
        "today": today,
        "form": form,
        "is_editor": is_editor,
        "editing": editing,
    }
    return render(request, "staff/collections/rates.html", context, status=400 if form.errors else 200)


# --- pauses, and an invoice's reminders ------------------------------------------------------------


def invoice_reminders_context(invoice: Invoice) -> dict[str, Any]:
    """The invoice page's reminders section: each level given (state, date, fee, interest, new
    due date, its delivery), the pauses (ended ones too) and the form to pause it."""
    if invoice.is_draft or invoice.is_credit_note:
        return {}
    company = invoice.company
    today = timezone.localdate()
    pauses = selectors.pause_list(company=company, invoice_id=invoice.pk)
    customer_pauses = selectors.pause_list(company=company, customer_id=invoice.customer_id)
    return {
        "reminders": selectors.invoice_reminders(company=company, invoice_id=invoice.pk),
        "reminder_pauses": [(pause, _is_in_force(pause, today)) for pause in pauses],
        "customer_pauses_in_force": [pause for pause in customer_pauses if _is_in_force(pause, today)],
        "pause_form": PauseForm(),
        "reminder_states": ReminderState,
    }


def customer_reminders_context(customer: Customer) -> dict[str, Any]:
    today = timezone.localdate()
    pauses = selectors.pause_list(company=customer.company, customer_id=customer.pk)
    return {
        "reminder_pauses": [(pause, _is_in_force(pause, today)) for pause in pauses],
        "pause_form": PauseForm(),
    }


def _is_in_force(pause: Any, today: dt.date) -> bool:
    return pause.ended_at is None and pause.starts_on <= today and (pause.ends_on is None or pause.ends_on >= today)


def _pause(request: HttpRequest, *, back: str, **target: int) -> HttpResponse:
    form = PauseForm(request.POST)
    if form.is_valid():
        try:
            services.pause_create(
                company=request.company,
                actor=request.user,
                reason=form.cleaned_data["reason"],
                note=form.cleaned_data.get("note") or "",
                starts_on=timezone.localdate(),
                ends_on=form.cleaned_data.get("ends_on"),
                **target,
            )
        except DomainError as exc:
            errors = exc.errors if isinstance(exc, ValidationFailed) else {"": [exc.message]}
            for found in errors.values():
                for message in found:
                    messages.error(request, message)
        else:
            messages.success(request, _("Reminders are paused."))
    else:
        for name, found in form.errors.items():
            label = form.fields[name].label if name in form.fields else ""
            for message in found:
                messages.error(request, f"{label}: {message}" if label else message)
    return redirect(back + "#reminders")


@require_POST
@staff_view()
def invoice_reminder_pause(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = get_for_company(Invoice, request.company, pk=pk)
    return _pause(request, back=reverse("staff:invoice_detail", args=[invoice.pk]), invoice_id=invoice.pk)


@require_POST
@staff_view()
def customer_reminder_pause(request: HttpRequest, pk: int) -> HttpResponse:
    customer = get_for_company(Customer, request.company, pk=pk)
    return _pause(request, back=reverse("staff:customer_detail", args=[customer.pk]), customer_id=customer.pk)


@require_POST
@staff_view()
def reminder_pause_end(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        pause = services.pause_end(company=request.company, actor=request.user, pause_id=pk)
    except DomainError as exc:
        if exc.code == "not_found":
            raise Http404 from None
        messages.error(request, exc.message)
        back = request.POST.get("back", "")
        return redirect(back if back.startswith("/") and not back.startswith("//") else reverse("staff:reminders"))
    messages.success(request, _("The pause has ended; reminders go out again when due."))
    if pause.invoice_id is not None:
        return redirect(reverse("staff:invoice_detail", args=[pause.invoice_id]) + "#reminders")
    return redirect(reverse("staff:customer_detail", args=[pause.customer_id]) + "#reminders")
