"""The whole site under load, as its operators would measure it: every section's pages over one
community (bench.generate, `--scale full` by default), served as production serves them
(gunicorn with 2 × cores + 1 threaded workers, DEBUG=0, PostgreSQL, the Redis cache, whitenoise),
loaded with wrk at concurrency 1, 16 and 64.

    python -m bench site [--scale small|full]

Each page's requests/s, p50/p95/p99 and errors, and its rate as a ratio of the two floors
measured in the same run around it: /healthz/live (touches nothing) and /healthz (round-trips
to PostgreSQL, Redis and the broker). On a shared machine absolute figures move with the other
load (the load averages are recorded); the ratios within one run are what compare. The issue's
goals are checked and reported, never raised: a run always writes its figures.
"""

from __future__ import annotations

import itertools
import os
import random
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from bench.common import (
    DEPLOYED_THREADS,
    THREADS,
    celery_worker,
    forget_kept,
    gunicorn,
    repeated,
    session_cookie,
    warm,
)

# BENCH_CONCURRENCY=16 and BENCH_PAGES=home,search narrow a run while working on a page; the
# committed results come from whole runs.
WHOLE_CONCURRENCY = (1, 16, 64)
WHOLE_SECONDS = 5
CONCURRENCY = (
    tuple(int(c) for c in os.environ.get("BENCH_CONCURRENCY", "").split(",") if c)
    or WHOLE_CONCURRENCY
)
PAGES = [p for p in os.environ.get("BENCH_PAGES", "").split(",") if p]
SECONDS = int(os.environ.get("BENCH_SECONDS", WHOLE_SECONDS))
# Different queries at each concurrency: more than a level asks in its window (at 16
# connections, five seconds at the floor's rate), so that every request asks a query anew and
# no kept answer serves it. At 1,200 a level wrapped around: in the whole runs of 2026-12-02 a
# third of the requests at 16 connections (87c749f) and most at 64 repeated a query.
SEARCHES = 1_200
SEARCHES_LOADED = 3_000  # above one connection
WARM_SEARCHES = 20  # asked before the levels, none of them asked at a level
GOAL_CONCURRENCY = 16
DRAIN_LIMIT_SECONDS = 10
# Most of a community's active people are signed in: these pages are measured as a member (no
# group, no rights) sees them too.
SIGNED_IN_PAGES = (
    "forum_category", "topic_500_first", "home", "board_page", "release_page", "doc_page",
    "bug_list_3_filters", "bug_100_comments", "list_page", "thread_300", "caliper_compare",
)  # fmt: skip

# What every browser sends, as readers' requests carry it: signed-out pages are answered gzipped
# (portal/page_cache.py). One page is measured without it too, as curl or a feed reader asks:
# shown in the table, not a goal of the list.
BROWSER_HEADERS = {"Accept-Encoding": "gzip, deflate, br, zstd"}
UNCOMPRESSED = {"thread_300_uncompressed": "thread_300"}

# figures: requests, duration (µs), errors (connect/read/write/timeout), statuses ≥ 400,
# statuses ≥ 500, p50/p95/p99 (µs). wrk's Lua state is per thread: done() reads each thread's.
FIGURES_LUA = """
local threads = {}
setup = function(thread)
  table.insert(threads, thread)
  thread:set("thread_number", #threads - 1)
end
init = function(args) server_errors = 0 end
response = function(status, headers, body)
  if status >= 500 then server_errors = server_errors + 1 end
end
done = function(summary, latency, requests)
  local server = 0
  for _, thread in ipairs(threads) do server = server + (thread:get("server_errors") or 0) end
  io.write(string.format("figures %d %d %d %d %d %d %d %d\\n", summary.requests,
    summary.duration, summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout, summary.errors.status, server, latency:percentile(50),
    latency:percentile(95), latency:percentile(99)))
end
"""
# Each of wrk's threads starts its own part of the rotation: otherwise both would ask the same
# queries at the same moment, and each search would be made twice.
ROTATE_LUA = """
local counter = 0
request = function()
  counter = counter + 1
  local start = offset + (thread_number or 0) * stride
  return wrk.format(nil, paths[1 + (counter + start) % #paths])
end
"""


