"""The channels, registered by code (parties.models.Channel); one module a channel."""

from __future__ import annotations

from typing import Any

from fakturera.distribution.channels.base import Channel
from fakturera.distribution.channels.direct_debit import DirectDebitChannel
from fakturera.distribution.channels.email import EmailChannel
from fakturera.distribution.channels.export import ExportChannel
from fakturera.distribution.channels.letter import LetterChannel
from fakturera.distribution.channels.peppol import PeppolChannel
from fakturera.distribution.channels.portal import PortalChannel
from fakturera.distribution.channels.print import PrintChannel
from fakturera.distribution.reasons import Reason

REGISTRY: dict[str, Channel] = {
    channel.code: channel
    for channel in (
        EmailChannel(),
        LetterChannel(),
        PrintChannel(),
        PortalChannel(),
        PeppolChannel(),
        ExportChannel(),
        DirectDebitChannel(),
    )
}


def channel_for(code: str) -> Channel:
    return REGISTRY[code]


def channel_problem(code: str, facts: Any) -> Reason | None:
    """The channel's criteria for one invoice: what routing.route calls."""
    return REGISTRY[code].problem(facts)
