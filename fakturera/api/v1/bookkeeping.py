"""Bookkeeping for an accounting integration: the vouchers with their transactions, and the SIE 4
file and journal of a period, streamed (the same bytes as `fakturera sie` and `fakturera journal`:
bookkeeping.exports). Read-only keys may read all of it; another company's vouchers are never
seen (every read takes the key's company)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, StreamingHttpResponse
from django.utils import timezone
from ninja import Query, Router

from fakturera.api.v1.common import ERRORS, company_of
from fakturera.api.v1.schemas import JournalQuery, SieQuery, VoucherPage, VoucherQuery
from fakturera.bookkeeping import exports, selectors
from fakturera.core.xlsx import CONTENT_TYPE

vouchers = Router(tags=["bookkeeping"])
sie = Router(tags=["bookkeeping"])
journal = Router(tags=["bookkeeping"])

SIE_CONTENT_TYPE = "text/plain; charset=IBM437"
XLSX = CONTENT_TYPE
CSV = "text/csv; charset=utf-8"


def _binary(content_type: str, description: str) -> dict[str, Any]:
    media = content_type.split(";")[0]
    return {
        "responses": {
            200: {"description": description, "content": {media: {"schema": {"type": "string", "format": "binary"}}}}
        }
    }


@vouchers.get("", response={200: VoucherPage, **ERRORS}, summary="List vouchers with their transactions")
def voucher_index(request: HttpRequest, query: Query[VoucherQuery]) -> Any:
    company = company_of(request)
    found = selectors.voucher_list(company, date_from=query.date_from, date_to=query.date_to, series=query.series)
    ids = list(found.values_list("pk", flat=True)[query.offset : query.offset + query.limit])
    # The same shape as the voucher.created webhook's body: a voucher and its transactions.
    return {
        "count": found.count(),
        "limit": query.limit,
        "offset": query.offset,
        "items": list(selectors.voucher_data(company_id=company.pk, voucher_ids=ids)),
    }


@sie.get(
    "",
    response={200: None, **ERRORS},
    summary="The vouchers of a period as an SIE 4 file (code page 437), streamed",
    openapi_extra=_binary(SIE_CONTENT_TYPE, "The SIE 4 file, as `fakturera sie` writes it"),
)
def sie_get(request: HttpRequest, query: Query[SieQuery]) -> StreamingHttpResponse:
    company = company_of(request)
    # Checked before the first byte: a refusal is a 422, never half a file.
    period = exports.export_check(
        company=company, date_from=query.date_from, date_to=query.date_to, sie_type=query.type
    )
    chunks = exports.sie_file(company=company, period=period, sie_type=query.type, generated_on=timezone.localdate())
    return _attachment(chunks, SIE_CONTENT_TYPE, exports.sie_filename(company, period, query.type))


@journal.get(
    "",
    response={200: None, **ERRORS},
    summary="The journal of a period (one row per transaction) as CSV or XLSX, streamed",
    openapi_extra={
        "responses": {
            200: {
                "description": "The journal, as `fakturera journal` writes it",
                "content": {
                    "text/csv": {"schema": {"type": "string", "format": "binary"}},
                    XLSX: {"schema": {"type": "string", "format": "binary"}},
                },
            }
        }
    },
)
def journal_get(request: HttpRequest, query: Query[JournalQuery]) -> StreamingHttpResponse:
    company = company_of(request)
    period = exports.export_check(company=company, date_from=query.date_from, date_to=query.date_to)
    chunks = exports.journal_file(company=company, period=period, fmt=query.format, series=query.series)
    content_type = XLSX if query.format == "xlsx" else CSV
    return _attachment(chunks, content_type, exports.journal_filename(company, period, query.format))


def _attachment(chunks: Any, content_type: str, filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(chunks, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
