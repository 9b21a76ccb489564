"""The webhook models leave the api app's state; their tables stay (the webhooks app's
0001 has taken them over, and its 0002 renames them). Nothing is dropped."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("api", "0001_api_keys_idempotency_webhooks"),
        ("webhooks", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="WebhookAttempt"),
                migrations.DeleteModel(name="WebhookDelivery"),
                migrations.DeleteModel(name="WebhookEndpoint"),
            ],
            database_operations=[],
        ),
    ]
