"""What an invoice's payments say, for the apps that may not import payments (documents renders
below it, distribution sits beside it): the payments app registers the answer in its
AppConfig.ready(), so "nothing to pay" on a PDF and "no reminder for a paid invoice" are decided
by the one app that knows, without documents or distribution knowing who answers. With no
provider (payments not installed) every invoice has no facts and is treated as unpaid."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class PaymentFacts:
    state: str  # unpaid, partly_paid, paid, overpaid
    open_amount: Decimal  # what is left to pay (negative: over-paid)
    prepaid_amount: Decimal  # paid from the customer's credit balance (BT-113 on the documents)

    @property
    def is_settled(self) -> bool:
        return self.open_amount <= 0 and self.state in ("paid", "overpaid")


Provider = Callable[[list[int]], dict[int, PaymentFacts]]
_providers: list[Provider] = []


def register(provider: Provider) -> None:
    if provider not in _providers:
        _providers.append(provider)


def payment_facts(invoice_ids: Iterable[int]) -> dict[int, PaymentFacts]:
    """The facts of those of `invoice_ids` that have any, in one query per provider."""
    ids = sorted(set(invoice_ids))
    found: dict[int, PaymentFacts] = {}
    if not ids:
        return found
    for provider in _providers:
        found.update(provider(ids))
    return found
