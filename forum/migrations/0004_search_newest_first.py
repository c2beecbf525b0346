"""Forum: its full-text indexes hold the key beside the document, so the site search asks
for the newest matches of a word first (portal.search.candidates)."""

import django.contrib.postgres.indexes
from django.conf import settings
from django.db import migrations

from portal.search import search_index


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0007_btree_gin"),
        ("forum", "0003_topic_search_document"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        search_index("forum_topic", "topic_search", "search_document, id", "search_document"),
        migrations.RemoveIndex(
            model_name="post",
            name="post_search",
        ),
        migrations.AddIndex(
            model_name="post",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["search_vector", "id"], name="post_search"
            ),
        ),
    ]
