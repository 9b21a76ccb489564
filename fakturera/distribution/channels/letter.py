"""Letter: the PDF and the postal address to a central print service (such as 21 Grams)
through `distribution.transports.letter` (the request format is documented there). The
service takes an idempotency key: a repeat after a dead worker is recognised, so it is
retried rather than left uncertain."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from fakturera.distribution.channels.base import Channel, Job, Receipt, ServiceSession, Session
from fakturera.distribution.models import ChannelSetting
from fakturera.distribution.reasons import Reason, reason
from fakturera.distribution.routing import Facts
from fakturera.distribution.transports.letter import LetterAddress, letter_address_problem, letter_send
from fakturera.parties.models import Channel as ChannelCode


def letter_address(address: dict[str, Any]) -> LetterAddress:
    """The transport's address from a delivery's stored one (services._delivery_address)."""
    return LetterAddress(
        name=address.get("name", ""),
        lines=list(address.get("lines", [])),
        postal_code=address.get("postal_code", ""),
        city=address.get("city", ""),
        country=address.get("country") or "SE",
    )


class LetterChannel(Channel):
    code = ChannelCode.LETTER
    takes_idempotency_key = True
    chunk_size = 20

    def problem(self, facts: Facts) -> Reason | None:
        address = facts.recipient.address
        if address is None:
            return reason("no_postal_address", name=facts.recipient.name)
        return letter_address_problem(
            LetterAddress(
                name=address.name,
                lines=list(address.lines),
                postal_code=address.postal_code,
                city=address.city,
                country=address.country,
            )
        )

    def settings_problem(self, setting: ChannelSetting) -> str | None:
        if not setting.options.get("base_url") or not setting.secret:
            return _("The letter service needs its address and API key.")
        return None

    def open(self, *, settings: dict[str, ChannelSetting], **kwargs: Any) -> Session:
        return LetterSession(settings.get(ChannelCode.LETTER))


class LetterSession(ServiceSession):
    def deliver(self, job: Job) -> Receipt:
        return letter_send(
            base_url=self.base_url,
            api_key=self._api_key,
            pdf=job.pdf or b"",
            address=letter_address(job.delivery.address),
            reference=job.invoice.display_number,
            idempotency_key=str(job.delivery.idempotency_key),
        )
