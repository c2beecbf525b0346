"""The benches' runs: each bench of a run in a process of its own; a run of the site bench narrowed
while working on a page is kept beside the day's whole run, never in its place (the committed
results must come from whole runs); its search figures measure the search, not the answers it
keeps."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

# What a run may be narrowed by: the test's own environment must not narrow it.
NARROWING = ("BENCH_SCALE", "BENCH_CONCURRENCY", "BENCH_PAGES", "BENCH_SECONDS", "BENCH_THREADS")


def _key(module: str = "bench_site", **environment: str) -> str:
    """The name `python -m bench` keeps `module`'s figures under, once it has imported it."""
    ask = (
        f"import contextlib, importlib\n"
        f"with contextlib.suppress(ImportError): importlib.import_module('bench.{module}')\n"
        f"from bench.__main__ import result_key\n"
        f"print(result_key('{module}'))"
    )
    env = {k: v for k, v in os.environ.items() if k not in NARROWING} | environment
    done = subprocess.run(
        [sys.executable, "-c", ask],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


@pytest.mark.parametrize(
    ("environment", "key"),
    [
        ({}, "site"),
        ({"BENCH_SCALE": "full", "BENCH_CONCURRENCY": "1,16,64", "BENCH_THREADS": "4"}, "site"),
        (
            {"BENCH_CONCURRENCY": "16", "BENCH_PAGES": "home,search"},
            "site (concurrency=16, pages=home,search)",
        ),
        ({"BENCH_SCALE": "small"}, "site (scale=small)"),
        ({"BENCH_THREADS": "1", "BENCH_SECONDS": "2"}, "site (seconds=2, threads=1)"),
    ],
)
def test_a_narrowed_run_is_kept_under_its_own_name(environment, key):
    assert _key(**environment) == key


def test_a_bench_that_failed_to_import_is_kept_under_its_own_name():
    assert _key("bench_no_such_bench") == "no_such_bench"


# A bench that sets Django up as every bench does, and says whether it was already set up.
PROBE = """
import os


def run() -> dict:
    import django
    from django.apps import apps

    set_up_before = apps.ready
    django.setup()
    return {"pid": os.getpid(), "set_up_before": set_up_before}
"""


def test_each_bench_of_a_run_sets_django_up_in_a_process_of_its_own(tmp_path):
    # In one process the second bench found Django set up on the first one's database: the
    # site bench, run after the search bench, filled the search bench's database.
    copy = tmp_path / "bench"
    ignored = shutil.ignore_patterns("results", "__pycache__")
    shutil.copytree(Path(settings.BASE_DIR) / "bench", copy, ignore=ignored)
    for name in ("first", "second"):
        (copy / f"bench_zz_{name}.py").write_text(PROBE)
    env = {k: v for k, v in os.environ.items() if k not in NARROWING}
    env |= {"PYTHONPATH": f"{tmp_path}{os.pathsep}{settings.BASE_DIR}"}
    env.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    command = [sys.executable, "-m", "bench", "zz_first", "zz_second"]
    subprocess.run(command, cwd=tmp_path, env=env, check=True, capture_output=True)
    [results] = (copy / "results").glob("*.json")
    benches = json.loads(results.read_text())["benchmarks"]
    figures = {name: bench["figures"] for name, bench in benches.items()}
    assert set(figures) == {"zz_first", "zz_second"}
    assert figures["zz_first"]["pid"] != figures["zz_second"]["pid"]
    assert not figures["zz_second"]["set_up_before"]


def test_each_level_asks_queries_of_its_own_enough_that_none_is_asked_twice():
    from bench.bench_site import SEARCHES, SEARCHES_LOADED, WARM_SEARCHES, queries_by_level

    queries = queries_by_level((1, 16, 64))
    assert {level: len(asked) for level, asked in queries.items()} == {
        "warm": WARM_SEARCHES,
        1: SEARCHES,
        16: SEARCHES_LOADED,
        64: SEARCHES_LOADED,
    }
    every = [query for asked in queries.values() for query in asked]
    assert len(set(every)) == len(every)  # none asked at two levels, or in the warm-up
    # More than a level at 16 connections asks in its window at the floor's rate here (5 s at
    # 600 requests/s): the rate search would have to reach to pass its goal.
    assert SEARCHES_LOADED >= 5 * 600


def test_a_search_level_that_asked_a_query_twice_fails_its_goal():
    from bench.bench_site import goals
    from bench.common import repeated

    queries = [f"/search/?q=q{n}" for n in range(3)]
    assert repeated(2, queries) == 0
    assert repeated(5, queries) == 2
    figures = {"requests_per_second": 900.0, "p50_ms": 10.0, "p95_ms": 12.0, "p99_ms": 14.0}
    figures |= {"vs_live": 1.0, "vs_healthz": 2.0, "status_4xx_5xx": 0, "socket_errors": 0}
    for again, passed in ((0, True), (2, False)):
        level = {"search": figures | {"repeated": again}}
        checks = goals({"c16": level}, {"search": "/search/"})
        assert [c["goal"] for c in checks if not c["passed"]] == ([] if passed else [
            "no query asked twice"
        ])  # fmt: skip
