"""Peppol e-invoice: the UBL to an access point (such as Pagero) through
`distribution.transports.peppol` (which documents the requests), after checking that the
receiver is registered. Idempotent by key, like the letter."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from fakturera.core import net
from fakturera.distribution.channels.base import Channel, Job, Receipt, ServiceSession, Session, TransportError
from fakturera.distribution.models import ChannelSetting
from fakturera.distribution.reasons import Reason, reason
from fakturera.distribution.routing import Facts
from fakturera.distribution.transports.peppol import peppol_receiver_registered, peppol_send
from fakturera.parties.models import Channel as ChannelCode
from fakturera.parties.models import Company

LOOKUP_TIMEOUT = 10  # one registration look-up, in all
LOOKUP_SECONDS = 20  # all the look-ups of one send


class PeppolChannel(Channel):
    code = ChannelCode.PEPPOL
    needs_pdf = False
    needs_ubl = True
    takes_idempotency_key = True
    chunk_size = 20

    def problem(self, facts: Facts) -> Reason | None:
        if not facts.recipient.peppol_id:
            return reason("no_peppol_id", name=facts.recipient.name)
        if facts.is_peppol_registered is False:
            return reason("peppol_unregistered", name=facts.recipient.name, id=facts.recipient.peppol_id)
        return None

    def settings_problem(self, setting: ChannelSetting) -> str | None:
        if not setting.options.get("base_url") or not setting.secret:
            return _("The access point needs its address and API key.")
        if not setting.company.peppol_id:
            return _("Enter the company's own Peppol ID (in the company settings) first: it is the sender.")
        return None

    def open(self, *, company: Company, settings: dict[str, ChannelSetting], **kwargs: Any) -> Session:
        return PeppolSession(company, settings.get(ChannelCode.PEPPOL))


def receivers_registered(*, setting: ChannelSetting | None, participant_ids: set[str]) -> dict[str, bool]:
    """Whether each receiver is registered: one look-up per distinct participant, so a send of
    many invoices to one receiver asks once. A look-up that fails leaves the receiver out
    (unknown): the channel is tried, and the access point refuses an unknown receiver."""
    if setting is None:
        return {}
    found = {}
    # All the look-ups of one send share one deadline (staff wait for them): when it is
    # spent, the rest stay unknown.
    budget = net.Deadline(LOOKUP_SECONDS)
    for participant_id in sorted(participant_ids):
        left = budget.remaining()
        if left <= 0:
            break
        try:
            found[participant_id] = peppol_receiver_registered(
                base_url=setting.options.get("base_url", ""),
                api_key=setting.secret,
                participant_id=participant_id,
                timeout=min(LOOKUP_TIMEOUT, left),
            )
        except TransportError:
            continue
    return found


class PeppolSession(ServiceSession):
    def __init__(self, company: Company, setting: ChannelSetting | None) -> None:
        super().__init__(setting)
        self.sender_id = company.peppol_id

    def deliver(self, job: Job) -> Receipt:
        return peppol_send(
            base_url=self.base_url,
            api_key=self._api_key,
            ubl=job.ubl or b"",
            sender_id=self.sender_id,
            receiver_id=job.delivery.address.get("peppol_id", ""),
            document_kind="credit_note" if job.invoice.is_credit_note else "invoice",
            idempotency_key=str(job.delivery.idempotency_key),
        )
