"""The events' `message` column goes: what is left in it after the apps converted their
sentences into parameters (invoicing 0006, distribution 0003) is a text we cannot
read back, kept as the parameter "text" and shown as it is (history.describe)."""

from django.db import migrations

BATCH = 2000


def keep_texts(apps, schema_editor):
    InvoiceEvent = apps.get_model("invoicing", "InvoiceEvent")
    changed = []
    for event in InvoiceEvent.objects.exclude(message="").only("message", "params").iterator(chunk_size=BATCH):
        event.params = {**(event.params or {}), "text": event.message}
        changed.append(event)
        if len(changed) >= BATCH:
            InvoiceEvent.objects.bulk_update(changed, ["params"])
            changed = []
    InvoiceEvent.objects.bulk_update(changed, ["params"])


class Migration(migrations.Migration):

    dependencies = [
        ("invoicing", "0006_history_as_data"),
        # The other apps' sentences are converted before the column goes.
        ("distribution", "0003_history_as_data"),
    ]

    operations = [
        migrations.RunPython(keep_texts, migrations.RunPython.noop),
        migrations.RemoveField(model_name="invoiceevent", name="message"),
    ]
