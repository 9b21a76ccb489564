"""Every company that existed before the worklist gets its settings row (the defaults); new
companies get theirs on company.created."""

from django.db import migrations


def create(apps, schema_editor):
    Company = apps.get_model("parties", "Company")
    WorklistSettings = apps.get_model("worklist", "WorklistSettings")
    have = set(WorklistSettings.objects.values_list("company_id", flat=True))
    WorklistSettings.objects.bulk_create(
        [WorklistSettings(company_id=pk) for pk in Company.objects.values_list("pk", flat=True) if pk not in have]
    )


class Migration(migrations.Migration):
    dependencies = [("worklist", "0001_tasks_notifications"), ("parties", "0010_cash_discount")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
