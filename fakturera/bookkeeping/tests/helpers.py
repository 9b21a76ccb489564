"""What the bookkeeping tests read back: vouchers as plain data, each checked to balance."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from fakturera.bookkeeping.models import Voucher, VoucherLine


def lines_of(voucher: Voucher) -> list[tuple[str, Decimal, str]]:
    return [(line.account, line.amount, line.text) for line in voucher.lines.order_by("position")]


def accounts_of(voucher: Voucher) -> dict[str, Decimal]:
    """Account -> the voucher's sum on it."""
    sums: dict[str, Decimal] = defaultdict(Decimal)
    for account, amount, _text in lines_of(voucher):
        sums[account] += amount
    return {account: amount for account, amount in sums.items() if amount}


def assert_every_voucher_balances(company) -> int:
    """Each voucher's lines add up to zero, voucher by voucher; returns how many there are."""
    sums: dict[int, Decimal] = defaultdict(Decimal)
    for voucher_id, amount in VoucherLine.objects.filter(voucher__company=company).values_list("voucher_id", "amount"):
        sums[voucher_id] += amount
    count = Voucher.objects.filter(company=company).count()
    assert len(sums) == count, "a voucher without lines"
    for voucher_id, total in sums.items():
        assert total == 0, f"voucher {Voucher.objects.get(pk=voucher_id)} does not balance: {total}"
    return count


def balance(company, account: str, *, currency: str | None = None) -> Decimal:
    """The account's balance; with `currency`, only of the vouchers in it ("" the books' own)."""
    lines = VoucherLine.objects.filter(voucher__company=company, account=account)
    if currency is not None:
        lines = lines.filter(voucher__currency=currency)
    return sum(lines.values_list("amount", flat=True), Decimal("0.00"))
