"""`make run` as a person uses it: web server, worker and one beat; SIGTERM stops them all,
within seconds, with no process left; a missing page shows the site's own 404."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from bench.common import free_port
from tests.conftest import wait_until
from tests.portal.test_embedded_defaults import ROOT, embedded_env, get, manage


def _descendants(pid: int) -> dict[int, str]:
    """Every process below pid, with its command line."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry.name))
    found: dict[int, str] = {}
    todo = list(children.get(pid, []))
    while todo:
        child = todo.pop()
        try:
            found[child] = (
                (Path("/proc") / str(child) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            )
        except OSError:
            continue
        todo.extend(children.get(child, []))
    return found


def _alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_make_run_serves_with_one_beat_and_stops_on_sigterm(tmp_path):
    var = tmp_path / "var"
    env = embedded_env(var)
    manage(env, "migrate", "--no-input")
    manage(env, "seed_demo", "--only", "site")
    port = free_port()
    log_path = tmp_path / "run.log"
    with log_path.open("w") as log:
        run = subprocess.Popen(
            [sys.executable, "manage.py", "runsite", "--port", str(port)],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: get(f"{base}/healthz")[0] == 200, timeout=90)
        wait_until(lambda: "ready." in log_path.read_text(), timeout=90)  # the worker
        wait_until(lambda: "beat: Starting" in log_path.read_text(), timeout=60)

        status, body = get(f"{base}/no/such/page/")
        assert status == 404
        assert b"Page not found" in body and b"URLconf" not in body  # the site's own page
        status, body = get(f"{base}/downloads/no-such-board/")  # a view's own 404
        assert status == 404 and b"Page not found" in body and b"Traceback" not in body
        assert get(f"{base}/downloads/")[0] == 200
        assert any((var / "cache").iterdir())  # the cache every process shares: files in var/

        processes = _descendants(run.pid)
        beats = [cmd for cmd in processes.values() if " beat " in f"{cmd} "]
        workers = [cmd for cmd in processes.values() if " worker " in cmd]
        assert len(beats) == 1, processes
        assert workers and not any(" -B" in cmd for cmd in workers)

        started = time.monotonic()
        run.send_signal(signal.SIGTERM)
        run.wait(timeout=20)
        assert time.monotonic() - started < 15
        wait_until(lambda: not any(_alive(pid) for pid in processes), timeout=5)
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
        for pid in _descendants(run.pid):
            os.kill(pid, signal.SIGKILL)
