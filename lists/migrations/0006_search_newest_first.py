"""Lists: its full-text indexes hold the key beside the document, so the site search asks
for the newest matches of a word first (portal.search.candidates)."""

import django.contrib.postgres.indexes
from django.db import migrations

from portal.search import search_index


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0007_btree_gin"),
        ("lists", "0005_thread_search_document"),
    ]

    operations = [
        search_index("lists_thread", "thread_search", "search_document, id", "search_document"),
        migrations.RemoveIndex(
            model_name="message",
            name="message_search",
        ),
        migrations.AddIndex(
            model_name="message",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["search_vector", "id"], name="message_search"
            ),
        ),
    ]
