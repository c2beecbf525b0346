"""Docs: the pages' full-text index holds the date beside the document instead of the key, so the
site search ranks the latest matches of a word first, and a period it is narrowed to is read
from the same index (portal.search.candidates). A page is dated by its last change."""

from django.db import migrations

from portal.search import search_index


class Migration(migrations.Migration):
    dependencies = [
        ("docs_app", "0003_search_newest_first"),
    ]

    operations = [
        search_index(
            "docs_app_page",
            "docs_page_search_gin",
            "search_vector, updated_at",
            "search_vector, id",
        ),
    ]
