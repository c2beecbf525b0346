"""A whole community in one bench database, every section at once, for the site bench.

    python -m bench.generate --scale small|full

`full` is years of a busy portal: 20 boards × 40 releases × 30 files, 5,000 doc pages,
10,000 topics with 500,000 posts, 20,000 bugs with 200,000 comments, 100,000 list messages in
10,000 threads, 50,000 users, 1,000 Caliper runs. `small` is about 1/50 of it (the long topic,
the 100-comment bug and the 300-message thread stay whole: the pages measured need them).

The rows go into the models' own tables with set-based INSERTs inside PostgreSQL or bulk
inserts (the sections' own bench generators, reused), full-text vectors and counters filled as
the services fill them, so every page works on the data. The database is BENCH_DATABASE, by
default `estuary_site_<scale>`; a second run reuses what is there.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Scale:
    boards: int
    releases: int
    files: int
    doc_pages: int
    topics: int
    posts: int
    bugs: int
    bug_comments: int
    messages: int
    threads: int
    users: int
    caliper_runs: int


SCALES = {
    "full": Scale(
        20, 40, 30, 5_000, 10_000, 500_000, 20_000, 200_000, 100_000, 10_000, 50_000, 1_000
    ),
    "small": Scale(5, 16, 10, 100, 200, 10_000, 400, 4_000, 2_000, 200, 1_000, 20),
}  # fmt: skip
LONG_TOPIC = 500
LONG_BUG = 100
LONG_THREAD = 300
FORUM_CATEGORY = "community"
LIST_NAME = "community"
CALIPER_CASES = 120  # per file, three files per run


def database_name(scale: str) -> str:
    return os.environ.get("BENCH_DATABASE") or f"estuary_site_{scale}"


def use_database(scale: str) -> None:
    """Point this process's bench environment at the scale's database (before Django starts)."""
    os.environ["BENCH_DATABASE"] = database_name(scale)
    import bench.common

    bench.common.BENCH_DATABASE = os.environ["BENCH_DATABASE"]


def _step(name: str, started: float, timings: dict) -> float:
    now = time.monotonic()
    timings[name] = round(now - started, 1)
    print(f"   {name}: {timings[name]} s", flush=True)
    return now


def generate(scale_name: str) -> dict:
    """Fill (or complete) the scale's database; returns seconds per section and row counts."""
    use_database(scale_name)
    from bench.common import setup_django

    setup_django()
    scale = SCALES[scale_name]
    timings: dict = {}
    started = first = time.monotonic()
    from django.core.management import call_command

    call_command("seed_demo", verbosity=0)
    started = _step("seed_demo", started, timings)
    _users(scale.users)
    started = _step("users", started, timings)
    from bench.bench_downloads import catalogue

    catalogue(boards=scale.boards, releases=scale.releases, files=scale.files)
    started = _step("catalogue", started, timings)
    from bench.bench_docs import generate as docs

    docs(scale.doc_pages)
    started = _step("docs", started, timings)
    _forum(scale)
    started = _step("forum", started, timings)
    _bugs(scale)
    started = _step("bugs", started, timings)
    _lists(scale)
    started = _step("lists", started, timings)
    _caliper(scale)
    started = _step("caliper", started, timings)
    from django.db import connection

    with connection.cursor() as cursor:
        # VACUUM too: the counters' UPDATE passes leave dead rows that autovacuum may not
        # have reached when the run starts, and index-only scans need the visibility map.
        cursor.execute("VACUUM ANALYZE")
    _step("analyze", started, timings)
    timings["total"] = round(time.monotonic() - first, 1)
    return {"database": database_name(scale_name), "seconds": timings, "rows": counts()}


def counts() -> dict:
    from django.contrib.auth import get_user_model

    from bugs.models import Bug, Comment
    from docs_app.models import Page
    from downloads.models import Artifact, Board, Release
    from forum.models import Post, Topic
    from lab.models import CaliperRun, CaliperScore
    from lists.models import Message, Thread

    return {
        "boards": Board.objects.count(),
        "releases": Release.objects.count(),
        "artifacts": Artifact.objects.count(),
        "doc_pages": Page.objects.count(),
        "topics": Topic.objects.count(),
        "posts": Post.objects.count(),
        "bugs": Bug.objects.count(),
        "bug_comments": Comment.objects.count(),
        "list_messages": Message.objects.count(),
        "list_threads": Thread.objects.count(),
        "users": get_user_model().objects.count(),
        "caliper_runs": CaliperRun.objects.count(),
        "caliper_scores": CaliperScore.objects.count(),
    }


def _users(count: int) -> None:
    """Members who cannot sign in (unusable passwords), made in one INSERT … SELECT."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
    from django.db import connection

    table = get_user_model()._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {table} (username, email, password, first_name, last_name, is_staff,
                is_active, is_superuser, date_joined)
            SELECT 'member-' || i, 'member-' || i || '@example.org', %s || md5(i::text), '', '',
                false, true, false, now() - (i %% 2000) * interval '1 day'
            FROM generate_series(1, %s) AS i
            ON CONFLICT (username) DO NOTHING
            """,  # noqa: S608 (table name only)  # nosec B608
            [UNUSABLE_PASSWORD_PREFIX, count],
        )


def _forum(scale: Scale) -> None:
    from django.core.management import call_command

    call_command(
        "forum_generate",
        topics=scale.topics,
        posts=scale.posts // scale.topics,
        long_topic=LONG_TOPIC,
        users=min(scale.users, 5_000),
        category=FORUM_CATEGORY,
        verbosity=0,
    )


