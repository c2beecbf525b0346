"""Faults of the services under the site: it recovers by itself, loses nothing, leaves no half.

A real gunicorn serves the test database with persistent connections (as production does);
PostgreSQL then drops every connection it had, as a restart or a fail-over does.
"""

import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from bench.common import _wait_for_port, free_port
from tests.conftest import _database_url, end_other_sessions

ROOT = Path(settings.BASE_DIR)
pytestmark = pytest.mark.django_db(transaction=True)


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=20) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_the_site_recovers_by_itself_when_postgresql_drops_its_connections(tmp_path):
    database_url = _database_url()
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DB_CONN_MAX_AGE": "600",  # connections kept, as in production
        "VAR_DIR": str(tmp_path / "var"),
        "LOG_LEVEL": "ERROR",
    }
    log = tmp_path / "gunicorn.log"
    # The test's own connection would be dropped too: let Django open a new one afterwards.
    connection.close()
    server = subprocess.Popen(
        [
            sys.executable, "-m", "gunicorn", "portal.wsgi:application", "--bind",
            f"127.0.0.1:{port}", "--workers", "1", "--threads", "2",
            "--worker-class", "portal.web_worker.BalancedWorker",
        ],
        cwd=ROOT, env=env, start_new_session=True,
        stdout=log.open("wb"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        _wait_for_port(port)
        base = f"http://127.0.0.1:{port}"
        pages = ["/", "/downloads/", "/forum/", "/docs/", "/healthz"]
        for _ in range(3):
            answers = [_get(base + page) for page in pages]
            assert answers == [200] * len(pages), log.read_text()[-3000:]
        assert end_other_sessions(database_url) >= 1
        # Every request after the drop is answered: the first one reconnects, none sees a 500.
        answers = [_get(base + page) for page in pages * 2]
        assert answers == [200] * len(pages) * 2, log.read_text()[-3000:]
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
