"""Forum: its full-text indexes hold the date beside the document instead of the key, so the
site search ranks the latest matches of a word first, and a period it is narrowed to is read
from the same index (portal.search.candidates). Topics are dated by their last post;
posts by their own date, which gets an index of its own for the window's start."""

import django.contrib.postgres.indexes
from django.conf import settings
from django.db import migrations, models

from portal.search import search_index


class Migration(migrations.Migration):
    dependencies = [
        ("forum", "0004_search_newest_first"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        search_index(
            "forum_topic", "topic_search", "search_document, last_post_at", "search_document, id"
        ),
        migrations.RemoveIndex(
            model_name="post",
            name="post_search",
        ),
        migrations.AddIndex(
            model_name="post",
            index=models.Index(fields=["-created_at"], name="post_latest"),
        ),
        migrations.AddIndex(
            model_name="post",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["search_vector", "created_at"], name="post_search"
            ),
        ),
    ]
