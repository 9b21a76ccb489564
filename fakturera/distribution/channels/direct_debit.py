"""Direct debit (Autogiro): only with an active mandate; the invoice becomes a payment
order for the run's Bankgirot file (`fakturera.autogiro`). Adding the order is idempotent
per invoice and happens in the transaction that records the delivery, so it is never
uncertain."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from fakturera.autogiro.selectors import autogiro_settings_of
from fakturera.autogiro.services import payment_orders_add
from fakturera.core.errors import DomainError
from fakturera.distribution.channels.base import Channel, Job, Outcome, PermanentError, Session
from fakturera.distribution.models import ChannelSetting
from fakturera.distribution.reasons import Reason, reason
from fakturera.distribution.routing import Facts
from fakturera.parties.models import Channel as ChannelCode


class DirectDebitChannel(Channel):
    code = ChannelCode.DIRECT_DEBIT
    needs_pdf = False
    is_local = True
    chunk_size = 500

    def problem(self, facts: Facts) -> Reason | None:
        if facts.is_credit_note:
            return reason("credit_note_not_collected")
        if not facts.has_mandate:
            return reason("no_mandate", name=facts.recipient.name)
        return None

    def settings_problem(self, setting: ChannelSetting) -> str | None:
        # Orders without the payee's customer number and bankgiro could never be filed.
        if autogiro_settings_of(setting.company) is None:
            return _("Enter the company's Autogiro settings (customer number and bankgiro) first.")
        return None

    def open(self, **kwargs: Any) -> Session:
        return DirectDebitSession()


class DirectDebitSession(Session):
    def send(self, jobs: list[Job]) -> list[Outcome]:
        """Payment orders for the whole chunk at once; when Autogiro refuses the chunk (a
        mandate cancelled since queueing, an amount in another currency), each invoice is
        tried alone so only the refused ones fail, with Autogiro's reason."""
        try:
            with transaction.atomic():
                payment_orders_add([job.invoice for job in jobs])
        except DomainError:
            return [self._one(job) for job in jobs]
        return [Outcome(job.delivery.pk, reference=reason("payment_order")) for job in jobs]

    @staticmethod
    def _one(job: Job) -> Outcome:
        try:
            with transaction.atomic():
                payment_orders_add([job.invoice])
        except DomainError as exc:
            # Autogiro's refusal, worded by that app when it refused.
            return Outcome(job.delivery.pk, error=PermanentError(exc.message))
        return Outcome(job.delivery.pk, reference=reason("payment_order"))
