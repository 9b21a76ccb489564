"""Routing and recipient: pure functions over small dataclasses, no database.

Seed 003: the customer's chosen channel; if that channel is not active for the issuing
company, the company's default channel; if the invoice does not meet the channel's
criteria, the company's reserve channel; if that does not fit either, the invoice stays
unsent with the reason in its history. Reminders go by the company's reminder channel
(print, e-mail or letter), with the reserve channel when it is one of those.

Recipient: parties.recipients decides it, for the paper and the delivery alike (with the
company setting "invoice a person's organisation" on, the organisation's invoice reference,
then the organisation, then the person); the invoice's own e-mail field overrides, and an
empty one derives the address again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from fakturera.distribution.reasons import Reason, reason
from fakturera.parties.models import Channel
from fakturera.parties.recipients import Party, PostalAddress, Recipient, recipient_for

__all__ = ["CompanyChannels", "Facts", "Party", "PostalAddress", "Recipient", "Route", "recipient_for", "route"]

REMINDER_CHANNELS = frozenset({Channel.PRINT, Channel.EMAIL, Channel.LETTER})


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
    which is used as it is or not at all (the reason is then that channel's own). With
    no channel otherwise, the reason names every channel tried and why each could not
    take the invoice (`no_channel`)."""
    if chosen:
        if chosen not in company.active:
            return Route(None, reason=reason("channel_inactive", c=chosen))
        trouble = problem(chosen, facts)
        # One channel was tried, the one staff chose: its own reason says why not.
        return Route(chosen) if trouble is None else Route(None, reason=trouble)
    if facts.is_reminder:
        return _route_reminder(company, facts, problem, preferred=preferred)
    notes: list[Reason] = []
    tried: list[tuple[str, Reason]] = []
    channel = preferred if preferred in company.active else ""
    if preferred and not channel:
        notes.append(reason("customer_channel_inactive", c=preferred))
        tried.append((preferred, reason("channel_inactive", c=preferred)))
    channel = channel or (company.default if company.default in company.active else "")
    if not channel:
        return Route(None, reason=reason("no_active_channel"))
    trouble = problem(channel, facts)
    if trouble is None:
        return Route(channel, notes=tuple(notes))
    tried.append((channel, trouble))
    return _by_reserve(company, facts, problem, trouble=trouble, tried=tried, notes=notes, allowed=None)


def _by_reserve(
    company: CompanyChannels,
    facts: Facts,
    problem: Problem,
    *,
    trouble: Reason,
    tried: list[tuple[str, Reason]],
    notes: list[Reason],
    allowed: frozenset[str] | None,
) -> Route:
    """The reserve channel, when the first one could not take the invoice; else no channel,
    with every channel tried."""
    reserve = company.reserve
    if reserve and reserve not in {channel for channel, _why in tried} and (allowed is None or reserve in allowed):
        if reserve not in company.active:
            tried.append((reserve, reason("channel_inactive", c=reserve)))
        elif (reserve_trouble := problem(reserve, facts)) is None:
            return Route(reserve, reason=trouble, notes=(*notes, reason("by_reserve", r=trouble)))
        else:
            tried.append((reserve, reserve_trouble))
    return Route(None, reason=_no_channel(tried), notes=tuple(notes))


def _no_channel(tried: list[tuple[str, Reason]]) -> Reason:
    return reason("no_channel", tried=[reason("tried_channel", c=channel, r=why) for channel, why in tried])


def _route_reminder(company: CompanyChannels, facts: Facts, problem: Problem, *, preferred: str = "") -> Route:
    if preferred == Channel.PEPPOL:
        # Peppol has no reminder document (BIS Billing 3 carries invoices and credit notes): a
        # Peppol customer's reminder goes by the reserve channel, as an invoice Peppol cannot
        # take does, else by the reminder channel; the history says so.
        for channel in (company.reserve, company.reminder):
            if channel in REMINDER_CHANNELS and channel in company.active and problem(channel, facts) is None:
                return Route(channel, notes=(reason("peppol_no_reminder", c=channel),))
    channel = company.reminder if company.reminder in company.active else ""
    if not channel:
        return Route(None, reason=reason("no_reminder_channel"))
    trouble = problem(channel, facts)
    if trouble is None:
        return Route(channel)
    return _by_reserve(
        company, facts, problem, trouble=trouble, tried=[(channel, trouble)], notes=[], allowed=REMINDER_CHANNELS
    )
