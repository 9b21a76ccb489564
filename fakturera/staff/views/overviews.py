"""The pages of figures: the home page (what needs doing), open receivables, aged receivables
(chart, table, CSV and XLSX), the cash-in forecast, and a customer's statement (kontoutdrag)
as a page, a PDF in the customer's language and an e-mail. Reads only: the selectors of
payments, invoicing, recurring and distribution, the rules of payments.forecast."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.core.validators import MinValueValidator
from django.db.models import Count, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from fakturera.core.errors import DomainError
from fakturera.core.text import TextCheckedForm
from fakturera.core.xlsx import CONTENT_TYPE as XLSX_CONTENT_TYPE
from fakturera.core.xlsx import xlsx_bytes
from fakturera.distribution import selectors as distribution_selectors
from fakturera.distribution.models import DeliveryState
from fakturera.invoicing import selectors as invoicing_selectors
from fakturera.parties.models import Customer
from fakturera.parties.tenancy import get_for_company, staff_view
from fakturera.payments import forecast as forecasting
from fakturera.payments import selectors, services
from fakturera.payments import statements as payment_statements
from fakturera.recurring import selectors as recurring_selectors
from fakturera.staff.charts import Band, BarChart, HorizontalBarChart, Series
from fakturera.staff.forms.basis import DATE_WIDGET
from fakturera.staff.listing import Column, paginate

SECTION = "receivables"
IMPORTS_SHOWN_FOR = dt.timedelta(days=7)


# --- home -------------------------------------------------------------------------------------


@staff_view()
def home(request: HttpRequest) -> HttpResponse:
    """What needs doing, each a number linking to the list behind it."""
    company = request.company
    today = timezone.localdate()
    receivables = selectors.receivables_at_a_glance(company=company, today=today)
    currencies = forecasting.currencies_in_order([row.currency for row in receivables], company.default_currency)
    by_currency = {row.currency: row for row in receivables}
    drafts = invoicing_selectors.draft_counts(company=company)
    aged = selectors.aging_totals(company=company, as_of=today)
    first = forecasting.currencies_in_order(aged, company.default_currency)[:1]
    sending = (
        distribution_selectors.deliveries(company=company, states=[DeliveryState.QUEUED, DeliveryState.SENDING])
        .order_by()
        .aggregate(count=Count("pk"), batches=Count("batch_id", distinct=True))
    )
    context = {
        "section": "home",
        "today": today,
        "receivables": [by_currency[code] for code in currencies],
        "aging_chart": _aging_chart(first[0], aged[first[0]], key="home-aging") if first else None,
        "unmatched": selectors.unmatched_payments_summary(company=company),
        "unmatched_url": reverse("staff:payment_queue"),
        "drafts": drafts,
        "recurring_due": recurring_selectors.recurring_due_count(company=company, today=today),
        "sending": sending,
        "imports": selectors.recent_payment_imports(company=company, since=timezone.now() - IMPORTS_SHOWN_FOR),
        "imports_url": reverse("staff:payment_imports"),
        "import_days": IMPORTS_SHOWN_FOR.days,
    }
    return render(request, "staff/overviews/home.html", context)


# --- open receivables -------------------------------------------------------------------------

DUE_FILTERS = {"overdue": gettext_lazy("Overdue"), "week": gettext_lazy("Due this week"), "": gettext_lazy("All open")}

RECEIVABLE_COLUMNS = [
    Column("number", gettext_lazy("Invoice"), ("number",)),
    Column("customer", gettext_lazy("Customer"), ("customer__name",)),
    Column("issued", gettext_lazy("Invoice date"), ("issued_on",)),
    Column("due", gettext_lazy("Due date"), ("due_on",)),
    Column("total", gettext_lazy("Total"), ("total_amount",), css="num"),
    Column("open", gettext_lazy("Open"), ("open_amount",), css="num"),
]


@staff_view()
def receivable_list(request: HttpRequest) -> HttpResponse:
    """Open invoices: all, overdue (`?due=overdue`) or due this week (`?due=week`), of one
    customer (`?customer=`) or currency (`?currency=`)."""
    company = request.company
    today = timezone.localdate()
    due = request.GET.get("due", "")
    due = due if due in DUE_FILTERS else ""
    qs = selectors.open_receivables(company=company).select_related("customer")
    if due == "overdue":
        qs = qs.filter(due_on__lt=today)
    elif due == "week":
        qs = qs.filter(due_on__gte=today, due_on__lte=today + dt.timedelta(days=6 - today.weekday()))
    customer = None
    wanted_customer = request.GET.get("customer", "")
    if wanted_customer.isascii() and wanted_customer.isdigit() and len(wanted_customer) <= 18:
        customer = Customer.objects.filter(company=company, pk=int(wanted_customer)).first()
        qs = qs.filter(customer_id=customer.pk if customer else 0)
    currency = request.GET.get("currency", "").upper()[:3]
    if currency:
        qs = qs.filter(currency=currency)
    listing = paginate(
        request, qs, columns=RECEIVABLE_COLUMNS, default_sort="due", tie_breaker="invoice_id", totals=_open_totals
    )
    context = {
        "section": SECTION,
        "tab": "open",
        "listing": listing,
        "due": due,
        "filters": DUE_FILTERS,
        "customer": customer,
        "currency": currency,
        "today": today,
    }
    return render(request, "staff/overviews/receivables.html", context)


def _open_totals(qs: Any) -> dict[str, Decimal]:
    rows = qs.order_by().values("currency").annotate(amount=Sum("open_amount"))
    return {row["currency"]: row["amount"] for row in rows}


# --- aged receivables -------------------------------------------------------------------------


class AsOfForm(TextCheckedForm):
    # From 1900: the buckets reach 90 days back from it (an older date overflows).
    as_of = forms.DateField(
        label=gettext_lazy("As of"),
        required=False,
        widget=DATE_WIDGET,
        validators=[MinValueValidator(dt.date(1900, 1, 1))],
    )
    currency = forms.CharField(required=False, max_length=3, widget=forms.HiddenInput)


def _aging_columns() -> list[Column]:
    return [
        Column("customer_name", gettext_lazy("Customer"), ("customer_name",)),
        *(Column(key, label, (key,), css="num") for key, label, *_rest in selectors.AGING_BUCKETS),
        Column("total", gettext_lazy("Total"), ("total",), css="num"),
    ]


def _as_of(request: HttpRequest) -> tuple[AsOfForm, dt.date]:
    today = timezone.localdate()
    form = AsOfForm(request.GET or None, initial={"as_of": today})
    if form.is_bound and form.is_valid():
        return form, form.cleaned_data["as_of"] or today
    return form, today


def _aging_chart(currency: str, row: dict[str, Any] | None, *, key: str = "") -> HorizontalBarChart:
    """The company's open receivables of one currency in the age buckets."""
    amounts = [row[name] if row else Decimal(0) for name in selectors.AGING_KEYS]
    return HorizontalBarChart(
        title=_("Receivables by age, %(currency)s") % {"currency": currency},
        currency=currency,
        category_heading=_("Days past due"),
        categories=[str(label) for _name, label, *_rest in selectors.AGING_BUCKETS],
        series=[
            Series(_("Not due"), [amounts[0], *([None] * (len(amounts) - 1))]),
            Series(_("Past due"), [None, *amounts[1:]]),
        ],
        empty_text=_("Nothing is open."),
        key=key or f"aging-{currency.lower()}",
    )


