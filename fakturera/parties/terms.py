"""Payment terms with an early-payment cash discount (seed 004: "a discount for customers
who pay early"; such as 2 % within 10 days, net 30).

Pure: the one check of a discount's percent, its period and the net days, asked by the
company's and the customers' settings (parties.services) and by every invoice, at draft
and at issue (invoicing); and which discount a new invoice gets by default.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from fakturera.core.errors import DomainError

NO_DISCOUNT = (Decimal("0.00"), 0)
PERCENT_PLACES = Decimal("0.01")
MAX_DISCOUNT_DAYS = 365


def clean_discount_percent(value: object, *, field: str = "cash_discount_percent") -> Decimal:
    """A percent as typed ("2", "2,5", Decimal): at least 0, below 100, at most two decimals."""
    if isinstance(value, float):
        value = repr(value)  # floats never carry money: 0.1 is not 0.1
    try:
        percent = Decimal(str(value).strip().replace(",", ".").replace("%", "").strip())
    except InvalidOperation:
        raise DomainError(_("The cash discount must be a number, such as 2 or 1.5."), field=field) from None
    if not percent.is_finite() or not Decimal(0) <= percent < Decimal(100):
        raise DomainError(_("The cash discount must be at least 0 and less than 100 percent."), field=field)
    if percent != percent.quantize(PERCENT_PLACES):
        raise DomainError(_("A cash discount has at most two decimals."), field=field)
    return percent.quantize(PERCENT_PLACES)


def clean_discount_days(value: object, *, field: str = "cash_discount_days") -> int:
    try:
        days = int(str(value).strip())
    except ValueError:
        raise DomainError(_("The discount period is a number of days."), field=field) from None
    if not 0 <= days <= MAX_DISCOUNT_DAYS:
        raise DomainError(_("The discount period is 0 to 365 days."), field=field)
    return days


def cash_discount_problem(*, percent: Decimal, days: int, terms_days: int) -> tuple[str, str] | None:
    """Why a discount of `percent` within `days` cannot go with `terms_days` net, as (field,
    message in the user's language), or None when it can. A discount needs a period of at
    least a day, and its period ends before the due date (otherwise it is a price cut)."""
    if percent <= 0:
        return None
    if days < 1:
        return "cash_discount_days", _("A cash discount needs a period of at least one day.")
    if days >= terms_days:
        return "cash_discount_days", _(
            "The discount period (%(days)s days) must end before the due date (%(terms)s days net)."
        ) % {"days": days, "terms": terms_days}
    return None


def check_cash_discount(*, percent: Decimal, days: int, terms_days: int) -> None:
    problem = cash_discount_problem(percent=percent, days=days, terms_days=terms_days)
    if problem is not None:
        raise DomainError(problem[1], field=problem[0], code="cash_discount_refused")


def effective_discount(
    *, own_percent: Decimal | None, own_days: int | None, company_percent: Decimal, company_days: int
) -> tuple[Decimal, int]:
    """A customer's discount: each of its overrides, or the company's (empty = the company's)."""
    return (
        company_percent if own_percent is None else own_percent,
        company_days if own_days is None else own_days,
    )


def default_discount(
    *,
    own_percent: Decimal | None,
    own_days: int | None,
    company_percent: Decimal,
    company_days: int,
    terms_days: int,
) -> tuple[Decimal, int]:
    """The discount a new invoice of the customer gets unless one is given: the customer's or
    the company's, left out (0 %) when it does not fit the invoice's terms (a customer whose
    terms are shorter than the company's discount period). A discount given is checked."""
    percent, days = effective_discount(
        own_percent=own_percent, own_days=own_days, company_percent=company_percent, company_days=company_days
    )
    if percent <= 0 or cash_discount_problem(percent=percent, days=days, terms_days=terms_days) is not None:
        return NO_DISCOUNT
    return Decimal(percent), days


def percent_text(percent: Decimal | None) -> str:
    """A stored percent as a person writes it: 2.00 -> "2", 2.50 -> "2.5"; None -> ""."""
    if percent is None:
        return ""
    return f"{percent.normalize():f}"
