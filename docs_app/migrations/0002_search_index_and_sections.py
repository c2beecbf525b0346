"""The GIN index of the search vector (PostgreSQL only) and the sections every site has."""

from django.db import migrations

from docs_app.sections import ensure_sections


def add_sections(apps, schema_editor):
    ensure_sections(apps.get_model("docs_app", "Section"))


def create_gin_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS docs_page_search_gin "
            "ON docs_app_page USING gin (search_vector)"
        )


def drop_gin_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS docs_page_search_gin")


class Migration(migrations.Migration):
    dependencies = [("docs_app", "0001_initial")]

    operations = [
        migrations.RunPython(create_gin_index, drop_gin_index),
        migrations.RunPython(add_sections, migrations.RunPython.noop),
    ]
