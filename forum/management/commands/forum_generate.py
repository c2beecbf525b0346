"""Fill the forum with generated conversations for load and query-count checks.

Everything is made inside PostgreSQL (INSERT … SELECT over generate_series) with HTML rendered
once per sample text, so half a million posts take a minute or two on a small machine.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from forum.indexing import DOCUMENT_SQL
from forum.markup import render_post
from forum.models import Access, Category, Post, Topic
from forum.services import recount_categories

SAMPLES = [
    "The board boots to GRUB but the kernel stops after `EFI stub: Exiting boot services`. "
    "Which console argument does the D05 want?",
    "Try `console=ttyAMA0,115200` and add `earlycon` while you debug:\n\n"
    "```sh\nlinux /Image console=ttyAMA0,115200 earlycon root=/dev/sda2 rw\n```",
    "On my HiKey the Wi-Fi firmware was missing; installing the firmware package fixed it.",
    "> Which console argument?\n\nThe D03 and D05 use the PL011, so **ttyAMA0** is right.",
    "Thanks, that worked. I also had to update the *BMC* before the serial port came up.",
    "Is there a build of the 5.x kernel with the SAS driver enabled? The release notes say so "
    "but `lsblk` shows nothing.",
]
TITLES = [
    "Kernel stops after exiting boot services",
    "Serial console settings for D05",
    "HiKey Wi-Fi firmware missing",
    "SAS disks not found with the new kernel",
    "Flashing UEFI from the BMC",
    "Distribution images for QEMU",
]


# Generated people cannot sign in (Django's marker for an unusable password).
UNUSABLE = UNUSABLE_PASSWORD_PREFIX


class Command(BaseCommand):
    help = "Generate forum topics and posts (PostgreSQL only). Reuses data already there."

    def add_arguments(self, parser):
        parser.add_argument("--topics", type=int, default=1000)
        parser.add_argument("--posts", type=int, default=100, help="average posts per topic")
        parser.add_argument("--long-topic", type=int, default=0, help="posts in one long topic")
        parser.add_argument("--users", type=int, default=200)
        parser.add_argument("--category", default="generated")

    def handle(self, *args, topics, posts, long_topic, users, category, **options):
        if connection.vendor != "postgresql":
            raise CommandError("forum_generate needs PostgreSQL (it builds rows in SQL).")
        if topics < 1 or posts < 1:
            raise CommandError("--topics and --posts must be at least 1.")
        cat, _created = Category.objects.get_or_create(
            slug=category,
            defaults={"name": category.title(), "read_access": Access.EVERYONE},
        )
        have = Topic.objects.filter(category=cat).count()
        if have >= topics:
            self.stdout.write(f"{cat.slug}: {have} topics already there; reused.")
            return
        with transaction.atomic():
            self._generate(cat, topics - have, posts, long_topic, users)
        self.stdout.write(f"{cat.slug}: {Topic.objects.filter(category=cat).count()} topics.")

    def _generate(self, cat: Category, topics: int, posts: int, long_topic: int, users: int):
        user_model = get_user_model()
        existing = user_model.objects.filter(username__startswith="gen-").count()
        user_model.objects.bulk_create(
            [
                user_model(username=f"gen-{i}", email=f"gen-{i}@example.org", password=UNUSABLE)
                for i in range(existing, users)
            ],
            batch_size=1000,
        )
        user_ids = list(
            user_model.objects.filter(username__startswith="gen-")
            .order_by("pk")
            .values_list("pk", flat=True)[:users]
        )
        sources = SAMPLES
        htmls = [render_post(text).html for text in SAMPLES]
        # Replies per topic vary around the average (1 .. 2*posts-1); the first topic may be long.
        spread = max(1, 2 * posts - 1)
        topic_table, post_table = Topic._meta.db_table, Post._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT to_tsvector('english', t)::text FROM unnest(%s::text[]) "
                "WITH ORDINALITY AS s(t, i) ORDER BY i",
                [sources],
            )
            vectors = [row[0] for row in cursor.fetchall()]
            cursor.execute(
                f"""
                INSERT INTO {topic_table} (category_id, title, author_id, created_at, reply_count,
                    view_count, last_post_at, is_pinned, is_locked, is_hidden, version)
                SELECT %(cat)s, (%(titles)s::text[])[1 + i %% %(ntitles)s] || ' #' || i,
                    (%(users)s::bigint[])[1 + (i * 7) %% %(nusers)s],
                    now() - (%(n)s - i + 1) * interval '1 hour',
                    CASE WHEN i = 1 AND %(long)s > 0 THEN %(long)s - 1
                         ELSE (i * 37) %% %(spread)s END,
                    i %% 1000, now() - (%(n)s - i + 1) * interval '1 hour', false, false, false, 0
                FROM generate_series(1, %(n)s) AS i
                RETURNING id
                """,  # noqa: S608 (table names only)  # nosec B608
                {
                    "cat": cat.pk,
                    "titles": TITLES,
                    "ntitles": len(TITLES),
                    "users": user_ids,
                    "nusers": len(user_ids),
                    "n": topics,
                    "long": long_topic,
                    "spread": spread,
                },
            )
            first_id = min(row[0] for row in cursor.fetchall())
            cursor.execute(
                f"""
                INSERT INTO {post_table} (topic_id, number, author_id, source, html, created_at,
                    edit_count, like_count, is_hidden, hidden_by_flags, search_vector)
                SELECT t.id, n, (%(users)s::bigint[])[1 + (t.id * 7 + n) %% %(nusers)s],
                    (%(sources)s::text[])[1 + (t.id + n) %% %(nsamples)s],
                    (%(htmls)s::text[])[1 + (t.id + n) %% %(nsamples)s],
                    t.created_at + (n - 1) * interval '1 second', 0, 0, false, false,
                    -- Searchable as index_post makes them: the title (first post) and the text,
                    -- each sample's vector computed once.
                    CASE WHEN n = 1 THEN setweight(to_tsvector('english', t.title), 'A')
                        ELSE ''::tsvector END
                    || setweight(
                        (%(vectors)s::tsvector[])[1 + (t.id + n) %% %(nsamples)s], 'B')
                FROM {topic_table} t, generate_series(1, t.reply_count + 1) AS n
                WHERE t.category_id = %(cat)s AND t.id >= %(first)s
                """,  # noqa: S608 (table names only)  # nosec B608
                {
                    "users": user_ids,
                    "nusers": len(user_ids),
                    "sources": sources,
                    "htmls": htmls,
                    "vectors": vectors,
                    "nsamples": len(SAMPLES),
                    "cat": cat.pk,
                    "first": first_id,
                },
            )
            cursor.execute(
                f"""
                UPDATE {topic_table} t SET last_poster_id = p.author_id,
                    last_post_at = p.created_at
                FROM {post_table} p
                WHERE p.topic_id = t.id AND p.number = t.reply_count + 1
                    AND t.category_id = %s AND t.id >= %s
                """,  # noqa: S608 (table names only)  # nosec B608
                [cat.pk, first_id],
            )
            cursor.execute(
                DOCUMENT_SQL.format(where="t.category_id = %s AND t.id >= %s"), [cat.pk, first_id]
            )
            cursor.execute(f"ANALYZE {topic_table}; ANALYZE {post_table}")
        recount_categories([cat.pk])
