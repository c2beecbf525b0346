from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations, models

# Part of a file name finds its file in the site search: Django's icontains is
# UPPER(filename) LIKE UPPER(...), which a trigram index serves. PostgreSQL only: the embedded
# SQLite default searches without it.
TRIGRAM_INDEX = (
    "CREATE INDEX IF NOT EXISTS artifact_filename_trgm "
    "ON downloads_artifact USING gin (UPPER(filename) gin_trgm_ops)"
)


def create_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRIGRAM_INDEX)


def drop_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS artifact_filename_trgm")


class Migration(migrations.Migration):
    dependencies = [
        ("downloads", "0001_initial"),
    ]

    operations = [
        TrigramExtension(),  # does nothing on other databases
        migrations.AddIndex(
            model_name="artifact",
            index=models.Index(fields=["sha256"], name="artifact_sha256_idx"),
        ),
        migrations.RunPython(create_trigram_index, drop_trigram_index),
    ]
