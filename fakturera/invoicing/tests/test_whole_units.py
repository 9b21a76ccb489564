"""Rounding to whole units (BT-114) only where the currency is settled in whole units:
SEK and NOK, never EUR or DKK (core.money.WHOLE_UNIT_CURRENCIES). Drafts, issued invoices
and the previews agree, as they all ask the one rule."""

from __future__ import annotations

from decimal import Decimal

import pytest

from fakturera.catalog.vat import VatKey
from fakturera.core.money import is_rounded_to_whole_units
from fakturera.invoicing.rules import figures
from fakturera.invoicing.services import invoice_issue
from fakturera.invoicing.tests.factories import draft_invoice, exchange_rates
from fakturera.invoicing.totals import LineInput, compute_totals

# 99.60 + 25 % VAT = 124.50: rounded to whole units 125.00, with 0.50 rounding.
LINE = LineInput(Decimal("1"), Decimal("99.60"), VatKey("S", Decimal("25")))


@pytest.mark.parametrize(
    ("currency", "rounding", "total"),
    [
        ("SEK", Decimal("0.50"), Decimal("125.00")),
        ("NOK", Decimal("0.50"), Decimal("125.00")),
        ("EUR", Decimal("0.00"), Decimal("124.50")),
        ("DKK", Decimal("0.00"), Decimal("124.50")),
    ],
)
def test_only_currencies_settled_in_whole_units_are_rounded(currency, rounding, total):
    totals = compute_totals(lines=[LINE], currency=currency, round_to_whole=True)

    assert (totals.rounding_amount, totals.total_amount) == (rounding, total)


def test_the_rule_needs_the_company_setting_too():
    assert is_rounded_to_whole_units("SEK", is_company_rounding=True)
    assert not is_rounded_to_whole_units("SEK", is_company_rounding=False)
    assert not is_rounded_to_whole_units("EUR", is_company_rounding=True)


@pytest.mark.django_db
@pytest.mark.parametrize(("currency", "total"), [("EUR", Decimal("124.50")), ("SEK", Decimal("125.00"))])
def test_a_draft_and_the_issued_invoice_agree(company, admin_user, currency, total):
    company.is_rounding_to_whole_units = True
    company.save()
    exchange_rates(company, on=None)  # issued today, below
    draft = draft_invoice(company, admin_user, "99.60", currency=currency)

    shown = figures(draft, list(draft.lines.all()), [], round_to_whole=company.is_rounding_to_whole_units)
    issued = invoice_issue(invoice=draft, actor=admin_user)

    assert shown.total_amount == issued.total_amount == total
    assert shown.rounding_amount == issued.rounding_amount
