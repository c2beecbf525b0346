"""Requests per second and p95 latency of the bug list with three filters and a text query,
over 20,000 bugs and 200,000 comments, against /healthz in the same run.

The data is generated once in the bench database with set-based INSERTs inside PostgreSQL
and reused by later runs. The list is read anonymously and signed in as the security team
(who sees every bug, so the widest visibility check is the cheapest: the anonymous path is
what most readers take).
"""

from __future__ import annotations

import re
import subprocess
import tempfile
import time
from pathlib import Path

from bench.common import gunicorn, requests_per_second, setup_django

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
P95_SCRIPT = """
done = function(summary, latency, requests)
  io.write(string.format("p95_us %d\\n", latency:percentile(95)))
end
"""


def _generate() -> dict:
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
    if have < BUGS:
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
                    "stop": BUGS,
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
                    "per_bug": COMMENTS // BUGS,
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


def _p95(url: str, headers: dict[str, str] | None = None) -> str:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(P95_SCRIPT)
    command = ["wrk", "-t2", "-c8", f"-d{SECONDS}s", "-s", script.name, url]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    Path(script.name).unlink()
    micros = int(re.search(r"p95_us (\d+)", out).group(1))
    return f"{micros / 1000:.2f}ms"


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
    with gunicorn() as url:
        healthz = requests_per_second(f"{url}/healthz", seconds=SECONDS)
        healthz["latency_p95"] = _p95(f"{url}/healthz")
        figures["healthz"] = healthz
        for name, path in pages.items():
            result = requests_per_second(f"{url}{path}", seconds=SECONDS)
            result["latency_p95"] = _p95(f"{url}{path}")
            result["vs_healthz"] = round(
                result["requests_per_second"] / healthz["requests_per_second"], 3
            )
            figures[name] = result
    return figures
