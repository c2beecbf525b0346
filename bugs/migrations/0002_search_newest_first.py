"""Bugs: its full-text indexes hold the key beside the document, so the site search asks
for the newest matches of a word first (portal.search.candidates)."""

import django.contrib.postgres.indexes
from django.conf import settings
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0007_btree_gin"),
        ("bugs", "0001_initial"),
        ("downloads", "0003_release_announcement"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="bug",
            name="bug_search",
        ),
        migrations.AddIndex(
            model_name="bug",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["search_vector", "id"], name="bug_search"
            ),
        ),
    ]
