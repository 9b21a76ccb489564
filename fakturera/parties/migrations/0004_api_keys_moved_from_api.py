"""API keys move here from the api app, over the table api's 0001 made (api_apikey).

State only: nothing is created or copied; on a fresh database api's 0001 has just
made the table, on an existing one it holds the companies' keys (prefix and SHA-256
of the secret), which keep working. api's 0003 then drops the model from api's state,
and 0005 here renames the table and moves the content type.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("parties", "0003_period_text"),
        # The table is made by api's 0001; api's 0002 is where the api app stood before the move.
        ("api", "0002_webhooks_moved_to_webhooks_app"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ApiKey",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("name", models.CharField(max_length=100, verbose_name="name")),
                        ("prefix", models.CharField(max_length=16, unique=True, verbose_name="prefix")),
                        ("secret_hash", models.CharField(max_length=64)),
                        ("is_read_only", models.BooleanField(default=False, verbose_name="read-only")),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("last_used_at", models.DateTimeField(blank=True, null=True, verbose_name="last used")),
                        ("revoked_at", models.DateTimeField(blank=True, null=True, verbose_name="revoked")),
                        (
                            "company",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="api_keys",
                                to="parties.company",
                            ),
                        ),
                        (
                            "created_by",
                            models.ForeignKey(
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "API key",
                        "ordering": ["-created_at", "-pk"],
                        "db_table": "api_apikey",
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
