"""A run of the site bench narrowed while working on a page is kept beside the day's whole run,
never in its place: the committed results must come from whole runs."""

import os
import subprocess
import sys

import pytest
from django.conf import settings

ASK_KEY = (
    "import bench.bench_site; from bench.__main__ import result_key; "
    "print(result_key('bench_site'))"
)


def _key(**environment: str) -> str:
    narrowing = (
        "BENCH_SCALE",
        "BENCH_CONCURRENCY",
        "BENCH_PAGES",
        "BENCH_SECONDS",
        "BENCH_THREADS",
    )
    env = {k: v for k, v in os.environ.items() if k not in narrowing} | environment
    done = subprocess.run(
        [sys.executable, "-c", ASK_KEY],
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
    done = subprocess.run(
        [sys.executable, "-c", "from bench.__main__ import result_key; "
         "print(result_key('bench_no_such_bench'))"],
        cwd=settings.BASE_DIR, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert done.stdout.strip() == "no_such_bench"
