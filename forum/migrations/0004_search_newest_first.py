"""Forum: its full-text indexes hold the key beside the document, so the site search asks
for the newest matches of a word first (portal.search.candidates)."""

import django.contrib.postgres.indexes
from django.conf import settings
from django.db import migrations

from portal.search import searchable_newest_first


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0007_btree_gin"),
        ("forum", "0003_topic_search_document"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        searchable_newest_first("forum_topic", "search_document", "topic_search"),
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
