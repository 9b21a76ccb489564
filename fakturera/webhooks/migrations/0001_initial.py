"""The webhook models move here from the api app, over the tables api's 0001 made.

State only: nothing is created or copied; on a fresh database api's 0001 has just
made the tables, on an existing one they hold the endpoints and deliveries. api's
0002 then drops the models from api's state, and 0002 here renames the tables.
The content types follow the models (none exist yet on a fresh database).
"""

import django.db.models.deletion
from django.db import migrations, models

MODELS = ["webhookendpoint", "webhookdelivery", "webhookattempt"]


def content_types_to_webhooks(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    ContentType.objects.using(db).filter(app_label="api", model__in=MODELS).update(app_label="webhooks")


def content_types_to_api(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    ContentType.objects.using(db).filter(app_label="webhooks", model__in=MODELS).update(app_label="api")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("api", "0001_api_keys_idempotency_webhooks"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("parties", "0002_document_settings"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="WebhookEndpoint",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("url", models.URLField(max_length=500, verbose_name="URL")),
                        ("secret", models.CharField(max_length=100, verbose_name="signing secret")),
                        ("events", models.JSONField(default=list, verbose_name="events")),
                        ("is_active", models.BooleanField(default=True, verbose_name="active")),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        (
                            "company",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="webhook_endpoints",
                                to="parties.company",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "webhook endpoint",
                        "ordering": ["url", "pk"],
                        "db_table": "api_webhookendpoint",
                    },
                ),
                migrations.CreateModel(
                    name="WebhookDelivery",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("event", models.CharField(max_length=40, verbose_name="event")),
                        ("payload", models.JSONField()),
                        (
                            "status",
                            models.CharField(
                                choices=[("pending", "Pending"), ("delivered", "Delivered"), ("failed", "Failed")],
                                default="pending",
                                max_length=10,
                                verbose_name="status",
                            ),
                        ),
                        ("attempts", models.PositiveSmallIntegerField(default=0, verbose_name="attempts")),
                        ("next_attempt_at", models.DateTimeField(blank=True, null=True, verbose_name="next attempt")),
                        ("last_error", models.CharField(blank=True, max_length=500, verbose_name="last error")),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("delivered_at", models.DateTimeField(blank=True, null=True, verbose_name="delivered")),
                        (
                            "endpoint",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="deliveries",
                                to="webhooks.webhookendpoint",
                            ),
                        ),
                    ],
                    options={
                        "ordering": ["-created_at", "-pk"],
                        "db_table": "api_webhookdelivery",
                        "indexes": [
                            models.Index(fields=["status", "next_attempt_at"], name="api_webhook_status_5921e6_idx")
                        ],
                        "constraints": [
                            models.CheckConstraint(
                                condition=models.Q(
                                    models.Q(("next_attempt_at__isnull", False), ("status", "pending")),
                                    models.Q(("status", "pending"), _negated=True),
                                    _connector="OR",
                                ),
                                name="webhook_pending_has_next_attempt",
                            )
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="WebhookAttempt",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("at", models.DateTimeField()),
                        ("status_code", models.PositiveSmallIntegerField(blank=True, null=True)),
                        ("error", models.CharField(blank=True, max_length=500)),
                        ("duration_ms", models.PositiveIntegerField(default=0)),
                        (
                            "delivery",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="attempt_log",
                                to="webhooks.webhookdelivery",
                            ),
                        ),
                    ],
                    options={
                        "ordering": ["at", "pk"],
                        "db_table": "api_webhookattempt",
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_types_to_webhooks, content_types_to_api),
    ]
