"""Bookings and journal notes (seed 001): the month's rows, their forms, and
whether each is in the invoice basis or already invoiced."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fakturera.billables import services
from fakturera.billables.models import BasisItem, BasisItemStatus, Booking, JournalNote, PaymentStatus, RemovedBecause
from fakturera.core.errors import DomainError
from fakturera.invoicing.models import Invoice
from fakturera.parties.tenancy import get_for_company, staff_view
from fakturera.staff.forms.billables import BookingForm, JournalNoteForm, PaymentStatusForm
from fakturera.staff.forms_errors import add_domain_error


@dataclass(frozen=True)
class Month:
    first: dt.date

    @classmethod
    def from_request(cls, request: HttpRequest) -> Month:
        """?month=YYYY-MM, or the current month when it is missing or not a month."""
        year, _sep, month = request.GET.get("month", "").partition("-")
        try:
            return cls(dt.date(int(year), int(month), 1))
        except ValueError:
            return cls(timezone.localdate().replace(day=1))

    @property
    def value(self) -> str:
        return f"{self.first:%Y-%m}"

    @property
    def next(self) -> Month:
        return Month((self.first + dt.timedelta(days=32)).replace(day=1))

    @property
    def previous(self) -> Month:
        return Month((self.first - dt.timedelta(days=1)).replace(day=1))

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """The month in the company's local time, as aware datetimes [start, end)."""
        start = timezone.make_aware(dt.datetime.combine(self.first, dt.time.min))
        end = timezone.make_aware(dt.datetime.combine(self.next.first, dt.time.min))
        return start, end


@dataclass(frozen=True)
class BasisState:
    """Where a booking or journal note stands towards invoicing, as a list shows it."""

    key: str
    label: str
    invoice: Invoice | None = None


def basis_state(item: BasisItem | None) -> BasisState:
    if item is None:
        return BasisState("none", _("Not in the basis"))
    if item.status == BasisItemStatus.OPEN:
        return BasisState("open", _("In the basis"))
    if item.status == BasisItemStatus.INVOICED:
        line = getattr(item, "invoice_line", None)
        return BasisState("invoiced", _("Invoiced"), line.invoice if line else None)
    reason = RemovedBecause(item.removed_because).label if item.removed_because else ""
    return BasisState("removed", _("Not in the basis") + (f" ({reason})" if reason else ""))


def _with_state(rows: Any) -> list[Any]:
    result = []
    for row in rows:
        row.basis = basis_state(getattr(row, "basis_item", None))
        result.append(row)
    return result


def _list_context(section: str, month: Month, rows: list[Any]) -> dict[str, Any]:
    return {"section": section, "month": month, "rows": rows, "payment_statuses": PaymentStatus.choices}


# --- bookings ---------------------------------------------------------------------------------

BOOKING_RELATED = ("customer", "treatment_type", "basis_item__invoice_line__invoice")


@staff_view()
def booking_list(request: HttpRequest) -> HttpResponse:
    month = Month.from_request(request)
    start, end = month.bounds()
    rows = Booking.objects.filter(company=request.company, starts_at__gte=start, starts_at__lt=end)
    rows = rows.select_related(*BOOKING_RELATED).order_by("starts_at", "pk")
    context = _list_context("bookings", month, _with_state(rows))
    return render(request, "staff/billables/booking_list.html", context)


def _booking_list_url(booking: Booking) -> str:
    local = timezone.localtime(booking.starts_at)
    return f"{reverse('staff:booking_list')}?month={local:%Y-%m}"


@staff_view()
def booking_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    company = request.company
    booking = get_for_company(Booking.objects.select_related(*BOOKING_RELATED), company, pk=pk) if pk else None
    initial = {}
    if booking is None:
        next_hour = timezone.localtime().replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=1)
        initial = {"starts_at": next_hour, "customer": request.GET.get("customer")}
    form = BookingForm(request.POST or None, company=company, instance=booking, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if booking is None:
                booking = services.booking_create(company=company, actor=request.user, **form.cleaned_data)
                messages.success(request, _("The booking was added."))
            else:
                services.booking_update(booking=booking, actor=request.user, **form.cleaned_data)
                messages.success(request, _("The booking was saved."))
        except DomainError as exc:
            add_domain_error(form, exc)
            if booking is not None and booking.pk:
                booking.refresh_from_db()
        else:
            return redirect(_booking_list_url(booking))
    context = {
        "section": "bookings",
        "form": form,
        "booking": booking,
        "state": basis_state(getattr(booking, "basis_item", None)) if booking else None,
    }
    return render(request, "staff/billables/booking_form.html", context, status=400 if form.errors else 200)


@staff_view()
@require_POST
def booking_payment(request: HttpRequest, pk: int) -> HttpResponse:
    """Set how a booking was paid; htmx swaps the row, a plain POST goes back to the list."""
    booking = get_for_company(Booking, request.company, pk=pk)
    form = PaymentStatusForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(_("Unknown payment status."))
    try:
        services.booking_set_payment_status(
            booking=booking, payment_status=form.cleaned_data["payment_status"], actor=request.user
        )
    except DomainError as exc:
        return HttpResponseBadRequest(exc.message)
    if not request.htmx:
        messages.success(request, _("The payment was saved."))
        return redirect(_booking_list_url(booking))
    row = _with_state([Booking.objects.select_related(*BOOKING_RELATED).get(pk=booking.pk)])[0]
    context = {"booking": row, "payment_statuses": PaymentStatus.choices}
    return render(request, "staff/billables/_booking_row.html", context)


# --- journal notes ----------------------------------------------------------------------------

NOTE_RELATED = ("customer", "contact_type", "basis_item__invoice_line__invoice")


@staff_view()
def journal_note_list(request: HttpRequest) -> HttpResponse:
    month = Month.from_request(request)
    rows = JournalNote.objects.filter(company=request.company, noted_on__gte=month.first, noted_on__lt=month.next.first)
    rows = rows.select_related(*NOTE_RELATED).order_by("noted_on", "pk")
    context = _list_context("journal", month, _with_state(rows))
    return render(request, "staff/billables/journal_note_list.html", context)


@staff_view()
def journal_note_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    company = request.company
    note = get_for_company(JournalNote.objects.select_related(*NOTE_RELATED), company, pk=pk) if pk else None
    initial = {} if note else {"noted_on": timezone.localdate(), "customer": request.GET.get("customer")}
    form = JournalNoteForm(request.POST or None, company=company, instance=note, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if note is None:
                note = services.journal_note_create(company=company, actor=request.user, **form.cleaned_data)
                messages.success(request, _("The journal note was added."))
            else:
                services.journal_note_update(note=note, actor=request.user, **form.cleaned_data)
                messages.success(request, _("The journal note was saved."))
        except DomainError as exc:
            add_domain_error(form, exc)
            if note is not None and note.pk:
                note.refresh_from_db()
        else:
            return redirect(f"{reverse('staff:journal_note_list')}?month={note.noted_on:%Y-%m}")
    context = {
        "section": "journal",
        "form": form,
        "note": note,
        "state": basis_state(getattr(note, "basis_item", None)) if note else None,
    }
    return render(request, "staff/billables/journal_note_form.html", context, status=400 if form.errors else 200)
