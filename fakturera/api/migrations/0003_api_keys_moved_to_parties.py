"""The ApiKey model leaves the api app's state; its table stays (parties' 0004 has taken
it over, and its 0005 renames it and moves the content type). Nothing is dropped: the
keys keep working."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("api", "0002_webhooks_moved_to_webhooks_app"),
        ("parties", "0004_api_keys_moved_from_api"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="ApiKey")],
            database_operations=[],
        ),
    ]
