"""Production settings refuse to start on a development key or without the site's host names."""

import os
import subprocess
import sys

from django.conf import settings


def _check(**environment: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "ALLOWED_HOSTS"}}
    env.update(environment)
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_production_refuses_to_start_without_a_secret_key_or_allowed_hosts():
    no_key = _check(DEBUG="0", ALLOWED_HOSTS="estuary.example.org")
    assert no_key.returncode != 0 and "SECRET_KEY is not set" in no_key.stderr
    no_hosts = _check(DEBUG="0", SECRET_KEY="k" * 50)
    assert no_hosts.returncode != 0 and "ALLOWED_HOSTS is not set" in no_hosts.stderr
    neither = _check(DEBUG="0")
    assert "SECRET_KEY and ALLOWED_HOSTS are not set" in neither.stderr
    assert _check(DEBUG="0", SECRET_KEY="k" * 50, ALLOWED_HOSTS="e.org").returncode == 0
    assert _check(DEBUG="1").returncode == 0  # development keeps its defaults