def _lua_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def wrk(
    url: str,
    *,
    connections: int,
    seconds: int = SECONDS,
    headers: dict[str, str] | None = None,
    paths: list[str] | None = None,
) -> dict:
    """Load one URL (or rotate over paths) with wrk: loopback only, bounded in time."""
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is not installed (Debian package wrk; make bench installs it)")
    threads = min(2, connections)
    script = FIGURES_LUA
    if paths:
        listed = ",\n".join(_lua_string(p) for p in paths)
        offset = random.Random(connections).randrange(len(paths))
        rotation = (
            f"paths = {{\n{listed}\n}}\noffset = {offset}\nstride = {len(paths) // threads}\n"
        )
        script = rotation + ROTATE_LUA + script
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    command = [
        "wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s",
        "--timeout", "10s", "-s", handle.name,
    ]  # fmt: skip
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    try:
        done = subprocess.run([*command, url], capture_output=True, text=True, timeout=seconds + 60)
    finally:
        Path(handle.name).unlink()
    found = re.search(r"figures (.*)", done.stdout)
    if not found:  # wrk itself failed: say so in the figures, never crash the run
        return {"requests_per_second": 0.0, "failed": (done.stderr or done.stdout)[-300:]}
    requests, micros, errors, status_4xx_5xx, status_5xx, p50, p95, p99 = map(
        int, found.group(1).split()
    )
    # wrk stops with `connections` requests still in the server, which drain in about the
    # load's p50 (Little's law): measured at once, the next page waited behind them (the page
    # after search had its p99 at 5-6.6 times its p50). Its p99 is ample, at most DRAIN_LIMIT.
    time.sleep(min(p99 / 1e6, DRAIN_LIMIT_SECONDS))
    rotation = {"queries": len(paths), "repeated": repeated(requests, paths)} if paths else {}
    return rotation | {
        "requests_per_second": round(requests / (micros / 1e6), 1) if micros else 0.0,
        "requests": requests,
        "socket_errors": errors,
        "status_4xx_5xx": status_4xx_5xx,
        "status_5xx": status_5xx,
        "p50_ms": round(p50 / 1000, 2),
        "p95_ms": round(p95 / 1000, 2),
        "p99_ms": round(p99 / 1000, 2),
    }


def search_queries(count: int = SEARCHES) -> list[str]:
    """`count` different queries over every section's words (no cache answers them all): one
    word, two words, a rare part name, a word and a board name."""
    from urllib.parse import urlencode

    from bench.bench_bugs import WORDS as BUG_WORDS
    from bench.bench_docs import RARE
    from bench.bench_docs import WORDS as DOC_WORDS
    from bench.bench_lists import WORDS as LIST_WORDS

    words = sorted(set(BUG_WORDS) | set(DOC_WORDS) | set(LIST_WORDS) | {"console", "serial"})
    rng = random.Random(15)
    queries: set[str] = set(words)
    for attempt in itertools.count():  # by attempt: a kind whose every query is taken is passed
        if len(queries) >= count:
            break
        if attempt > 100 * count:
            raise ValueError(f"the bench's words make fewer than {count} different queries")
        kind = attempt % 3
        if kind == 0:
            queries.add(" ".join(rng.sample(words, 2)))
        elif kind == 1:
            queries.add(rng.choice(RARE))
        else:
            queries.add(f"{rng.choice(words)} d0{rng.randint(2, 6)}")
    ordered = sorted(queries)
    rng.shuffle(ordered)
    return [f"/search/?{urlencode({'q': q})}" for q in ordered[:count]]


def queries_by_level(levels: tuple[int, ...] = CONCURRENCY) -> dict[int | str, list[str]]:
    """The queries of each concurrency, none asked at another or in the warm-up ("warm"):
    answers kept from before (for ANSWER_TIMEOUT) would otherwise answer a level's."""
    counts = {"warm": WARM_SEARCHES, **{c: SEARCHES if c == 1 else SEARCHES_LOADED for c in levels}}
    every = iter(search_queries(sum(counts.values())))
    return {level: list(itertools.islice(every, count)) for level, count in counts.items()}


