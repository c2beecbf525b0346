"""Docs: the pages' full-text index holds the key beside the document, so the site search asks
for the newest matches of a word first (portal.search.candidates)."""

from django.db import migrations

from portal.search import search_index


class Migration(migrations.Migration):
    dependencies = [
        ("docs_app", "0002_search_index_and_sections"),
        ("portal", "0007_btree_gin"),
    ]

    operations = [
        search_index(
            "docs_app_page", "docs_page_search_gin", "search_vector, id", "search_vector"
        ),
    ]
