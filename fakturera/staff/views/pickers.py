"""The pickers' options (staff/pickers.py): at most LIMIT matches of the active company
as an HTML fragment of <li role="option">, for fakturera.js's `data-picker`."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from fakturera.catalog.models import Product
from fakturera.core.text import search_term
from fakturera.parties.models import Customer
from fakturera.parties.tenancy import staff_view
from fakturera.payments.models import Receivable
from fakturera.staff.forms.basis import vat_value
from fakturera.staff.pickers import KINDS, LIMIT


def _detail(row: Any) -> str:
    if isinstance(row, Customer):
        return " · ".join(part for part in (row.org_number, row.email, row.city) if part)
    if isinstance(row, Product):
        return f"{row.unit_price.normalize():f} / {row.unit}"
    if isinstance(row, Receivable):
        return _("due %(date)s") % {"date": row.due_on.isoformat()}
    return row.email or ""


@require_GET
@staff_view()
def pick(request: HttpRequest, kind: str) -> HttpResponse:
    picker = KINDS[kind]
    term = search_term(request.GET.get("q", ""))
    rows = list(picker.matching(request.company, term)[: LIMIT + 1]) if term else []
    options = []
    for row in rows[:LIMIT]:
        option = {"pk": row.pk, "label": picker.label(row), "detail": _detail(row)}
        if isinstance(row, Product):
            price, vat = f"{row.unit_price.normalize():f}", vat_value(row.vat_category, row.vat_rate)
            option |= {"product": row, "price": price, "vat": vat}
        options.append(option)
    context = {"options": options, "q": term, "more": len(rows) > LIMIT, "limit": LIMIT}
    return render(request, "staff/pickers/_options.html", context)
