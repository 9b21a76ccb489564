"""The tables taken over from the api app get this app's names (webhooks_*), and the
delivery index the name Django gives it here. Renames only: the rows stay."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("webhooks", "0001_initial"),
        # The api app's state no longer has the models that named these tables.
        ("api", "0002_webhooks_moved_to_webhooks_app"),
    ]

    operations = [
        migrations.AlterModelTable(name="webhookendpoint", table=None),
        migrations.AlterModelTable(name="webhookdelivery", table=None),
        migrations.AlterModelTable(name="webhookattempt", table=None),
        migrations.RenameIndex(
            model_name="webhookdelivery",
            new_name="webhooks_we_status_afd94b_idx",
            old_name="api_webhook_status_5921e6_idx",
        ),
    ]
