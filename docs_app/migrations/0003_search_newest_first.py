"""Docs: the pages' full-text index holds the key beside the document, so the site search asks
for the newest matches of a word first (portal.search.candidates)."""

from django.db import migrations

from portal.search import searchable_newest_first


class Migration(migrations.Migration):
    dependencies = [
        ("docs_app", "0002_search_index_and_sections"),
        ("portal", "0007_btree_gin"),
    ]

    operations = [
        searchable_newest_first("docs_app_page", "search_vector", "docs_page_search_gin"),
    ]
