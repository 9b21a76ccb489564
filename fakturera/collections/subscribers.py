"""What collections does when other apps publish (core.events)."""

from __future__ import annotations

from fakturera.core.events import IN_TRANSACTION, Event, subscribe
from fakturera.parties.events import COMPANY_CREATED


def on_company_created(event: Event) -> None:
    # Every company reminds from its first day, within the law of its country.
    from fakturera.collections.services import policies_create_default

    policies_create_default(company=event["company"])


def connect() -> None:
    subscribe(COMPANY_CREATED, on_company_created, when=IN_TRANSACTION)