def pages(scale) -> dict[str, str]:
    """The pages measured, named as in the issue, found in the generated data."""
    from bench.generate import FORUM_CATEGORY, LIST_NAME, LONG_BUG, LONG_THREAD, LONG_TOPIC
    from bugs.models import Bug
    from docs_app.models import Page
    from forum.models import Topic
    from lab.models import CaliperRun
    from lists.models import Thread

    board = f"bench-{scale.boards // 2:02d}"
    release = f"bench-{scale.releases // 2:02d}"
    topic = Topic.objects.filter(category__slug=FORUM_CATEGORY, reply_count__gte=LONG_TOPIC - 1)
    topic = topic.order_by("pk").first()
    if topic is None:  # a bench database of its own, not the generated community
        from django.db import connection

        raise RuntimeError(
            f"database {connection.settings_dict['NAME']} holds no generated community: "
            "make one with `python -m bench.generate --scale small` (or full) and run this "
            "bench with BENCH_DATABASE=estuary_site_small BENCH_SCALE=small (or full)"
        )
    last_page = (topic.reply_count + 1 + 19) // 20
    bug = Bug.objects.filter(comment_count__gte=LONG_BUG, is_security=False).order_by("pk")[0]
    thread = Thread.objects.filter(
        mailing_list__name=LIST_NAME, message_count__gte=LONG_THREAD
    ).first()
    doc = Page.objects.filter(slug__startswith="bench-").order_by("pk").first()
    runs = list(CaliperRun.objects.filter(board__slug="d05").order_by("pk").values_list("pk"))
    named = {
        "home": "/",
        "board_grid": "/downloads/",
        "board_page": f"/downloads/{board}/",
        "release_page": f"/downloads/releases/{release}/",
        "doc_page": doc.get_absolute_url(),
        "search": "/search/?q=kernel",  # rotated over the level's queries when loaded
        "forum_category": f"/forum/c/{FORUM_CATEGORY}/",
        "topic_500_first": topic.get_absolute_url(),
        "topic_500_middle": f"{topic.get_absolute_url()}?page={last_page // 2}",
        "topic_500_last": f"{topic.get_absolute_url()}?page={last_page}",
        "bug_list_3_filters": "/bugs/?board=bench-bugs-1&status=open&severity=major",
        "bug_100_comments": bug.get_absolute_url(),
        "list_page": f"/lists/{LIST_NAME}/",
        "thread_300": thread.get_absolute_url(),
        "caliper_compare": f"/lab/caliper/compare/runs/{runs[0][0]}/{runs[-1][0]}/",
        "api_latest_release": f"/api/v1/boards/{board}/latest/",
    }
    named |= {extra: named[page] for extra, page in UNCOMPRESSED.items()}
    return named | {f"signed_in_{name}": named[name] for name in SIGNED_IN_PAGES}


def _loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _floors(url: str, connections: int, seconds: int) -> dict:
    return {
        name: wrk(f"{url}{path}", connections=connections, seconds=seconds, headers=BROWSER_HEADERS)
        for name, path in (("live", "/healthz/live"), ("healthz", "/healthz"))
    }


def measure(url: str, named: dict[str, str], cookie: str, queries: dict[int, list[str]]) -> dict:
    """Every page at every concurrency, the floors measured before and after each level (their
    mean is the level's floor: the machine's load drifts within a run)."""
    levels: dict = {}
    for connections in CONCURRENCY:
        # At 64 connections a slow page answers in seconds on a busy machine: a longer window
        # lets its answers land inside it.
        seconds = SECONDS * 2 if connections > GOAL_CONCURRENCY else SECONDS
        level: dict = {"load_average_before": _loadavg(), "seconds": seconds}
        floors_before = _floors(url, connections, seconds)
        for name, path in named.items():
            headers = {} if name in UNCOMPRESSED else dict(BROWSER_HEADERS)
            if name.startswith("signed_in"):
                headers["Cookie"] = cookie
            level[name] = wrk(
                url + path,
                connections=connections,
                seconds=seconds,
                headers=headers,
                paths=queries[connections] if name == "search" else None,
            )
        floors_after = _floors(url, connections, seconds)
        for floor in ("live", "healthz"):
            before, after = floors_before[floor], floors_after[floor]
            level[f"floor_{floor}"] = {
                "requests_per_second": round(
                    (before["requests_per_second"] + after["requests_per_second"]) / 2, 1
                ),
                "before": before,
                "after": after,
            }
        for name in named:
            for floor in ("live", "healthz"):
                rate = level[f"floor_{floor}"]["requests_per_second"]
                level[name][f"vs_{floor}"] = (
                    round(level[name]["requests_per_second"] / rate, 3) if rate else None
                )
        level["load_average_after"] = _loadavg()
        levels[f"c{connections}"] = level
        print(f"   concurrency {connections} done, load {_loadavg()}", flush=True)
    return levels


def goals(levels: dict, named: dict[str, str]) -> list[dict]:
    """The issue's goals at concurrency 16, each passed or failed (reported, not raised)."""
    level = levels.get(f"c{GOAL_CONCURRENCY}", {})
    checks = []
    # The floor's own tail: what the machine allows a page's p99 at best (the floor touches
    # nothing; when it fails, the pages' p99 checks measure the machine, not the pages).
    for when in ("before", "after"):
        figures = level.get("floor_live", {}).get(when, {})
        p50, p99 = figures.get("p50_ms"), figures.get("p99_ms")
        if p50 and p99:
            checks.append(
                _check(f"floor_live ({when})", "p99 ≤ 3 × p50", round(p99 / p50, 1), p99 <= 3 * p50)
            )
    for name in named:
        figures = level.get(name)
        if not figures or name in UNCOMPRESSED:
            continue
        signed_in = name.startswith("signed_in")
        if name == "search":
            vs = figures.get("vs_healthz")
            checks.append(_check(name, "≥ 0.5 of /healthz", vs, vs is not None and vs >= 0.5))
            p95 = figures.get("p95_ms")
            checks.append(_check(name, "p95 < 50 ms", p95, p95 is not None and p95 < 50))
            # Otherwise the two above measure the kept answers, not the search.
            again = figures.get("repeated")
            checks.append(_check(name, "no query asked twice", again, again == 0))
        else:
            want = 0.2 if signed_in else 0.5
            vs = figures.get("vs_live")
            checks.append(
                _check(name, f"≥ {want} of /healthz/live", vs, vs is not None and vs >= want)
            )
        p50, p99 = figures.get("p50_ms"), figures.get("p99_ms")
        checks.append(
            _check(name, "p99 ≤ 3 × p50", p99 and p50 and round(p99 / p50, 1), bool(
                p50 and p99 and p99 <= 3 * p50
            ))
        )  # fmt: skip
        errors = figures.get("status_4xx_5xx", 0) + figures.get("socket_errors", 0)
        checks.append(_check(name, "no errors", errors, errors == 0))
    return checks


