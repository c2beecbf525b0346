"""Topics get a search document (title and their visible posts' words) with a GIN index, so the
site search ranks topics, not every post. The index and the filling are PostgreSQL only."""

import django.contrib.postgres.search
from django.db import migrations


def fill_and_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from forum.indexing import index_all_topics

    with schema_editor.connection.cursor() as cursor:
        index_all_topics(cursor)
        cursor.execute(
            "CREATE INDEX IF NOT EXISTS topic_search ON forum_topic USING gin (search_document)"
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS topic_search")


class Migration(migrations.Migration):
    dependencies = [("forum", "0002_topic_boards_release")]

    operations = [
        migrations.AddField(
            model_name="topic",
            name="search_document",
            field=django.contrib.postgres.search.SearchVectorField(editable=False, null=True),
        ),
        migrations.RunPython(fill_and_index, drop_index),
    ]
