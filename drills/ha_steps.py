"""The failover drill's steps in the product's own process (drills/ha.py sets DATABASE_URL to
the failover pair): `prepare N SMTP_PORT` and `verify BATCH_ID`. Each prints one JSON line last."""

from __future__ import annotations

import json
import secrets
import sys
from collections import Counter

import django

DRILL_ORG_NUMBER_BASE = "559900790"


def prepare(n: str, smtp_port: str) -> dict:
    """Migrate, then a company whose N issued invoices (their PDFs stored) are queued for e-mail
    to the drill's SMTP sink, as the Send dialog queues them (undo window 0: due at once)."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from stdnum import luhn

    from fakturera.distribution.services import channel_setting_save, distribution_settings_save, invoices_send
    from fakturera.invoicing.tests.factories import issued_invoices_with_pdfs
    from fakturera.parties.models import Channel
    from fakturera.parties.services import company_create

    call_command("migrate", verbosity=0, interactive=False)
    actor, _created = get_user_model().objects.get_or_create(username="drill")
    password = secrets.token_urlsafe(16)  # the web watcher logs in with it
    actor.set_password(password)
    actor.save(update_fields=["password"])
    org_number = DRILL_ORG_NUMBER_BASE + luhn.calc_check_digit(DRILL_ORG_NUMBER_BASE)
    company = company_create(
        actor=actor,
        name="Reservkraft AB",
        org_number=org_number,
        vat_number=f"SE{org_number}01",
        bankgiro="991-2346",
        address_line1="Växelvägen 2",
        postal_code="111 22",
        city="Stockholm",
    )
    channel_setting_save(
        company=company,
        channel=Channel.EMAIL,
        is_active=True,
        options={
            "host": "127.0.0.1",
            "port": int(smtp_port),
            "security": "none",
            "from_email": "faktura@drill.example",
        },
    )
    distribution_settings_save(
        company=company, default_channel=Channel.EMAIL, reserve_channel="", reminder_channel="", undo_minutes=0
    )
    ids = issued_invoices_with_pdfs(company=company, actor=actor, n=int(n), domain="drill.example")
    batch = invoices_send(company=company, actor=actor, invoice_ids=ids)
    return {
        "batch": batch.pk,
        "queued": batch.queued_count,
        "invoices": len(ids),
        "username": actor.get_username(),
        "password": password,
    }


def verify(batch_id: str) -> dict:
    """Each delivery of the batch: its state, recipient and invoice number; the invoices' status."""
    from fakturera.distribution.models import Delivery, InvoiceSending
    from fakturera.distribution.states import SendingStatus

    rows = list(
        Delivery.objects.filter(batch_id=int(batch_id)).values_list("pk", "state", "address", "invoice__number")
    )
    invoice_ids = Delivery.objects.filter(batch_id=int(batch_id)).values("invoice_id")
    sendings = Counter(InvoiceSending.objects.filter(invoice_id__in=invoice_ids).values_list("status", flat=True))
    return {
        "deliveries": [
            {"id": pk, "state": state, "email": address.get("email", ""), "number": number}
            for pk, state, address, number in rows
        ],
        "invoices_sent": sendings.get(SendingStatus.SENT, 0),
        "invoice_statuses": dict(sendings),
    }


STEPS = {"prepare": prepare, "verify": verify}


def main(argv: list[str]) -> int:
    django.setup()
    name, *args = argv
    result = STEPS[name](*args)
    print(json.dumps(result, default=str), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
