"""The one rounding rule (totals.py), checked by hand-worked cases and properties."""

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from fakturera.catalog.vat import VatKey
from fakturera.invoicing.totals import LineInput, compute_totals

S25, S12, S6, E = (
    VatKey("S", Decimal("25")),
    VatKey("S", Decimal("12")),
    VatKey("S", Decimal("6")),
    VatKey("E", Decimal("0")),
)


def line(quantity: str, price: str, key: VatKey = S25) -> LineInput:
    return LineInput(Decimal(quantity), Decimal(price), key)


def test_line_amounts_are_rounded_half_up_before_they_are_added():
    totals = compute_totals(lines=[line("3", "0.335"), line("1", "0.005")], currency="SEK")
    assert totals.line_net_amounts == (Decimal("1.01"), Decimal("0.01"))
    assert totals.net_amount == Decimal("1.02")


def test_vat_is_computed_once_per_rate_on_the_sum_not_per_line():
    # Per line, 25 % of 0.10 is 0.025 -> 0.03 three times = 0.09; on the sum it is 0.075 -> 0.08.
    totals = compute_totals(lines=[line("1", "0.10")] * 3, currency="SEK")
    assert totals.vat_amount == Decimal("0.08")


def test_mixed_rates_and_exempt_lines():
    totals = compute_totals(
        lines=[line("2", "400"), line("1", "89.90", S12), line("3", "129", S6), line("1", "950", E)],
        currency="SEK",
    )
    assert [(g.key, g.taxable_amount, g.vat_amount) for g in totals.vat_groups] == [
        (S25, Decimal("800.00"), Decimal("200.00")),
        (S12, Decimal("89.90"), Decimal("10.79")),
        (S6, Decimal("387.00"), Decimal("23.22")),
        (E, Decimal("950.00"), Decimal("0.00")),
    ]
    assert totals.net_amount == Decimal("2226.90")
    assert totals.vat_amount == Decimal("234.01")
    assert totals.total_amount == Decimal("2460.91")
    assert totals.rounding_amount == Decimal("0.00")


def test_rounding_to_whole_units_is_its_own_amount():
    totals = compute_totals(lines=[line("1", "99.60")], currency="SEK", round_to_whole=True)
    assert totals.net_amount + totals.vat_amount == Decimal("124.50")
    assert totals.rounding_amount == Decimal("0.50")
    assert totals.total_amount == Decimal("125.00")


amounts = st.decimals(min_value=Decimal("0"), max_value=Decimal("100000"), places=4)
quantities = st.decimals(min_value=Decimal("0.001"), max_value=Decimal("1000"), places=3)
keys = st.sampled_from([S25, S12, S6, E])


@given(st.lists(st.builds(LineInput, quantities, amounts, keys), min_size=1, max_size=30), st.booleans())
def test_totals_are_exact_sums_of_rounded_parts(lines, round_to_whole):
    totals = compute_totals(lines=lines, currency="SEK", round_to_whole=round_to_whole)
    assert totals.net_amount == sum(totals.line_net_amounts)  # BR-CO-10
    assert totals.net_amount == sum(g.taxable_amount for g in totals.vat_groups)
    assert totals.vat_amount == sum(g.vat_amount for g in totals.vat_groups)
    assert totals.total_amount == totals.net_amount + totals.vat_amount + totals.rounding_amount
    assert abs(totals.rounding_amount) <= Decimal("0.50")
    if round_to_whole:
        assert totals.total_amount == totals.total_amount.to_integral_value()
    for value in (totals.net_amount, totals.vat_amount, totals.total_amount, *totals.line_net_amounts):
        assert value == value.quantize(Decimal("0.01"))
