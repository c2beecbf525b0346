"""Requests per second and p95 latency of the bug list with three filters and a text query,
over 20,000 bugs and 200,000 comments, against /healthz in the same run.

The data is generated once in the bench database with set-based INSERTs inside PostgreSQL
and reused by later runs. The list is read anonymously and by a signed-in reader who may see
no security bug (both get the list kept rendered for the query), and through the API (made
fresh for every request).
"""

from __future__ import annotations

import re
import subprocess
import tempfile
import time
from pathlib import Path

from bench.common import gunicorn, ratio, session_cookie, setup_django, warm

BUGS = 20_000
COMMENTS = 200_000
SECONDS = 5
WORDS = [
    "kernel",
    "panic",
    "firmware",
    "uefi",
    "grub",
    "boot",
    "hang",
    "network",
    "link",
    "pcie",
    "sata",
    "usb",
    "dmesg",
    "oops",
    "timeout",
    "device",
    "tree",
    "acpi",
    "interrupt",
    "clock",
    "regulator",
    "ethernet",
    "driver",
    "watchdog",
    "reset",
    "memory",
    "cache",
    "thermal",
    "fan",
    "serial",
    "console",
    "image",
    "rootfs",
    "ubuntu",
    "centos",
    "debian",
    "build",
]
LOAD_SCRIPT = """
done = function(summary, latency, requests)
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.timeout
  io.write(string.format("figures %d %d %d %d %d %d\\n", summary.requests, summary.duration,
    errors, latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


def _generate(bugs: int = BUGS, comments: int = COMMENTS) -> dict:
    """Bugs and comments of the Bench product (also bench.generate's, at its scale)."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    from bugs.models import Bug, Comment, Component, Product
    from bugs.services.common import index_bugs
    from downloads.models import Board

    started = time.monotonic()
    product, _created = Product.objects.get_or_create(slug="bench", defaults={"name": "Bench"})
    component, _created = Component.objects.get_or_create(
        product=product, slug="bench", defaults={"name": "Bench"}
    )
    boards = [
        Board.objects.get_or_create(slug=f"bench-bugs-{i}", defaults={"name": f"Bench {i}"})[0]
        for i in range(8)
    ]
    user_model = get_user_model()
    people = [user_model.objects.get_or_create(username=f"bench-bugs-{i}")[0] for i in range(50)]
    have = Bug.objects.filter(product=product).count()
    if have < bugs:
        with connection.cursor() as cursor:
            cursor.execute(
                """
                INSERT INTO bugs_bug (product_id, component_id, board_id, severity, priority,
                    status, resolution, summary, description, description_html, reporter_id,
                    assignee_id, is_security, comment_count, created_at, updated_at)
                SELECT %(product)s, %(component)s,
                    (%(boards)s::int[])[1 + i %% 8],
                    (ARRAY['blocker','critical','major','normal','minor','trivial',
                           'enhancement'])[1 + i %% 7],
                    'P' || (1 + i %% 5),
                    (ARRAY['UNCONFIRMED','CONFIRMED','IN_PROGRESS','REOPENED',
                           'RESOLVED','VERIFIED'])[1 + i %% 6],
                    CASE WHEN i %% 6 >= 4 THEN 'FIXED' ELSE '' END,
                    initcap((%(words)s::text[])[1 + i %% 36]) || ' ' ||
                        (%(words)s::text[])[1 + (i / 36) %% 36] || ' ' ||
                        (%(words)s::text[])[1 + (i / 7) %% 36] || ' on bench board ' || i,
                    'Steps: ' || (%(words)s::text[])[1 + (i / 3) %% 36] || ' then ' ||
                        (%(words)s::text[])[1 + (i / 11) %% 36] || '.',
                    '<p>generated</p>',
                    (%(people)s::int[])[1 + i %% 50],
                    (%(people)s::int[])[1 + (i / 50) %% 50],
                    i %% 50 = 0, 0,
                    now() - (i || ' minutes')::interval, now() - (i || ' minutes')::interval
                FROM generate_series(%(start)s, %(stop)s) AS i
                """,
                {
                    "product": product.pk,
                    "component": component.pk,
                    "boards": [b.pk for b in boards],
                    "people": [p.pk for p in people],
                    "words": WORDS,
                    "start": have + 1,
                    "stop": bugs,
                },
            )
            cursor.execute(
                """
                INSERT INTO bugs_comment (bug_id, author_id, body, body_html, created_at)
                SELECT b.id, (%(people)s::int[])[1 + c %% 50],
                    'Comment ' || c || ': ' || (%(words)s::text[])[1 + c %% 36] || ' '
                        || (%(words)s::text[])[1 + (c / 5) %% 36] || ' seen again.',
                    '<p>comment</p>', now()
                FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM bugs_bug
                      WHERE product_id = %(product)s) AS b,
                    generate_series(1, %(per_bug)s) AS c
                """,
                {
                    "people": [p.pk for p in people],
                    "words": WORDS,
                    "product": product.pk,
                    "per_bug": comments // bugs,
                },
            )
            cursor.execute(
                "UPDATE bugs_bug b SET comment_count = c.n FROM (SELECT bug_id, count(*) AS n "
                "FROM bugs_comment GROUP BY bug_id) c WHERE c.bug_id = b.id"
            )
        index_bugs(Bug.objects.filter(product=product).values_list("pk", flat=True))
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE bugs_bug; ANALYZE bugs_comment;")
    return {
        "bugs": Bug.objects.filter(product=product).count(),
        "comments": Comment.objects.filter(bug__product=product).count(),
        "prepared_seconds": round(time.monotonic() - started, 1),
        "board": boards[1].slug,
    }


def _load(url: str, headers: dict[str, str] | None = None) -> dict:
    """wrk on one URL (loopback, bounded in time): requests/s, errors, p50, p95 and p99."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(LOAD_SCRIPT)
    command = ["wrk", "-t2", "-c8", f"-d{SECONDS}s", "-s", script.name, url]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    try:
        out = subprocess.run(
            command, capture_output=True, text=True, check=True, timeout=SECONDS + 30
        ).stdout
    finally:
        Path(script.name).unlink()
    done, micros, errors, p50, p95, p99 = map(int, re.search(r"figures (.*)", out).group(1).split())
    return {
        "requests_per_second": round(done / (micros / 1e6), 2),
        "errors_or_non_2xx": errors,
        "latency_p50": f"{p50 / 1000:.2f}ms",
        "latency_p95": f"{p95 / 1000:.2f}ms",
        "latency_p99": f"{p99 / 1000:.2f}ms",
    }


def run() -> dict:
    setup_django()
    data = _generate()
    board = data.pop("board")
    figures: dict = {"data": data}
    query = f"/bugs/?board={board}&status=open&severity=major&q=firmware"
    pages = {
        "list_three_filters_and_text": query,
        "list_first_page_unfiltered": "/bugs/",
        "api_list_three_filters_and_text": query.replace("/bugs/", "/api/v1/bugs/"),
    }
    # A signed-in reader (not in the security group): the list is rendered for them.
    cookie = {"Cookie": session_cookie("bench-bugs-reader")}
    with gunicorn() as url:
        warm(url, ["/healthz", *pages.values()], rounds=4)
        healthz = _load(f"{url}/healthz")
        figures["healthz"] = healthz
        runs = [(name, path, None) for name, path in pages.items()]
        runs.append(("list_three_filters_and_text_signed_in", query, cookie))
        for name, path, headers in runs:
            result = _load(f"{url}{path}", headers)
            result["vs_healthz"] = ratio(result, healthz)
            figures[name] = result
    return figures
