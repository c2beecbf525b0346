"""Lists: its full-text indexes hold the date beside the document instead of the key, so the
site search ranks the latest matches of a word first, and a period it is narrowed to is read
from the same index (portal.search.candidates). Threads are dated by their last message,
which gets an index over all lists for the window's start."""

import django.contrib.postgres.indexes
from django.db import migrations, models

from portal.search import search_index


class Migration(migrations.Migration):
    dependencies = [
        ("lists", "0006_search_newest_first"),
    ]

    operations = [
        search_index(
            "lists_thread", "thread_search", "search_document, last_activity", "search_document, id"
        ),
        migrations.RemoveIndex(
            model_name="message",
            name="message_search",
        ),
        migrations.AddIndex(
            model_name="message",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["search_vector", "date"], name="message_search"
            ),
        ),
        migrations.AddIndex(
            model_name="thread",
            index=models.Index(fields=["-last_activity"], name="thread_latest_anywhere"),
        ),
    ]
