"""Routing and recipient: pure functions over small dataclasses, no database.

Seed 003: the customer's chosen channel; if that channel is not active for the issuing
company, the company's default channel; if the invoice does not meet the channel's
criteria, the company's reserve channel; if that does not fit either, the invoice stays
unsent with the reason in its history. Reminders go by the company's reminder channel
(print, e-mail or letter), with the reserve channel when it is one of those.

Recipient: with the company setting "invoice a person's organisation" on, the
organisation's invoice reference, then the organisation, then the person; the invoice's
own e-mail field overrides, and an empty one derives the address again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from fakturera.distribution.reasons import Reason, reason
from fakturera.parties.models import Channel

REMINDER_CHANNELS = frozenset({Channel.PRINT, Channel.EMAIL, Channel.LETTER})


@dataclass(frozen=True)
class PostalAddress:
    name: str
    lines: tuple[str, ...]
    postal_code: str
    city: str
    country: str


@dataclass(frozen=True)
class Party:
    """A customer as routing sees it."""

    name: str
    email: str = ""
    address: PostalAddress | None = None
    is_organisation: bool = False
    peppol_id: str = ""


@dataclass(frozen=True)
class Recipient:
    name: str
    email: str
    address: PostalAddress | None
    is_organisation: bool
    peppol_id: str


def recipient_for(
    *,
    customer: Party,
    organisation: Party | None = None,
    organisation_reference: Party | None = None,
    is_invoicing_organisation_of_person: bool = False,
    invoice_email: str = "",
    customer_reference: Party | None = None,
) -> Recipient:
    """Who the invoice goes to. `organisation` is the person's organisation (used with
    the company setting on); `customer_reference` is the invoice reference of a customer
    that is an organisation itself."""
    if is_invoicing_organisation_of_person and organisation is not None and not customer.is_organisation:
        chain = [p for p in (organisation_reference, organisation, customer) if p is not None]
        addressee = organisation
    elif customer.is_organisation:
        chain = [p for p in (customer_reference, customer) if p is not None]
        addressee = customer
    else:
        chain = [customer]
        addressee = customer
    email = invoice_email.strip() or next((party.email for party in chain if party.email), "")
    # A letter goes to the addressee's postal address, else to the first one known in the chain.
    address = addressee.address or next((party.address for party in chain if party.address is not None), None)
    return Recipient(
        name=addressee.name,
        email=email,
        address=address,
        is_organisation=addressee.is_organisation,
        peppol_id=addressee.peppol_id,
    )


@dataclass(frozen=True)
class Facts:
    """What the channels' criteria look at, for one invoice."""

    recipient: Recipient
    is_peppol_registered: bool | None = None  # None: not looked up (no Peppol channel in play)
    has_mandate: bool | None = None
    is_reminder: bool = False
    is_credit_note: bool = False  # money goes back: never collected by direct debit


@dataclass(frozen=True)
class CompanyChannels:
    active: frozenset[str]
    default: str = ""
    reserve: str = ""
    reminder: str = ""


@dataclass(frozen=True)
class Route:
    channel: str | None
    # Why the customer's channel was not used (or, with no channel, why it stays unsent).
    reason: Reason | None = None
    notes: tuple[Reason, ...] = field(default_factory=tuple)


Problem = Callable[[str, Facts], "Reason | None"]


def route(*, preferred: str, company: CompanyChannels, facts: Facts, problem: Problem, chosen: str = "") -> Route:
    """The channel of one invoice. `problem(channel, facts)` is the channel's criteria
    (channels.channel_problem); `chosen` a channel staff picked in the Send dialog,
    which is used as it is or not at all."""
    if chosen:
        if chosen not in company.active:
            return Route(None, reason=reason("channel_inactive", c=chosen))
        trouble = problem(chosen, facts)
        return Route(chosen) if trouble is None else Route(None, reason=trouble)
    if facts.is_reminder:
        return _route_reminder(company, facts, problem)
    notes: list[Reason] = []
    channel = preferred if preferred in company.active else ""
    if preferred and not channel:
        notes.append(reason("customer_channel_inactive", c=preferred))
    channel = channel or (company.default if company.default in company.active else "")
    if not channel:
        return Route(None, reason=reason("no_active_channel"))
    trouble = problem(channel, facts)
    if trouble is None:
        return Route(channel, notes=tuple(notes))
    reserve = company.reserve if company.reserve in company.active else ""
    if reserve and reserve != channel and problem(reserve, facts) is None:
        return Route(reserve, reason=trouble, notes=(*notes, reason("by_reserve", r=trouble)))
    return Route(None, reason=trouble, notes=tuple(notes))


def _route_reminder(company: CompanyChannels, facts: Facts, problem: Problem) -> Route:
    channel = company.reminder if company.reminder in company.active else ""
    if not channel:
        return Route(None, reason=reason("no_reminder_channel"))
    trouble = problem(channel, facts)
    if trouble is None:
        return Route(channel)
    reserve = company.reserve if company.reserve in company.active and company.reserve in REMINDER_CHANNELS else ""
    if reserve and reserve != channel and problem(reserve, facts) is None:
        return Route(reserve, reason=trouble, notes=(reason("by_reserve", r=trouble),))
    return Route(None, reason=trouble)
