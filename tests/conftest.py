"""Fixtures shared by every test: the real Celery worker, mail it sends, a clean cache."""

from __future__ import annotations

import email
import email.policy
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import quote

import psycopg2
import pytest
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.core.cache import cache
from django.db import connection
from django.test import override_settings
from django.utils import translation

ROOT = Path(__file__).resolve().parent.parent

# `make test` runs the suite in two processes that each take whole files, in the order sorted
# here. A long file handed out last keeps the other process idle until it ends (the layout walk
# takes 4 minutes on this machine, and ran last): the longest files go first, measured with
# --durations, then the files with the most tests.
LONGEST_FILES = (
    "tests/e2e/test_layout.py",
    "tests/builds/test_worker.py",
    "tests/portal/test_embedded_defaults.py",
    "tests/portal/test_access_matrix.py",
    "tests/portal/test_runsite.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    files = Counter(item.nodeid.split("::")[0] for item in items)

    def longest_first(item: pytest.Item) -> tuple[int, int, str]:
        path = item.nodeid.split("::")[0]
        rank = LONGEST_FILES.index(path) if path in LONGEST_FILES else len(LONGEST_FILES)
        return rank, -files[path], path

    items.sort(key=longest_first)  # stable: each file's tests keep their order


class QuickPasswordHasher(PBKDF2PasswordHasher):
    """PBKDF2 of one round for the people tests make and sign in: production's 1,500,000 rounds
    cost 0.7 s a password here, which was a third of the suite. The algorithm's name is the
    same, so production's hasher (in the servers and workers a test starts) checks these
    passwords, and what tests check of passwords is unchanged."""

    iterations = 1


@pytest.fixture(autouse=True, scope="session")
def _quick_password_hashing() -> Iterator[None]:
    hashers = [f"{__name__}.QuickPasswordHasher", *settings.PASSWORD_HASHERS]
    with override_settings(PASSWORD_HASHERS=hashers):
        yield


@pytest.fixture(autouse=True)
def _default_language() -> None:
    # A request in Chinese leaves Chinese active in the test's thread (LocaleMiddleware
    # activates a language and nothing deactivates it): each test starts in the default one.
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _clean_cache() -> None:
    # The cache is this run's Redis db: rate limits and fragments must not leak between tests.
    cache.clear()


def wait_until(predicate: Callable[[], object], *, timeout: float = 30, interval: float = 0.1):
    """Poll until predicate() is truthy and return its value; fail the test on time-out."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting after {timeout}s for {predicate!r}")
        time.sleep(interval)


def headline_sources(sql: str) -> list[str]:
    """The text each ts_headline() of `sql` is asked to parse: its second argument."""
    sources = []
    at = sql.find("ts_headline(")
    while at >= 0:
        depth, argument, arguments = 0, "", []
        for char in sql[at + len("ts_headline(") :]:
            if char == "(":
                depth += 1
            elif char == ")":
                if depth == 0:
                    break
                depth -= 1
            if char == "," and depth == 0:
                arguments.append(argument.strip())
                argument = ""
            else:
                argument += char
        sources.append(arguments[1])
        at = sql.find("ts_headline(", at + 1)
    return sources


def _database_url() -> str:
    db = connection.settings_dict
    credentials = quote(db.get("USER") or "")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"])
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{credentials}@{host}:{port}/{db['NAME']}"


@dataclass
class Worker:
    """A real `celery worker` process on the test database and the test run's Redis."""

    process: subprocess.Popen
    outbox: Path
    log_path: Path

    def sent_mail(self) -> list[EmailMessage]:
        messages = []
        for path in sorted(self.outbox.glob("*.log")):
            # The file backend writes each message followed by a line of dashes.
            for chunk in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
                if chunk.strip():
                    messages.append(
                        email.message_from_bytes(chunk.lstrip(), policy=email.policy.default)
                    )
        return messages

    def wait_for_mail(self, *, to: str, about: str = "", timeout: float = 30) -> EmailMessage:
        """The latest mail to `to` (whose subject or text holds `about`): an earlier task's mail
        may still land after clear_mail, so a test waiting for one event names it."""

        def find():
            found = [
                m
                for m in self.sent_mail()
                if to in str(m.get("To", ""))
                and (about in str(m.get("Subject", "")) or about in _text(m))
            ]
            return found[-1] if found else None

        return wait_until(find, timeout=timeout)

    def clear_mail(self) -> None:
        for path in self.outbox.glob("*"):
            path.unlink()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def alive(self) -> bool:
        return self.process.poll() is None


def _text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    return part.get_content() if part is not None else ""


def _fresh_producers() -> None:
    from portal.celery import app

    # Producers and connections are made from the broker URL on first use.
    app.amqp._producer_pool = None
    app._pool = None


@contextmanager
def broker_down() -> Iterator[None]:
    """The broker unreachable: a real URL where nothing listens."""
    from portal.celery import app

    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(app.conf, "broker_url", "redis://127.0.0.1:1/0")  # nothing listens there
        _fresh_producers()
        try:
            yield
        finally:
            patch.undo()
            _fresh_producers()


def end_other_sessions(database_url: str) -> int:
    """End every session on the database but the one this opens to do it; how many it ended."""
    admin = psycopg2.connect(database_url)
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            (ended,) = cursor.fetchone()
    finally:
        admin.close()
    return ended


def stop_gpg_agent(home: str | Path) -> None:
    """Stop the gpg-agent that gpg started for keyring `home`: it outlives the test otherwise."""
    if Path(home).exists():
        subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "all"], check=False)


