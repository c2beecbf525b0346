"""Threads get a search document (subject and their messages' words) with a GIN index, so the
site search ranks threads, not every message. The index and the filling are PostgreSQL only."""

import django.contrib.postgres.search
from django.db import migrations


def fill_and_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from lists.documents import index_all_threads

    with schema_editor.connection.cursor() as cursor:
        index_all_threads(cursor)
        cursor.execute(
            "CREATE INDEX IF NOT EXISTS thread_search ON lists_thread USING gin (search_document)"
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS thread_search")


class Migration(migrations.Migration):
    dependencies = [("lists", "0004_mbox_uploads_outside_media")]

    operations = [
        migrations.AddField(
            model_name="thread",
            name="search_document",
            field=django.contrib.postgres.search.SearchVectorField(editable=False, null=True),
        ),
        migrations.RunPython(fill_and_index, drop_index),
    ]
