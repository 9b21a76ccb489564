"""The move from the api app completes: the table taken over gets this app's name
(parties_apikey), and the content type follows the model.

A rename only: the keys stay, with their ids, and new ones continue after them. The
content type row is renamed, not recreated, so it keeps its id and its permissions
(and anything else pointing at it) stay attached; on a fresh database none exists yet.
Both are undone together when api's 0003 is unapplied.
"""

from django.db import migrations

MODELS = ["apikey"]


def _move_content_types(apps, schema_editor, old_label, new_label):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    for model in MODELS:
        # Should the other label's row exist already (made by a post_migrate while the
        # database stood in between), it is left as it is rather than broken by the
        # unique (app_label, model); `remove_stale_contenttypes` tidies the old one.
        if not ContentType.objects.using(db).filter(app_label=new_label, model=model).exists():
            ContentType.objects.using(db).filter(app_label=old_label, model=model).update(app_label=new_label)


def content_types_to_parties(apps, schema_editor):
    _move_content_types(apps, schema_editor, "api", "parties")


def content_types_to_api(apps, schema_editor):
    _move_content_types(apps, schema_editor, "parties", "api")


class Migration(migrations.Migration):
    dependencies = [
        ("parties", "0004_api_keys_moved_from_api"),
        # The api app's state no longer has the model that named this table.
        ("api", "0003_api_keys_moved_to_parties"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.AlterModelTable(name="apikey", table=None),
        migrations.RunPython(content_types_to_parties, content_types_to_api),
    ]
