"""The site on its embedded defaults, as `make run` starts it: SQLite, Celery over the
filesystem transport, console mail, everything under one var/ folder; no service at all."""

import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

from django.conf import settings

from bench.common import free_port
from tests.conftest import stop_gpg_agent, wait_until
from tests.crawl import LiveClient, crawl

ROOT = Path(settings.BASE_DIR)
SERVICE_VARIABLES = ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND")


def embedded_env(var_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SERVICE_VARIABLES}
    env.update({"VAR_DIR": str(var_dir), "DEBUG": "1", "ADMIN_PASSWORD": "embedded-admin-pw"})
    env.pop("EMAIL_URL", None)
    return env


def manage(env, *args) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def get(url: str, cookie: str = "") -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except OSError:
        return 0, b""


# A member's session, made as the login would make it.
SIGNED_IN_SESSION = """
from importlib import import_module
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth import get_user_model
user = get_user_model().objects.create_user("embedded-reader", password="pw-for-tests-1")
session = import_module(settings.SESSION_ENGINE).SessionStore()
session[SESSION_KEY] = str(user.pk)
session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
session[HASH_SESSION_KEY] = user.get_session_auth_hash()
session.save()
print(f"{settings.SESSION_COOKIE_NAME}={session.session_key}")
"""


def test_site_serves_pages_and_runs_tasks_with_no_service(tmp_path):
    env = embedded_env(tmp_path / "var")
    manage(env, "migrate", "--no-input")
    seeded = manage(env, "seed_demo")
    assert "Admin login: admin / embedded-admin-pw" in seeded
    assert (tmp_path / "var" / "portal.sqlite3").exists()

    worker_log = (tmp_path / "worker.log").open("w+")
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "portal", "worker", "-Q", "default,builds",
         "--concurrency", "1", "--loglevel", "INFO"],
        cwd=ROOT, env=env, stdout=worker_log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until(lambda: get(f"{base}/healthz")[0] in (200, 503), timeout=60)
        status, body = get(f"{base}/healthz")
        assert status == 200, body
        assert json.loads(body) == {
            "database": "ok",
            "cache": "ok",
            "broker": "ok",
            "status": "ok",
        }
        status, body = get(f"{base}/")
        assert status == 200 and b"Linux on ARM64 boards" in body
        # A forum topic's page: its queries must not need PostgreSQL's arrays.
        printed = manage(
            env,
            "shell",
            "-c",
            "from forum.models import Topic; "
            "topic = Topic.objects.order_by('pk')[0]; "
            "print(topic.get_absolute_url()); print(topic.category.get_absolute_url())",
        )
        topic_url, category_url = [x for x in printed.splitlines() if x.startswith("/forum/")]
        status, body = get(f"{base}{topic_url}")
        assert status == 200, body[:500]
        # The site search, every section asked, where no full-text index serves it.
        status, body = get(f"{base}/search/?q=board")
        assert status == 200 and b'class="search-hits"' in body, body[:500]
        # Signed in, twice: the page shared by members, and a member's copy of it filled from
        # the cache (their read marks, likes and watch levels asked without arrays).
        printed = manage(env, "shell", "-c", SIGNED_IN_SESSION)
        cookie = next(line for line in printed.splitlines() if line.startswith("sessionid="))
        for url in (topic_url, topic_url, category_url, category_url):
            status, body = get(f"{base}{url}", cookie)
            assert status == 200 and b"embedded-reader" in body, body[:500]
        # A board's page names the list threads about it, found without a full-text index.
        status, body = get(f"{base}/downloads/d03/")
        assert status == 200 and b'data-test="board-lists"' in body, body[:500]
        assert b"UEFI: update the D03 flash layout" in body
        # Every kind of page, signed out and signed in, linked from the home page: no view may
        # need PostgreSQL without a way round it on SQLite (a board's page once did).
        for reader in ("", cookie):
            result = crawl(LiveClient("127.0.0.1", port, cookie=reader), per_pattern=2)
            assert not result.broken, "\n".join(result.broken)
            assert len(result.html_pages()) > 50

        # A task sent by the site's code travels through the filesystem broker to the worker,
        # which prints the mail on its console.
        manage(
            env,
            "shell",
            "-c",
            "from portal.tasks import send_email; "
            "send_email.delay(subject='Embedded defaults work', body='ok', to=['x@example.org'])",
        )

        def mail_printed():
            worker_log.seek(0)
            return "Subject: Embedded defaults work" in worker_log.read()

        wait_until(mail_printed, timeout=60)
        assert list((tmp_path / "var" / "broker" / "queue").glob("*")) == []  # consumed
        assert (tmp_path / "var" / "broker" / "control").is_dir()  # bindings stay under var/
    finally:
        for process in (server, worker):
            os.killpg(process.pid, signal.SIGTERM)
        for process in (server, worker):
            process.wait(timeout=30)
        worker_log.close()
        stop_gpg_agent(tmp_path / "var" / "gnupg")  # the demo data's signing key is made there
