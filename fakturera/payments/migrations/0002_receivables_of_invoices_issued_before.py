"""A receivable for every invoice issued before payments existed: unpaid, less what its credit
notes credited (Fakturera never knew of a payment before this app)."""

from decimal import Decimal

from django.db import migrations
from django.db.models import Sum

BATCH = 2000


def forwards(apps, schema_editor):
    Invoice = apps.get_model("invoicing", "Invoice")
    Receivable = apps.get_model("payments", "Receivable")
    credited = dict(
        Invoice.objects.filter(kind="credit_note")
        .exclude(status="draft")
        .values("credited_invoice_id")
        .annotate(total=Sum("total_amount"))
        .values_list("credited_invoice_id", "total")
    )
    invoices = (
        Invoice.objects.filter(kind="invoice")
        .exclude(status="draft")
        .order_by("pk")
        .values_list(
            "pk", "company_id", "customer_id", "number", "seller", "payment_reference", "currency",
            "issued_on", "due_on", "total_amount",
        )
    )
    batch = []
    for pk, company_id, customer_id, number, seller, reference, currency, issued_on, due_on, total in invoices.iterator():
        owed = total - credited.get(pk, Decimal("0.00"))
        batch.append(
            Receivable(
                invoice_id=pk,
                company_id=company_id,
                customer_id=customer_id,
                number=f"{(seller or {}).get('series_prefix', '')}{number}",
                payment_reference=reference,
                currency=currency,
                issued_on=issued_on,
                due_on=due_on or issued_on,
                total_amount=total,
                credited_amount=total - owed,
                settled_amount=Decimal("0.00"),
                open_amount=owed,
                state="paid" if owed <= 0 else "unpaid",
            )
        )
        if len(batch) >= BATCH:
            Receivable.objects.bulk_create(batch)
            batch = []
    Receivable.objects.bulk_create(batch)


class Migration(migrations.Migration):
    dependencies = [("payments", "0001_payments")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