@staff_view()
def aging(request: HttpRequest) -> HttpResponse:
    company = request.company
    form, as_of = _as_of(request)
    totals = selectors.aging_totals(company=company, as_of=as_of)
    credit = selectors.credit_balance_totals(company=company)
    currencies = forecasting.currencies_in_order([*totals, *credit], company.default_currency)
    wanted = (request.GET.get("currency") or "").upper()
    currency = wanted if wanted in currencies else (currencies[0] if currencies else company.default_currency)
    charts = [_aging_chart(code, totals.get(code)) for code in currencies]
    fmt = request.GET.get("format")
    qs = selectors.aging_by_customer(company=company, as_of=as_of, currency=currency)
    columns = _aging_columns()
    if fmt in ("csv", "xlsx"):
        return _aging_export(fmt, qs.order_by("customer_name", "customer_id"), columns, as_of, currency)
    listing = paginate(request, qs, columns=columns, default_sort="-total", tie_breaker="customer_id")
    page_credit = services.credit_balances(company=company, customer_ids=[row["customer_id"] for row in listing.rows])
    rows = [{**row, "credit": page_credit.get(row["customer_id"], {}).get(currency)} for row in listing.rows]
    context = {
        "section": SECTION,
        "tab": "aging",
        "form": form,
        "as_of": as_of,
        "charts": charts,
        "currencies": currencies,
        "currency": currency,
        "totals": totals.get(currency),
        "credit": credit,
        "listing": listing,
        "rows": rows,
        "keys": selectors.AGING_KEYS,
        "export_query": _query_without(request, "page", "format"),
    }
    return render(request, "staff/overviews/aging.html", context)


