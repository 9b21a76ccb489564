"""Bank files: the upload, the list of imports and each import's record with every line of the
file (the payments it booked and the lines it skipped, with why). The import itself is
payments.importing's: one transaction, all or nothing."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_POST

from fakturera.core.errors import DomainError
from fakturera.parties.tenancy import get_for_company, staff_view
from fakturera.payments import selectors
from fakturera.payments.files import FileRefused
from fakturera.payments.importing import payments_import, refusal_message
from fakturera.payments.models import PaymentImport
from fakturera.staff.forms.payment_imports import BankFileForm
from fakturera.staff.listing import Column, paginate

PAGE_SIZE = 25
LINES_PER_PAGE = 100
IMPORT_COLUMNS = [
    Column("created_at", _l("When"), ("created_at",)),
    Column("created_by", _l("By"), ("created_by__username",)),
    Column("filename", _l("File"), ("filename",)),
    Column("format", _l("Format"), ("format", "version")),
    Column("account", _l("Account"), ("account",)),
    Column("booked", _l("Booked"), ("booked_count",), css="num"),
    Column("matched", _l("Matched"), ("matched_count",), css="num"),
    Column("unmatched", _l("Unmatched"), ("unmatched_count",), css="num"),
    Column("skipped", _l("Already booked"), ("skipped_count",), css="num"),
    Column("ignored", _l("Not incoming"), ("ignored_count",), css="num"),
    Column("totals", _l("Total"), (), css="num"),
]


def _list(request: HttpRequest, form: BankFileForm, *, refusal: str = "", status: int = 200) -> HttpResponse:
    qs = selectors.payment_imports_of(company=request.company)
    listing = paginate(request, qs, columns=IMPORT_COLUMNS, default_sort="-created_at", per_page=PAGE_SIZE)
    for record in listing.page.object_list:
        record.total_amounts = selectors.totals_of(record.totals)
    context = {"section": "payments", "listing": listing, "form": form, "refusal": refusal}
    return render(request, "staff/payment_imports/list.html", context, status=status)


@staff_view()
def import_list(request: HttpRequest) -> HttpResponse:
    return _list(request, BankFileForm())


@staff_view()
@require_POST
def import_upload(request: HttpRequest) -> HttpResponse:
    form = BankFileForm(request.POST, request.FILES)
    if not form.is_valid():
        return _list(request, form, status=400)
    upload = form.cleaned_data["file"]
    try:
        record = payments_import(
            source=upload.file, filename=upload.name or "", actor=request.user, company=request.company
        )
    except FileRefused as exc:
        return _list(request, form, refusal=_refusal(exc), status=400)
    except DomainError as exc:
        return _list(request, form, refusal=exc.message, status=400)
    if record.same_file_as_id is not None:
        messages.warning(
            request,
            _(
                "%(file)s was imported before, byte for byte: nothing was booked again "
                "(%(skipped)s lines already booked)."
            )
            % {"file": record.filename, "skipped": record.skipped_count},
        )
        return redirect("staff:payment_import_detail", pk=record.pk)
    messages.success(
        request,
        _("%(file)s was imported. Booked: %(booked)s, not matched: %(unmatched)s, already booked: %(skipped)s.")
        % {
            "file": record.filename,
            "booked": record.booked_count,
            "unmatched": record.unmatched_count,
            "skipped": record.skipped_count,
        },
    )
    return redirect("staff:payment_import_detail", pk=record.pk)


def _refusal(exc: FileRefused) -> str:
    """The refusal in the user's language, naming the line or element where the file is wrong."""
    message = refusal_message(exc)
    where = []
    if exc.line is not None:
        where.append(_("line %(line)s") % {"line": exc.line})
    if exc.path:
        where.append(exc.path)
    if where and not any(part in message for part in where):
        message = _("%(message)s (at %(where)s)") % {"message": message, "where": ", ".join(where)}
    return _("The file was not imported; nothing was booked. %(reason)s") % {"reason": message}


SKIPPED_REASONS: dict[str, Any] = {
    "already_booked": _l("Already booked"),
    "debit": _l("A debit (money out), not a payment"),
    "reversal": _l("A reversal by the bank"),
    "not_booked": _l("Not booked by the bank yet"),
    "no_amount": _l("No amount in the file's currency"),
    "zero_amount": _l("Zero amount"),
    # An Autogiro report's lines (payments.autogiro_results)
    "payout": _l("A payout, not a collection"),
    "refund": _l("Money returned to the payer"),
    "already_reported": _l("Already reported in an earlier report"),
    "no_order": _l("No payment order of ours"),
    "stopped": _l("Collection stopped by Bankgirot"),
    "rejected": _l("Payment order rejected by Bankgirot"),
}


@staff_view()
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    record = get_for_company(PaymentImport.objects.select_related("created_by", "same_file_as"), request.company, pk=pk)
    payments = Paginator(selectors.payment_import_lines(record=record), LINES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    skipped = Paginator(selectors.payment_import_skipped(record=record), LINES_PER_PAGE).get_page(
        request.GET.get("skipped_page")
    )
    skipped.object_list = list(skipped.object_list)  # the page's lines only, read once
    for line in skipped.object_list:
        line["reason_text"] = SKIPPED_REASONS.get(line.get("reason", ""), line.get("reason", ""))
    context = {
        "section": "payments",
        "record": record,
        "total_amounts": selectors.totals_of(record.totals),
        "payments": payments,
        "skipped": skipped,
        "payment_links": _page_links(request, "page", payments),
        "skipped_links": _page_links(request, "skipped_page", skipped),
    }
    return render(request, "staff/payment_imports/detail.html", context)


def _page_links(request: HttpRequest, name: str, page: Page) -> dict[str, str]:
    """The previous and next page of one of the two line lists, the other's page kept."""

    def url(number: int) -> str:
        query = request.GET.copy()
        query[name] = str(number)
        return f"?{query.urlencode()}"

    return {
        "previous": url(page.previous_page_number()) if page.has_previous() else "",
        "next": url(page.next_page_number()) if page.has_next() else "",
    }
