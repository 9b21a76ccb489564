"""Task rows queued before the move name the tasks by their old path in the api app;
a worker running this code could not import them. Rows not yet run (READY) are
pointed to the tasks' new module, so no queued delivery or sweep is lost. Rows that
have run keep the path they ran under."""

from django.db import migrations

MOVED = {
    "fakturera.api.tasks.deliver_webhooks": "fakturera.webhooks.tasks.deliver_webhooks",
    "fakturera.api.tasks.sweep_webhooks": "fakturera.webhooks.tasks.sweep_webhooks",
}
NOT_YET_RUN = "READY"


def _repoint(apps, schema_editor, paths):
    DBTaskResult = apps.get_model("django_tasks_database", "DBTaskResult")
    db = schema_editor.connection.alias
    moved = 0
    for old, new in paths.items():
        moved += DBTaskResult.objects.using(db).filter(status=NOT_YET_RUN, task_path=old).update(task_path=new)
    return moved


def queued_tasks_to_webhooks(apps, schema_editor):
    return _repoint(apps, schema_editor, MOVED)


def queued_tasks_to_api(apps, schema_editor):
    return _repoint(apps, schema_editor, {new: old for old, new in MOVED.items()})


class Migration(migrations.Migration):
    dependencies = [
        ("webhooks", "0002_tables_renamed"),
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
    ]

    operations = [
        migrations.RunPython(queued_tasks_to_webhooks, queued_tasks_to_api),
    ]
