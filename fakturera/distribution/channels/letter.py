"""Letter: the PDF and the postal address to a central print service (such as 21 Grams)
through `distribution.transports.letter` (the transports branch; the request format is
documented there). The service takes an idempotency key: a repeat after a dead worker
is recognised, so it is retried rather than left uncertain."""

from __future__ import annotations

import importlib
from typing import Any

from django.utils.translation import gettext as _

from fakturera.distribution.channels.base import (
    Channel,
    Job,
    Outcome,
    PermanentError,
    Session,
    TransportError,
    not_available,
)
from fakturera.distribution.models import ChannelSetting
from fakturera.parties.models import Channel as ChannelCode
from fakturera.parties.models import Company


def transport() -> Any | None:
    try:
        return importlib.import_module("fakturera.distribution.transports.letter")
    except ImportError:
        return None


def letter_address(transport_module: Any, address: dict[str, Any]) -> Any:
    return transport_module.LetterAddress(
        name=address.get("name", ""),
        lines=list(address.get("lines", [])),
        postal_code=address.get("postal_code", ""),
        city=address.get("city", ""),
        country=address.get("country", "SE"),
    )


class LetterChannel(Channel):
    code = ChannelCode.LETTER
    takes_idempotency_key = True
    chunk_size = 20

    def unavailable(self) -> str | None:
        return None if transport() is not None else not_available(ChannelCode.LETTER.label)

    def problem(self, facts: Any) -> str | None:
        module = transport()
        if module is None:
            return not_available(ChannelCode.LETTER.label)
        address = facts.recipient.address
        if address is None:
            return _("%(name)s has no postal address.") % {"name": facts.recipient.name}
        return module.letter_address_problem(
            letter_address(
                module,
                {
                    "name": address.name,
                    "lines": address.lines,
                    "postal_code": address.postal_code,
                    "city": address.city,
                    "country": address.country,
                },
            )
        )

    def settings_problem(self, setting: ChannelSetting) -> str | None:
        if not setting.options.get("base_url") or not setting.secret:
            return _("The letter service needs its address and API key.")
        return None

    def open(self, *, company: Company, settings: dict[str, ChannelSetting], **kwargs: Any) -> Session:
        return LetterSession(settings.get(ChannelCode.LETTER))


class LetterSession(Session):
    def __init__(self, setting: ChannelSetting | None):
        self.base_url = setting.options.get("base_url", "") if setting else ""
        self._api_key = setting.secret if setting else ""

    def send(self, jobs: list[Job]) -> list[Outcome]:
        module = transport()
        outcomes = []
        for job in jobs:
            if module is None:
                outcomes.append(Outcome(job.delivery.pk, error=PermanentError(not_available(ChannelCode.LETTER.label))))
                continue
            try:
                receipt = module.letter_send(
                    base_url=self.base_url,
                    api_key=self._api_key,
                    pdf=job.pdf,
                    address=letter_address(module, job.delivery.address),
                    reference=job.invoice.display_number,
                    idempotency_key=str(job.delivery.idempotency_key),
                )
            except TransportError as exc:
                outcomes.append(Outcome(job.delivery.pk, error=exc))
            else:
                outcomes.append(Outcome(job.delivery.pk, reference=receipt.reference))
        return outcomes
