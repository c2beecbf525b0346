"""`make run`: the web server, one Celery worker and one Celery beat, stopped together.

Each runs in its own process group. Ctrl-C or SIGTERM stops all three: SIGTERM to each group,
then, for whatever is still running after a short grace (a worker in warm shutdown waits for its
tasks), SIGKILL to the group, so no child (prefork pool, autoreloader) is left behind. Beat runs
as its own process, not inside the worker (`worker -B`), so that exactly one scheduler runs. If
any of the three exits on its own, the others are stopped too.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess  # argument lists, never a shell  # nosec B404
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

GRACE_SECONDS = 5


class Command(BaseCommand):
    help = "Serve the site with a Celery worker and beat; Ctrl-C or SIGTERM stops all of them."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--noreload", action="store_true", help="no autoreloader")

    def handle(self, *args, port: int, noreload: bool, **options):
        var = Path(settings.VAR_DIR)
        celery = [sys.executable, "-m", "celery", "-A", "portal"]
        commands = {
            "web": [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}"]
            + (["--noreload"] if noreload else []),
            "worker": [*celery, "worker", "-Q", "default,builds", "--concurrency", "2",
                       "--loglevel", "INFO", "--without-gossip", "--without-mingle"],
            "beat": [*celery, "beat", "--loglevel", "INFO",
                     "--schedule", str(var / "celerybeat-schedule"),
                     "--pidfile", str(var / "celerybeat.pid")],
        }  # fmt: skip
        (var / "celerybeat.pid").unlink(missing_ok=True)  # left by a killed run: beat refuses it
        stopping = False

        def stop(signum, frame):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        # The site's own commands, as argument lists.
        processes = {
            name: subprocess.Popen(command, cwd=settings.BASE_DIR, start_new_session=True)  # nosec B603
            for name, command in commands.items()
        }
        self.stdout.write(
            f"Serving http://127.0.0.1:{port}/ (pids: "
            + ", ".join(f"{name} {p.pid}" for name, p in processes.items())
            + "); Ctrl-C stops all three."
        )
        try:
            while not stopping:
                ended = [name for name, p in processes.items() if p.poll() is not None]
                if ended:
                    self.stderr.write(f"{', '.join(ended)} stopped; stopping the others.")
                    break
                time.sleep(0.2)
        finally:
            _stop_all(processes.values())
        self.stdout.write("Stopped.")


def _signal_group(process: subprocess.Popen, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signum)


def _stop_all(processes) -> None:
    processes = list(processes)
    for process in processes:
        _signal_group(process, signal.SIGTERM)
    deadline = time.monotonic() + GRACE_SECONDS
    for process in processes:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=max(deadline - time.monotonic(), 0.1))
    # Whatever is left of each group (a worker finishing a task, pool children): killed.
    for process in processes:
        _signal_group(process, signal.SIGKILL)
        process.wait()
