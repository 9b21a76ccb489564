"""Exchange rates: SEK per unit of EUR, NOK and DKK per day, as issuing reads them (a Swedish
seller's invoice in another currency with VAT states its VAT in SEK too). Stored by
invoicing.services.exchange_rates_save, which checks them all before writing any."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router

from fakturera.api.v1.common import ERRORS, IDEMPOTENT, WRITE_ERRORS, actor_of, company_of, page, write
from fakturera.api.v1.schemas import ExchangeRateOut, ExchangeRatePage, ExchangeRateQuery, ExchangeRatesIn
from fakturera.invoicing.models import ExchangeRate
from fakturera.invoicing.selectors import exchange_rate_list
from fakturera.invoicing.services import RateIn, exchange_rates_save

router = Router(tags=["exchange rates"])


@router.get("", response={200: ExchangeRatePage, **ERRORS}, summary="List exchange rates, newest first")
def exchange_rate_index(request: HttpRequest, query: Query[ExchangeRateQuery]) -> Any:
    qs = exchange_rate_list(company=company_of(request))
    if query.currency:
        qs = qs.filter(currency=query.currency)
    if query.rate_from:
        qs = qs.filter(rate_on__gte=query.rate_from)
    if query.rate_to:
        qs = qs.filter(rate_on__lte=query.rate_to)
    return page(qs.order_by("-rate_on", "currency", "pk"), limit=query.limit, offset=query.offset, item=_out)


@router.post(
    "",
    response={201: list[ExchangeRateOut], **WRITE_ERRORS},
    openapi_extra=IDEMPOTENT,
    summary="Store exchange rates (SEK per unit; a day's rate given again replaces it)",
)
def exchange_rates_post(request: HttpRequest, payload: ExchangeRatesIn) -> HttpResponse:
    company, actor = company_of(request), actor_of(request)
    rates = [RateIn(rate.currency, rate.rate_on, rate.rate) for rate in payload.rates]

    def action() -> list[dict[str, Any]]:
        saved = exchange_rates_save(company=company, actor=actor, rates=rates, source=ExchangeRate.Source.API)
        # The stored rows, ids included (an upsert's objects may lack the id of a replaced row).
        keys = {(row.currency, row.rate_on) for row in saved}
        stored = ExchangeRate.objects.filter(
            company=company, currency__in={c for c, _d in keys}, rate_on__in={d for _c, d in keys}
        )
        return [
            _out(row).model_dump()
            for row in stored.order_by("currency", "rate_on")
            if (row.currency, row.rate_on) in keys
        ]

    return write(request, status=201, action=action)


def _out(row: ExchangeRate) -> ExchangeRateOut:
    return ExchangeRateOut(id=row.pk, currency=row.currency, rate_on=row.rate_on, rate=row.rate, source=row.source)
