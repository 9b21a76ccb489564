"""What payments does when invoicing publishes (core.events), in the publisher's transaction:
an issued invoice gets its receivable, a credit note lowers what its invoice owes. A credit
note on a paid invoice leaves it over-paid; the excess is applied after the commit, in a
transaction of its own, so crediting never waits for a customer's payments (the lock order)."""

from __future__ import annotations

from fakturera.core.events import IN_TRANSACTION, ON_COMMIT, Event, subscribe
from fakturera.invoicing.events import INVOICE_CREDITED, INVOICE_ISSUED


def on_issued(event: Event) -> None:
    from fakturera.payments.services import credit_apply_to_issued, receivables_create

    customer_ids = receivables_create(invoice_ids=event["invoice_ids"])
    credit_apply_to_issued(company_id=event.company_id, customer_ids=customer_ids, actor_id=event.actor_id)


def on_credited(event: Event) -> None:
    from fakturera.payments.services import receivable_credit

    receivable_credit(
        company_id=event.company_id,
        invoice_id=event["invoice"].pk,
        credited_amount=event["credit_note"].total_amount,
        actor_id=event.actor_id,
    )


def after_credited(event: Event) -> None:
    from fakturera.core.db import run_retrying
    from fakturera.parties.models import Company
    from fakturera.payments.services import credit_apply_automatically

    company = Company.objects.get(pk=event.company_id)
    customer_id = event["invoice"].customer_id
    run_retrying(
        lambda: credit_apply_automatically(company=company, customer_ids=[customer_id], actor_id=event.actor_id)
    )


def connect() -> None:
    subscribe(INVOICE_ISSUED, on_issued, when=IN_TRANSACTION)
    subscribe(INVOICE_CREDITED, on_credited, when=IN_TRANSACTION)
    subscribe(INVOICE_CREDITED, after_credited, when=ON_COMMIT)
