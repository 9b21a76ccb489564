"""Downloads of stored invoice documents, and the merged print PDF of a selection."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from fakturera.documents.models import DocumentFormat
from fakturera.documents.services import document_bytes, document_get, documents_merged_pdf
from fakturera.invoicing.models import Invoice
from fakturera.invoicing.states import InvoiceStatus
from fakturera.parties.models import PdfTemplate
from fakturera.parties.tenancy import get_for_company, staff_view

CONTENT_TYPES = {DocumentFormat.PDF: "application/pdf", DocumentFormat.UBL: "application/xml"}
ISSUED = (InvoiceStatus.ISSUED, InvoiceStatus.CREDITED)


@require_GET
@staff_view()
def invoice_document(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """The stored bytes, the same on every download (the ETag is their SHA-256)."""
    invoice = get_for_company(Invoice, request.company, pk=pk)
    template = request.GET.get("template") or None
    if fmt not in DocumentFormat.values or (template and template not in PdfTemplate.values):
        raise Http404
    if invoice.status not in ISSUED:
        messages.error(request, _("A draft has no documents yet; issue it first."))
        return redirect("staff:invoice_detail", pk=invoice.pk)
    document = document_get(invoice=invoice, fmt=fmt, template=template)
    response = HttpResponse(document_bytes(document), content_type=CONTENT_TYPES[fmt])
    disposition = "inline" if fmt == DocumentFormat.PDF else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{document.filename}"'
    response["ETag"] = f'"{document.sha256}"'
    return response


@require_POST
@staff_view(role="read_only", write=False)
def print_selection(request: HttpRequest) -> HttpResponse:
    """One PDF of the selected invoices, in number order, for the company's own printer."""
    ids = [int(value) for value in request.POST.getlist("invoice") if value.isdigit()]
    invoices = list(
        Invoice.objects.filter(company=request.company, pk__in=ids, status__in=ISSUED)
        .select_related("company")
        .order_by("number")
    )
    if not invoices:
        messages.error(request, _("Select at least one issued invoice to print."))
        return redirect("staff:invoice_list")
    response = HttpResponse(documents_merged_pdf(invoices=invoices), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="fakturor-{invoices[0].number}-{invoices[-1].number}.pdf"'
    return response