@pytest.fixture(scope="session", autouse=True)
def _session_gpg_agent_stopped() -> Iterator[None]:
    """The keyring the demo data's signing key is made in, under this session's var/."""
    yield
    stop_gpg_agent(settings.GNUPG_HOME)


@pytest.fixture(scope="session", autouse=True)
def _test_database_dropped(django_db_setup, django_db_blocker) -> Iterator[None]:
    """End every other session on the test database before it is dropped. A connection a
    finished thread or a stopped process left open made the drop fail at the very end of a run
    now and then ("being accessed by other users"), after PostgreSQL's own 5 s wait for it.
    Through a connection of its own: the test's was once found closed by the server by then."""
    yield
    with django_db_blocker.unblock():
        database_url = _database_url()
    # If PostgreSQL cannot be reached, the drop fails too, and says why.
    with suppress(psycopg2.Error):
        end_other_sessions(database_url)


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, django_db_blocker) -> Iterator[Worker]:
    """Start one worker for the session, consuming both queues, after the test database exists.

    Tests that use it need `transactional_db` (or `live_server`): the worker is another process
    and sees only committed rows.
    """
    from portal.celery import app

    var = Path(settings.VAR_DIR)
    outbox = var / "worker-mail"
    shutil.rmtree(outbox, ignore_errors=True)
    outbox.mkdir(parents=True)
    log_path = var / "worker.log"
    log_path.unlink(missing_ok=True)
    with django_db_blocker.unblock():
        database_url = _database_url()
    app.control.purge()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "EMAIL_URL": f"filemail://{outbox}",
        "DB_CONN_MAX_AGE": "0",
    }
    log_file = log_path.open("wb")
    process = subprocess.Popen(
        [
            sys.executable, "-m", "celery", "-A", "portal", "worker",
            "-Q", "default,builds", "--concurrency", "2", "--pool", "prefork",
            "--without-gossip", "--without-mingle", "--hostname", f"test-{os.getpid()}@%h",
            "--loglevel", "INFO",
        ],
        cwd=ROOT,
        env=env,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    worker = Worker(process=process, outbox=outbox, log_path=log_path)
    try:
        wait_until(lambda: "ready." in worker.log() or not worker.alive(), timeout=60)
        if not worker.alive():
            pytest.fail(f"the Celery worker did not start:\n{worker.log()}")
        yield worker
    finally:
        if worker.alive():
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        log_file.close()