def _check(page: str, goal: str, value, passed: bool) -> dict:
    return {"page": page, "goal": goal, "value": value, "passed": passed}


def table(levels: dict, named: dict[str, str]) -> str:
    head = f"{'page':28}" + "".join(
        f" | c{c:<3} req/s  p50ms  p95ms  p99ms  /live /hz " for c in CONCURRENCY
    )
    lines = [head, "-" * len(head)]
    for name in ["floor_live", "floor_healthz", *named]:
        row = f"{name:28}"
        for c in CONCURRENCY:
            figures = levels.get(f"c{c}", {}).get(name, {})
            if name.startswith("floor_"):
                inner = figures.get("after", {})
                row += (
                    f" | {figures.get('requests_per_second', 0):10.1f} "
                    f"{inner.get('p50_ms', 0):6.1f} {inner.get('p95_ms', 0):6.1f} "
                    f"{inner.get('p99_ms', 0):6.1f} {'':5} {'':4}"
                )
                continue
            row += (
                f" | {figures.get('requests_per_second', 0):10.1f} "
                f"{figures.get('p50_ms', 0):6.1f} {figures.get('p95_ms', 0):6.1f} "
                f"{figures.get('p99_ms', 0):6.1f} {_fmt(figures.get('vs_live'))} "
                f"{_fmt(figures.get('vs_healthz'), 4)}"
            )
        lines.append(row)
    return "\n".join(lines)


def _fmt(value, width: int = 5) -> str:
    return f"{value:{width}.2f}" if isinstance(value, float | int) else f"{'-':>{width}}"


def _scale() -> str:
    """The generated community this run is measured on (`--scale`): the full one unless told."""
    return os.environ.get("BENCH_SCALE", "full")


def variant() -> str:
    """How this run departs from a whole one, '' for a whole run: `concurrency=16, pages=home`."""
    settings = {
        "scale": (_scale(), "full"),
        "concurrency": (CONCURRENCY, WHOLE_CONCURRENCY),
        "pages": (PAGES, []),
        "seconds": (SECONDS, WHOLE_SECONDS),
        "threads": (THREADS, DEPLOYED_THREADS),
    }
    return ", ".join(
        f"{name}={','.join(map(str, value)) if isinstance(value, list | tuple) else value}"
        for name, (value, whole) in settings.items()
        if value != whole
    )


def run() -> dict:
    from bench.generate import SCALES, generate

    scale_name = _scale()
    generated = generate(scale_name)
    named = pages(SCALES[scale_name])
    if PAGES:
        named = {name: path for name, path in named.items() if name in PAGES}
    cookie = session_cookie("bench-reader")
    queries = queries_by_level()
    workers = 2 * (os.cpu_count() or 1) + 1
    figures: dict = {
        "scale": scale_name,
        "data": generated,
        "server": {"workers": workers, "worker_class": "BalancedWorker", "threads": THREADS},
        "seconds_per_measurement": SECONDS,
        # at each concurrency, none of them asked at another
        "search_queries": {f"c{c}": len(queries[c]) for c in CONCURRENCY},
        "pages": named,
    }
    forget_kept()
    # The default queue's worker, as production has: it renews kept pages older than their time.
    with celery_worker("default", name="bench-site"), gunicorn(workers=workers) as url:
        figures["warm_statuses"] = warm(
            url,
            ["/healthz", "/healthz/live", *named.values(), *queries["warm"]],
            cookie=cookie,
            headers=BROWSER_HEADERS,
        )
        levels = measure(url, named, cookie, queries)
    figures["levels"] = levels
    checks = goals(levels, named)
    figures["goals"] = checks
    print(table(levels, named), flush=True)
    print(f"goals at concurrency {GOAL_CONCURRENCY}:")
    for check in checks:
        mark = "pass" if check["passed"] else "FAIL"
        print(f"   {mark}  {check['page']:28} {check['goal']:24} {check['value']}")
    passed = sum(c["passed"] for c in checks)
    print(f"   {passed} of {len(checks)} goals pass", flush=True)
    return figures
