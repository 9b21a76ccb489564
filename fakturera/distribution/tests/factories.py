"""Set-up for the distribution tests: companies with channels, issued invoices."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db.models import QuerySet

from fakturera.distribution.models import DistributionSettings
from fakturera.distribution.selectors import sendings
from fakturera.distribution.services import channel_setting_save, distribution_settings_save
from fakturera.distribution.transports.testing import FakeService
from fakturera.invoicing.models import Invoice
from fakturera.parties.models import Channel, Company


def email_channel(company: Company, port: int, *, default: bool = True, undo_minutes: int = 5, **general: Any) -> None:
    channel_setting_save(
        company=company,
        channel=Channel.EMAIL,
        is_active=True,
        options={"host": "127.0.0.1", "port": port, "security": "none", "from_email": "faktura@klinik.example"},
    )
    if default:
        distribution_settings_save(
            company=company,
            default_channel=Channel.EMAIL,
            reserve_channel=general.get("reserve_channel", ""),
            reminder_channel=general.get("reminder_channel", ""),
            undo_minutes=undo_minutes,
        )


def general(company: Company) -> DistributionSettings:
    return DistributionSettings.objects.get(company=company)


def service_channel(
    company: Company,
    channel: str,
    service: FakeService,
    *,
    default: bool = True,
    reserve: str = "",
    undo_minutes: int = 5,
) -> None:
    """The letter or Peppol channel pointed at a fake service on loopback (transports.testing)."""
    channel_setting_save(
        company=company, channel=channel, is_active=True, options={"base_url": service.url}, secret=service.api_key
    )
    if default:
        distribution_settings_save(
            company=company,
            default_channel=channel,
            reserve_channel=reserve,
            reminder_channel="",
            undo_minutes=undo_minutes,
        )


def sending_statuses(invoices: QuerySet[Invoice]) -> dict[int, str]:
    """Each invoice's sending status, read as the invoice pages read it (selectors.sendings)."""
    by_company: dict[int, list[int]] = defaultdict(list)
    for invoice_id, company_id in invoices.values_list("pk", "company_id"):
        by_company[company_id].append(invoice_id)
    return {
        invoice_id: sending.status
        for company_id, ids in by_company.items()
        for invoice_id, sending in sendings(company=company_id, invoice_ids=ids).items()
    }