def _query_without(request: HttpRequest, *names: str) -> str:
    query = request.GET.copy()
    for name in names:
        query.pop(name, None)
    return query.urlencode()


def _aging_export(fmt: str, qs: Any, columns: list[Column], as_of: dt.date, currency: str) -> HttpResponse:
    header = [str(_("Customer number")), *(str(column.label) for column in columns), str(_("Currency"))]
    keys = [column.key for column in columns]
    cent = Decimal("0.01")
    rows = [
        [row["customer_id"], row[keys[0]], *(Decimal(row[key]).quantize(cent) for key in keys[1:]), currency]
        for row in qs.iterator()
    ]
    totals = [""] * (len(keys) + 2)
    totals[1] = str(_("Total"))
    for index in range(2, len(keys) + 1):
        totals[index] = sum((row[index] for row in rows), Decimal("0.00"))
    totals[-1] = currency
    stamp = f"aged-receivables-{currency.lower()}-{as_of.isoformat()}"
    if fmt == "xlsx":
        body = xlsx_bytes(sheet=_("Aged receivables"), header=header, rows=[*rows, totals])
        response = HttpResponse(body, content_type=XLSX_CONTENT_TYPE)
        response["Content-Disposition"] = f'attachment; filename="{stamp}.xlsx"'
        return response
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(header)
    for row in [*rows, totals]:
        writer.writerow([_csv_text(value) for value in row])
    response = HttpResponse(("\ufeff" + buffer.getvalue()).encode(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{stamp}.csv"'
    return response


def _csv_text(value: Any) -> str:
    """Text a spreadsheet would run as a formula starts with an apostrophe."""
    text = str(value)
    if isinstance(value, str) and text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


# --- the cash-in forecast ---------------------------------------------------------------------


@staff_view()
def cash_forecast(request: HttpRequest) -> HttpResponse:
    company = request.company
    today = timezone.localdate()
    first = forecasting.monday_of(today)
    until = first + dt.timedelta(weeks=forecasting.WEEKS) - dt.timedelta(days=1)
    inputs = selectors.forecast_inputs(company=company, today=today)
    planned = [
        forecasting.Item(order.customer_id, order.currency, order.total, order.due_on)
        for order in recurring_selectors.planned_invoicing(company=company, until=until)
        if order.on >= today
    ]
    weeks_by_currency = forecasting.forecast(
        today=today, open_items=inputs.open_items, planned_items=planned, delays=inputs.delays, outcomes=inputs.outcomes
    )
    currencies = forecasting.currencies_in_order(weeks_by_currency, company.default_currency)
    sections = []
    for code in currencies:
        weeks = weeks_by_currency[code]
        labels = [_("Week %(number)s") % {"number": week.starts_on.isocalendar().week} for week in weeks]
        chart = BarChart(
            title=_("Cash-in forecast, %(currency)s") % {"currency": code},
            currency=code,
            category_heading=_("Week"),
            categories=labels,
            series=[
                Series(_("Open invoices"), [week.from_open for week in weeks]),
                Series(_("Recurring invoices"), [week.from_recurring for week in weeks]),
            ],
            band=Band(_("Likely range"), [week.low for week in weeks], [week.high for week in weeks]),
            empty_text=_("No payments are expected in the next 12 weeks."),
            key=f"forecast-{code.lower()}",
        )
        sections.append(
            {
                "currency": code,
                "chart": chart,
                "weeks": list(zip(labels, weeks, strict=True)),
                "total_open": sum((week.from_open for week in weeks), Decimal(0)),
                "total_recurring": sum((week.from_recurring for week in weeks), Decimal(0)),
                "total": sum((week.expected for week in weeks), Decimal(0)),
            }
        )
    context = {
        "section": SECTION,
        "tab": "forecast",
        "sections": sections,
        "today": today,
        "until": until,
        "min_history": forecasting.MIN_HISTORY,
        "settled_after": forecasting.SETTLED_AFTER,
        "earliest": -forecasting.EARLIEST_SHIFT,
        "latest": forecasting.LATEST_SHIFT,
    }
    return render(request, "staff/overviews/forecast.html", context)


# --- the customer statement -------------------------------------------------------------------


class StatementForm(TextCheckedForm):
    starts_on = forms.DateField(label=gettext_lazy("From"), widget=DATE_WIDGET)
    ends_on = forms.DateField(label=gettext_lazy("To"), widget=DATE_WIDGET)
    currency = forms.ChoiceField(label=gettext_lazy("Currency"))

    def __init__(self, *args: Any, currencies: list[str], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["currency"].choices = [(code, code) for code in currencies]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("starts_on") and data.get("ends_on") and data["starts_on"] > data["ends_on"]:
            self.add_error("ends_on", _("The period ends before it starts."))
        return data


def _statement_form(request: HttpRequest, customer: Customer) -> StatementForm:
    company = request.company
    today = timezone.localdate()
    currencies = selectors.statement_currencies(company=company, customer=customer)
    initial = {"starts_on": today.replace(month=1, day=1), "ends_on": today, "currency": currencies[0]}
    data = request.POST if request.method == "POST" else request.GET
    bound = {name: data.get(name, "") for name in ("starts_on", "ends_on", "currency")}
    for name, value in initial.items():
        if not bound[name]:
            bound[name] = value.isoformat() if isinstance(value, dt.date) else value
    return StatementForm(bound, currencies=currencies)


def _statement(request: HttpRequest, customer: Customer, form: StatementForm) -> selectors.Statement:
    data = form.cleaned_data
    return selectors.customer_statement(
        company=request.company,
        customer=customer,
        starts_on=data["starts_on"],
        ends_on=data["ends_on"],
        currency=data["currency"],
        today=timezone.localdate(),
    )


@staff_view()
def statement(request: HttpRequest, pk: int) -> HttpResponse:
    customer = get_for_company(Customer, request.company, pk=pk)
    form = _statement_form(request, customer)
    found = _statement(request, customer, form) if form.is_valid() else None
    if found is not None and request.GET.get("format") == "pdf":
        body = payment_statements.statement_pdf(company=request.company, statement=found)
        response = HttpResponse(body, content_type="application/pdf")
        name = f"statement-{customer.pk}-{found.ends_on.isoformat()}.pdf"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    context = {
        "section": "customers",
        "customer": customer,
        "form": form,
        "statement": found,
        "query": _query_without(request, "format"),
        "recipient": payment_statements.statement_recipient(customer),
        "sent": payment_statements.statements_sent(company=request.company, customer=customer),
    }
    return render(request, "staff/overviews/statement.html", context)


@require_POST
@staff_view()  # a POST: an accountant or an administrator
def statement_send(request: HttpRequest, pk: int) -> HttpResponse:
    customer = get_for_company(Customer, request.company, pk=pk)
    form = _statement_form(request, customer)
    target = reverse("staff:customer_statement", args=[customer.pk])
    if not form.is_valid():
        messages.error(request, _("The period is not valid; correct it and send again."))
        return redirect(target)
    try:
        sent = payment_statements.statement_send(
            company=request.company,
            statement=_statement(request, customer, form),
            actor=request.user,
            outbox=distribution_selectors.mail_outbox_for(request.company),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The statement is sent to %(address)s.") % {"address": sent.recipient})
    query = f"starts_on={form.cleaned_data['starts_on']}&ends_on={form.cleaned_data['ends_on']}"
    return redirect(f"{target}?{query}&currency={form.cleaned_data['currency']}")
