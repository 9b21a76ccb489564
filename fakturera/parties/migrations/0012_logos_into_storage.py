"""Logos uploaded before files left the disk (core/storage.py) were files under MEDIA_ROOT
(var/media/logos/...). This moves each company's logo found there into the configured storage
under the same name, so the company keeps it: a `core.StoredFile` row by default, an object in
the S3 store when FAKTURERA_S3_BUCKET is set. Chosen over a read fallback to the disk, which
would keep every machine depending on a folder that only one of them had.

It runs where `fakturera migrate` runs, which until now was the one machine holding var/media
(`make run`, a single server). A logo whose file is not there is named in the output and left
as it was: its invoices print the company's name instead, as they did for a missing file, until
an administrator uploads it again. The files on disk are not deleted (nothing is lost if the
migration is rolled back); `var/media` can be removed after the upgrade."""

import hashlib
from pathlib import Path

from django.conf import settings
from django.db import migrations


def logos_into_storage(apps, schema_editor):
    Company = apps.get_model("parties", "Company")
    StoredFile = apps.get_model("core", "StoredFile")
    media = Path(settings.MEDIA_ROOT).resolve()
    names = Company.objects.exclude(logo="").values_list("logo", flat=True).distinct()
    for name in names:
        path = (media / name).resolve()
        if not path.is_relative_to(media) or not path.is_file():
            print(f"\n  The logo {name!r} is not under {media}: upload it again in the company's settings.")
            continue
        data = path.read_bytes()
        if getattr(settings, "S3_BUCKET", ""):
            from django.core.files.base import ContentFile
            from django.core.files.storage import default_storage

            if not default_storage.exists(name):
                # Its own name, not the next free one: the company's row names it.
                default_storage._save(name, ContentFile(data))
        elif not StoredFile.objects.filter(name=name).exists():
            StoredFile.objects.create(name=name, content=data, size=len(data), sha256=hashlib.sha256(data).hexdigest())


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0003_stored_files"),
        ("parties", "0011_logo_under_company"),
    ]

    operations = [migrations.RunPython(logos_into_storage, migrations.RunPython.noop)]
