"""A run of the site bench narrowed while working on a page is kept beside the day's whole run,
never in its place: the committed results must come from whole runs."""

import os
import subprocess
import sys

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
