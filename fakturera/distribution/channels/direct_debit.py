"""Direct debit (Autogiro): only with an active mandate; the invoice becomes a payment
order for the run's Bankgirot file (`fakturera.autogiro`, the transports branch).
Adding the order is idempotent per invoice and happens in the transaction that records
the delivery, so it is never uncertain."""

from __future__ import annotations

import importlib
from typing import Any

from django.utils.translation import gettext as _

from fakturera.distribution.channels.base import Channel, Job, Outcome, PermanentError, Session, not_available
from fakturera.parties.models import Channel as ChannelCode


def autogiro() -> Any | None:
    try:
        return importlib.import_module("fakturera.autogiro.services")
    except ImportError:
        return None


def mandates_active(customers: list[Any]) -> dict[int, bool]:
    """Whether each customer has an active mandate; empty without the autogiro app."""
    services = autogiro()
    if services is None or not customers:
        return {}
    return {customer.pk: bool(services.mandate_active_for(customer)) for customer in customers}


class DirectDebitChannel(Channel):
    code = ChannelCode.DIRECT_DEBIT
    needs_pdf = False
    is_local = True
    chunk_size = 500

    def unavailable(self) -> str | None:
        return None if autogiro() is not None else not_available(ChannelCode.DIRECT_DEBIT.label)

    def problem(self, facts: Any) -> str | None:
        if autogiro() is None:
            return not_available(ChannelCode.DIRECT_DEBIT.label)
        if not facts.has_mandate:
            return _("%(name)s has no active Autogiro mandate.") % {"name": facts.recipient.name}
        return None

    def open(self, **kwargs: Any) -> Session:
        return DirectDebitSession()


class DirectDebitSession(Session):
    def send(self, jobs: list[Job]) -> list[Outcome]:
        services = autogiro()
        if services is None:
            error = PermanentError(not_available(ChannelCode.DIRECT_DEBIT.label))
            return [Outcome(job.delivery.pk, error=error) for job in jobs]
        services.payment_orders_add([job.invoice for job in jobs])
        return [Outcome(job.delivery.pk, reference=_("payment order")) for job in jobs]
