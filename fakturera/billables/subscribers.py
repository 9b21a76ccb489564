"""What billables does when the apps below it publish (core.events)."""

from __future__ import annotations

from fakturera.catalog.events import CONTACT_TYPE_EXCLUSION_CHANGED
from fakturera.core.events import IN_TRANSACTION, Event, subscribe


def on_exclusion_changed(event: Event) -> None:
    # Seed 001: a contact type excluded from invoicing takes its notes' open items out of
    # the basis; included again, they come back. In the saving transaction: the basis never
    # disagrees with the setting.
    from fakturera.billables.services import journal_notes_exclusion_sync
    from fakturera.parties.models import Company

    journal_notes_exclusion_sync(
        company=Company.objects.get(pk=event.company_id),
        contact_type_id=event["contact_type_id"],
        is_excluded=event["is_excluded"],
    )


def connect() -> None:
    subscribe(CONTACT_TYPE_EXCLUSION_CHANGED, on_exclusion_changed, when=IN_TRANSACTION)
