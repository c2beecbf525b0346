"""What the benchmarks share: a bench database, a gunicorn server, a load generator."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DATABASE = os.environ.get("BENCH_DATABASE", "estuary_bench")
# Threads of each web worker, as deploy/systemd serves the site: one serves, the others are
# its reserve for long requests (portal/web_worker.py); BENCH_THREADS to compare.
DEPLOYED_THREADS = 4
THREADS = int(os.environ.get("BENCH_THREADS", DEPLOYED_THREADS))


def bench_env() -> dict[str, str]:
    """The environment of every bench process: its own PostgreSQL database, production-like."""
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/estuary")
    database_url = base.rsplit("/", 1)[0] + "/" + BENCH_DATABASE
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        "VAR_DIR": str(ROOT / "var" / "bench"),
        "DEBUG": "0",
        "HTTPS": "0",
        "SECRET_KEY": "bench-" + "x" * 50,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        # Benches on different databases must never serve each other's cached pages.
        "CACHE_KEY_PREFIX": f"estuary-bench-{BENCH_DATABASE}",
        "LOG_LEVEL": "WARNING",
        # Every bench client is 127.0.0.1: the rate limits would measure themselves.
        "RATE_LIMITS_ENABLED": "0",
    }


def setup_django() -> None:
    """Use the bench environment in this process (for generating data), creating the database."""
    os.environ.update(bench_env())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    _create_database()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _create_database() -> None:
    import psycopg2

    url = os.environ["DATABASE_URL"]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    conn = psycopg2.connect(admin_url)
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DATABASE])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{BENCH_DATABASE}"')
    conn.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn(*, workers: int = 2) -> Iterator[str]:
    """Serve the site with gunicorn on a free port; yields the base URL."""
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable, "-m", "gunicorn", "portal.wsgi:application",
            "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
            "--worker-class", "portal.web_worker.BalancedWorker", "--threads", str(THREADS),
            "--log-level", "warning",
        ],
        cwd=ROOT,
        env=bench_env(),
        start_new_session=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for_port(port)
        yield url
    finally:
        _stop(process)


def _stop(process: subprocess.Popen) -> None:
    """Stop a process group started here, killed if it will not stop."""
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:  # a busy machine: never hide the run's own error
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)


@contextmanager
def celery_worker(queue: str, *, name: str) -> Iterator[None]:
    """A Celery worker of the bench on `queue`, one task at a time; its log in var/bench/."""
    log_path = ROOT / "var" / "bench" / f"{name}-worker.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            [
                sys.executable, "-m", "celery", "-A", "portal", "worker", "-Q", queue,
                "--concurrency", "1", "--without-gossip", "--without-mingle",
                "--hostname", f"{name}-{os.getpid()}@%h", "--loglevel", "INFO",
            ],
            cwd=ROOT,
            env={**bench_env(), "LOG_LEVEL": "INFO", "DB_CONN_MAX_AGE": "60"},
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 60
            while "ready." not in log_path.read_text(errors="replace"):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the bench worker did not start: see {log_path}")
                time.sleep(0.2)
            yield
        finally:
            _stop(process)


def _wait_for_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"nothing listens on port {port} after {timeout}s")


def requests_per_second(
    url: str, *, seconds: int = 10, connections: int = 8, threads: int = 2
) -> dict:
    """Load one URL with wrk (bounded in time, loopback only) and return its figures."""
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is not installed (Debian package wrk)")
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 30,
    ).stdout
    found = re.search(r"Requests/sec:\s+([\d.]+)", out)
    rps = float(found.group(1)) if found else 0.0  # a busy machine may answer nothing in time
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    p50 = re.search(r"50%\s+([\d.]+)(\w+)", out)
    p99 = re.search(r"99%\s+([\d.]+)(\w+)", out)
    return {
        "requests_per_second": rps,
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "latency_p50": f"{p50.group(1)}{p50.group(2)}" if p50 else None,
        "latency_p99": f"{p99.group(1)}{p99.group(2)}" if p99 else None,
    }


def ratio(result: dict, floor: dict, *, key: str = "requests_per_second") -> float | None:
    """A page's rate as a share of the floor's in the same run; None when the floor got no
    answer in time (a busy machine), which the results then show instead of a crash."""
    if not floor.get(key):
        return None
    return round(result[key] / floor[key], 3)


def repeated(requests: int, queries: list[str]) -> int:
    """How many of a load's requests asked a query it had asked before (wrk rotates over the
    queries): a kept answer may have served them, so the figures measured the cache."""
    return max(0, requests - len(queries))


def best_download(url: str, *, runs: int, byte_range: str | None = None) -> dict:
    """Best of `runs` curl downloads to /dev/null: MiB/s, bytes and the status."""
    best = None
    for _ in range(runs):
        args = ["curl", "-sS", "-o", "/dev/null"]
        args += ["-w", "%{speed_download} %{size_download} %{http_code}"]
        if byte_range:
            args += ["-r", byte_range]
        out = subprocess.run([*args, url], capture_output=True, text=True, check=True, timeout=300)
        speed, size, status = out.stdout.split()
        run = {"bytes_per_second": float(speed), "bytes": int(size), "status": int(status)}
        if best is None or run["bytes_per_second"] > best["bytes_per_second"]:
            best = run
    best["MiB_per_second"] = round(best["bytes_per_second"] / 2**20, 1)
    return best


def session_cookie(username: str, *, staff: bool = False) -> str:
    """A signed-in member's session cookie, stored where the site keeps sessions."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )

    user, _created = get_user_model().objects.get_or_create(
        username=username, defaults={"email": f"{username}@example.org", "is_staff": staff}
    )
    user.set_password(username)  # a usable password: the session hash depends on it
    user.save(update_fields=["password"])
    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


def warm(
    url: str,
    paths: list[str],
    *,
    cookie: str = "",
    rounds: int = 3,
    headers: dict[str, str] | None = None,
) -> dict[str, int]:
    """Wait for the workers (they import Django after the port opens) and fill the caches as a
    live site has them: each page `rounds` times, signed out and (with `cookie`) signed in, so
    no worker's first request is timed. Returns each page's status: a page that fails is
    measured all the same, and reported."""
    readers = [{}, {"Cookie": cookie}] if cookie else [{}]
    statuses = {}
    deadline = time.monotonic() + 120
    for path in paths:
        for reader in readers * rounds:
            request = urllib.request.Request(url + path, headers=(headers or {}) | reader)
            while True:
                try:
                    with urllib.request.urlopen(request, timeout=60) as answer:
                        answer.read()
                        statuses[path] = answer.status
                    break
                except urllib.error.HTTPError as exc:
                    statuses[path] = exc.code
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.5)
    return statuses


def forget_kept() -> None:
    """Delete what earlier runs kept in the cache (a search's answer lives five minutes: a run
    soon after another measured the answers it had kept), so each run starts empty. Only the
    bench's own keys (its CACHE_KEY_PREFIX), whatever else shares its Redis."""
    import itertools

    import redis

    environment = bench_env()
    client = redis.Redis.from_url(environment["REDIS_URL"])
    keys = client.scan_iter(match=f"{environment['CACHE_KEY_PREFIX']}:*", count=1000)
    for batch in itertools.batched(keys, 1000):
        client.delete(*batch)
