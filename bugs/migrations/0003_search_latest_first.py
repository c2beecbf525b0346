"""Bugs: the bugs' full-text index holds the date beside the document instead of the key, so the
site search ranks the latest matches of a word first, and a period it is narrowed to is read
from the same index (portal.search.candidates). A bug is dated by its filing."""

import django.contrib.postgres.indexes
from django.conf import settings
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("bugs", "0002_search_newest_first"),
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
                fields=["search_vector", "created_at"], name="bug_search"
            ),
        ),
    ]