def _bugs(scale: Scale) -> None:
    from django.db import connection

    from bench.bench_bugs import _generate
    from bugs.models import Bug, Comment
    from bugs.services.common import index_bugs

    _generate(scale.bugs, scale.bug_comments)
    # One long conversation: the bug page measured has LONG_BUG comments.
    bug = Bug.objects.filter(product__slug="bench", is_security=False).order_by("pk").first()
    have = Comment.objects.filter(bug=bug).count()
    if have < LONG_BUG:
        with connection.cursor() as cursor:
            cursor.execute(
                """
                INSERT INTO bugs_comment (bug_id, author_id, body, body_html, created_at)
                SELECT %(bug)s, %(author)s, 'Follow-up ' || c || ': tried again on the board.',
                    '<p>Follow-up ' || c || ': tried again on the board.</p>',
                    now() - (%(n)s - c) * interval '1 hour'
                FROM generate_series(1, %(n)s) AS c
                """,
                {"bug": bug.pk, "author": bug.reporter_id, "n": LONG_BUG - have},
            )
            cursor.execute(
                "UPDATE bugs_bug SET comment_count = (SELECT count(*) FROM bugs_comment "
                "WHERE bug_id = %s) WHERE id = %s",
                [bug.pk, bug.pk],
            )
        index_bugs([bug.pk])


def _lists(scale: Scale) -> None:
    """Messages in threads of mixed sizes (mean messages/threads), imported with import_mbox as
    an administrator would (threads, index and counters made by the ingestion service)."""
    from django.core.management import call_command

    from bench.mailgen import generate as messages
    from lists.mailboxes import mboxrd_entry
    from lists.models import MailingList, Message

    mailing_list, _created = MailingList.objects.get_or_create(
        name=LIST_NAME, defaults={"posting_address": f"{LIST_NAME}@lists.estuary.example"}
    )
    if Message.objects.filter(mailing_list=mailing_list).count() >= scale.messages:
        return
    mean = scale.messages // scale.threads
    sizes = tuple(range(1, 2 * mean))  # 1 … 2×mean-1 messages: mean messages a thread
    folder = Path(os.environ.get("VAR_DIR", "var/bench"))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"site-{scale.messages}.mbox"
    with path.open("wb") as out:
        for envelope, raw in messages(
            scale.messages - LONG_THREAD, seed=3, list_name=LIST_NAME, thread_sizes=sizes, busy=True
        ):
            out.write(mboxrd_entry(envelope.encode() + b"\n", raw))
        for envelope, raw in messages(
            LONG_THREAD, seed=4, list_name=LIST_NAME + "-long", thread_sizes=(LONG_THREAD,)
        ):
            out.write(mboxrd_entry(envelope.encode() + b"\n", raw))
    call_command("import_mbox", mailing_list.name, str(path), "--no-progress", verbosity=0)
    path.unlink()


def _caliper(scale: Scale) -> None:
    """One run uploaded through the service (parsed as users' files are), then copied in SQL
    with its scores varied, up to scale.caliper_runs over the boards and releases."""
    from django.db import connection

    from bench.bench_lab import _caliper_yaml
    from downloads.models import Board, Release
    from lab.models import CaliperRun
    from lab.services.caliper import Machine, upload_run

    have = CaliperRun.objects.count()
    if have >= scale.caliper_runs:
        return
    import bench.bench_lab

    bench.bench_lab.CASES = CALIPER_CASES
    board = Board.objects.get(slug="d05")
    releases = list(Release.objects.filter(version__in=["3.0", "3.1"]).order_by("version"))
    data = _caliper_yaml("site-template", 1.0)
    template = upload_run(
        board=board,
        release=releases[0],
        machine=Machine(
            cpu="Hi1616", memory="128 GiB", kernel="4.16", distribution="Ubuntu", compiler="gcc 7"
        ),
        files={
            "raw": ("site-template.yaml", data),
            "score": ("site-template_score.yaml", data),
            "post": ("site-template_score_post.yaml", data),
        },
    )
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH made AS (
                INSERT INTO lab_caliperrun (board_id, release_id, host, cpu, memory, kernel,
                    distribution, compiler, host_yaml, score_yaml, score_post_yaml, case_count,
                    failed_count, uploaded_by_id, created_at)
                SELECT board_id, (%(releases)s::bigint[])[1 + i %% 2], 'site-' || i, cpu,
                    memory, kernel, distribution, compiler, host_yaml, score_yaml,
                    score_post_yaml, case_count, failed_count, NULL,
                    now() - i * interval '1 hour'
                FROM lab_caliperrun, generate_series(1, %(n)s) AS i
                WHERE id = %(template)s
                RETURNING id
            )
            INSERT INTO lab_caliperscore (run_id, source, item, sub_item, point, "case", value)
            SELECT made.id, s.source, s.item, s.sub_item, s.point, s."case",
                CASE WHEN s.value = 0 THEN 0 ELSE s.value * (1 + (made.id %% 17) / 100.0) END
            FROM made, lab_caliperscore s
            WHERE s.run_id = %(template)s
            """,
            {
                "releases": [r.pk for r in releases],
                "n": scale.caliper_runs - have - 1,
                "template": template.pk,
            },
        )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__)
    parser.add_argument("--scale", choices=sorted(SCALES), default="small")
    args = parser.parse_args(argv)
    print(f"generating the {args.scale} community in {database_name(args.scale)}", flush=True)
    figures = generate(args.scale)
    import json

    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
