"""Issue 13: VAT numbers as EN 16931 wants them (BR-CO-9, with the ISO prefix of the country
that issued them) and Peppol IDs in a scheme of Peppol's code list, for rows stored before
the services normalised them (a Norwegian VAT number lost its NO). What the check accepts
is written in its normal form; what it refuses stays as it is, and is refused with its
reason when the company or customer is next saved."""

from django.db import migrations

from fakturera.core.errors import DomainError
from fakturera.core.identifiers import clean_peppol_id, clean_vat_number


def _normal(row) -> dict[str, str]:
    changes = {}
    if row.vat_number:
        try:
            vat_number = clean_vat_number(row.vat_number, country=row.country or "SE")
        except DomainError:
            vat_number = row.vat_number
        if vat_number != row.vat_number:
            changes["vat_number"] = vat_number
    if row.peppol_id:
        try:
            peppol_id = clean_peppol_id(row.peppol_id)
        except DomainError:
            peppol_id = row.peppol_id
        if peppol_id != row.peppol_id:
            changes["peppol_id"] = peppol_id
    return changes


def normalise(apps, schema_editor):
    for name in ("Company", "Customer"):
        model = apps.get_model("parties", name)
        changed = []
        rows = model.objects.exclude(vat_number="", peppol_id="").only("pk", "country", "vat_number", "peppol_id")
        for row in rows.iterator(chunk_size=2000):
            changes = _normal(row)
            if changes:
                for field, value in changes.items():
                    setattr(row, field, value)
                changed.append(row)
        model.objects.bulk_update(changed, ["vat_number", "peppol_id"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("parties", "0008_issue_days_ahead_and_person_invoice_email"),
    ]

    operations = [
        migrations.RunPython(normalise, migrations.RunPython.noop),
    ]
