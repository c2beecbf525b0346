"""Running a claimed build: the recipe's script in its own process group, its log streamed.

The script runs under bash in a fresh workspace, with a small environment of its own (never the
worker's, which holds the site's secrets). Its output goes to the build log as it comes, a line
`::progress N` moves the progress bar, and at least every BUILD_HEARTBEAT_SECONDS the runner
writes a heartbeat and looks whether someone asked to cancel. Cancel and timeout send SIGTERM
to the whole group (the script may trap it to clean up) and SIGKILL after
BUILD_KILL_GRACE_SECONDS.
"""

from __future__ import annotations

import codecs
import contextlib
import logging
import os
import re
import selectors
import shutil
import signal
import subprocess  # argument lists, never a shell  # nosec B404
import tempfile
import time
from pathlib import Path

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from builds.models import Build, BuildLogChunk
from builds.services import (
    BuildError,
    claim_build,
    collect_outputs,
    finish_build,
    maybe_autopublish,
    missing_tools,
)

log = logging.getLogger(__name__)

PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
PROGRESS = re.compile(rb"^::progress\s+(\d{1,3})\s*$")
READ_SIZE = 64 * 1024
# A log chunk is written when this much is waiting, or FLUSH_SECONDS after the first byte.
FLUSH_BYTES = 256 * 1024
FLUSH_SECONDS = 0.5
# After the script exits, output still in the pipe is read for at most this long.
DRAIN_SECONDS = 5.0


class LogWriter:
    """Buffers a build's output and appends it as chunks; each flush is also a heartbeat."""

    def __init__(self, build: Build) -> None:
        self.build_id = build.pk
        self.size = build.log_size
        self.limit = settings.BUILD_LOG_MAX_BYTES
        self.decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self.pending: list[str] = []
        self.pending_bytes = 0
        self.first_pending_at: float | None = None
        self.last_flush = time.monotonic()
        self.partial_line = b""
        self.last_char = ""
        self.progress: int | None = None
        self.truncated = False
        self.cancel_requested = False
        self.lost = False  # the build is no longer running (a reaper ended it)

    def feed(self, data: bytes) -> None:
        self._scan_progress(data)
        self._add(self.decoder.decode(data))

    def note(self, text: str) -> None:
        """A line of the runner's own (start, end, signals), marked with `::`."""
        rest = self.decoder.decode(b"", final=True)
        newline = (
            "\n" if (rest or self.last_char) and not (rest or self.last_char).endswith("\n") else ""
        )
        self._add(f"{rest}{newline}::{text}\n")

    def _add(self, text: str) -> None:
        if not text:
            return
        encoded = len(text.encode())
        room = self.limit - self.size - self.pending_bytes
        if encoded > room:
            if self.truncated:
                return
            self.truncated = True
            kept = text.encode()[: max(room, 0)].decode(errors="ignore")
            text = kept + f"\n::log truncated at {self.limit} bytes (BUILD_LOG_MAX_BYTES)\n"
            encoded = len(text.encode())
        self.pending.append(text)
        self.last_char = text[-1]
        self.pending_bytes += encoded
        if self.first_pending_at is None:
            self.first_pending_at = time.monotonic()

    def _scan_progress(self, data: bytes) -> None:
        lines = (self.partial_line + data).split(b"\n")
        self.partial_line = lines.pop()[-4096:]
        for line in lines:
            match = PROGRESS.match(line.rstrip(b"\r"))
            if match:
                self.progress = min(100, int(match.group(1)))

    def due(self) -> bool:
        now = time.monotonic()
        if self.pending_bytes >= FLUSH_BYTES:
            return True
        if self.first_pending_at is not None and now - self.first_pending_at >= FLUSH_SECONDS:
            return True
        return now - self.last_flush >= settings.BUILD_HEARTBEAT_SECONDS

    def flush(self) -> None:
        text = "".join(self.pending)
        size = len(text.encode())
        changes = {"heartbeat_at": timezone.now()}
        if self.progress is not None:
            changes["progress"] = self.progress
        with transaction.atomic():
            if size:
                BuildLogChunk.objects.create(
                    build_id=self.build_id, offset=self.size, end=self.size + size, text=text
                )
                changes["log_size"] = F("log_size") + size
            running = Build.objects.filter(pk=self.build_id, state=Build.State.RUNNING)
            if not running.update(**changes):
                self.lost = True
                transaction.set_rollback(True)
                return
            self.cancel_requested = running.filter(cancel_requested_at__isnull=False).exists()
        self.size += size
        self.pending, self.pending_bytes, self.first_pending_at = [], 0, None
        self.last_flush = time.monotonic()


def _signal_group(group: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(group, signum)


class Runner:
    def __init__(self, build: Build) -> None:
        self.build = build
        self.recipe = build.recipe
        self.writer = LogWriter(build)
        root = Path(settings.BUILD_WORKSPACE_ROOT)
        root.mkdir(parents=True, exist_ok=True)
        Path(settings.BUILD_CACHE_DIR).mkdir(parents=True, exist_ok=True)
        self.workspace = Path(tempfile.mkdtemp(prefix=f"build-{build.pk}-", dir=root))
        self.output_dir = self.workspace / "output"
        self.process: subprocess.Popen | None = None
        self.ending: str | None = None  # cancelled or timed out, once decided
        self.kill_at: float | None = None

    def environment(self) -> dict[str, str]:
        recipe = self.recipe
        return {
            "PATH": PATH,
            "HOME": str(self.workspace),
            "TMPDIR": str(self.workspace / "tmp"),
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
            "TERM": "dumb",
            "BOARD": recipe.board.slug,
            "RELEASE": self.build.release.version,
            "DISTRIBUTION": recipe.distribution.slug if recipe.distribution_id else "",
            "OUTPUT_DIR": str(self.output_dir),
            "JOBS": str(settings.BUILD_JOBS or os.cpu_count() or 1),
            "BUILD_ID": str(self.build.pk),
            "DEBIAN_MIRROR": settings.BUILD_DEBIAN_MIRROR,
            # Kept from build to build on this worker (downloaded packages, say).
            "CACHE_DIR": str(settings.BUILD_CACHE_DIR),
            # Lets a reaper on this host recognise the build's processes after a crash.
            "ESTUARY_BUILD": str(self.build.pk),
        }

    def run(self) -> str:
        try:
            finished = self._run_and_finish()
        finally:
            # Whatever happened, nothing of the build stays running or on disk.
            if self.process is not None:
                self._stop_group(signal.SIGKILL)
            self._clean()
        if finished is None:
            return "abandoned"
        if finished.result == Build.Result.SUCCEEDED:
            maybe_autopublish(release_id=finished.release_id)
        return finished.result

    def _run_and_finish(self) -> Build | None:
        try:
            result, exit_code, reason, outputs = self._run_script()
        except Exception as exc:
            log.exception("build %s: the runner failed", self.build.pk)
            self._stop_group(signal.SIGKILL)
            result, exit_code, reason, outputs = Build.Result.FAILED, None, f"{exc}", None
            self.writer.note(f"error {exc}")
        if self.writer.lost:
            return None
        self.writer.note(f"result {result}" + (f" ({reason})" if reason else ""))
        self.writer.flush()
        return finish_build(
            build_id=self.build.pk,
            result=result,
            exit_code=exit_code,
            reason=reason,
            outputs=outputs,
        )

    def _clean(self) -> None:
        shutil.rmtree(self.workspace, ignore_errors=True)

    def _start(self) -> subprocess.Popen:
        for folder in ("work", "output", "tmp"):
            (self.workspace / folder).mkdir()
        script = self.workspace / "recipe.sh"
        script.write_text(self.recipe.script.replace("\r\n", "\n"))
        process = subprocess.Popen(  # bash from PATH runs a release manager's recipe  # nosec B603 B607
            ["bash", "--noprofile", "--norc", "-e", "-o", "pipefail", str(script)],
            cwd=self.workspace / "work",
            env=self.environment(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own session and process group, killed as a whole
        )
        Build.objects.filter(pk=self.build.pk).update(process_group=process.pid)
        return process

    def _stop_group(self, signum: int) -> None:
        if self.process is not None:
            _signal_group(self.process.pid, signum)

    def _end(self, ending: str, note: str) -> None:
        self.ending = ending
        self.kill_at = time.monotonic() + settings.BUILD_KILL_GRACE_SECONDS
        self.writer.note(note)
        self._stop_group(signal.SIGTERM)

    def _run_script(self):
        recipe = self.recipe
        self.writer.note(
            f"build {self.build.pk}: {recipe} for release {self.build.release.version} "
            f"on {self.build.worker_host}, timeout {recipe.timeout_seconds}s"
        )
        missing = missing_tools(recipe=recipe, path=PATH)
        if missing:
            reason = "needs " + ", ".join(missing)
            self.writer.note(reason)
            return Build.Result.FAILED, None, reason, None
        self.process = process = self._start()
        deadline = time.monotonic() + recipe.timeout_seconds
        stream = process.stdout
        os.set_blocking(stream.fileno(), False)
        selector = selectors.DefaultSelector()
        selector.register(stream, selectors.EVENT_READ)
        exited_at: float | None = None
        try:
            while True:
                eof = False
                for _key, _events in selector.select(timeout=0.2):
                    data = os.read(stream.fileno(), READ_SIZE)
                    if not data:
                        eof = True
                    else:
                        self.writer.feed(data)
                if self.writer.due():
                    self.writer.flush()
                    if self.writer.lost:
                        self._stop_group(signal.SIGKILL)
                        return Build.Result.FAILED, None, "", None
                now = time.monotonic()
                if process.poll() is not None:
                    if exited_at is None:
                        exited_at = now
                        # Whatever the script left behind in its group ends with it.
                        self._stop_group(signal.SIGKILL)
                    if eof or now - exited_at > DRAIN_SECONDS:
                        break
                elif self.ending is None:
                    if self.writer.cancel_requested:
                        self._end(Build.Result.CANCELLED, "cancel requested: stopping the build")
                    elif now > deadline:
                        self._end(
                            Build.Result.TIMED_OUT,
                            f"timeout after {recipe.timeout_seconds}s: stopping the build",
                        )
                elif now >= self.kill_at:
                    self._stop_group(signal.SIGKILL)
        except SoftTimeLimitExceeded:
            self._stop_group(signal.SIGKILL)
            process.wait()
            return Build.Result.TIMED_OUT, process.returncode, "the worker's time limit", None
        finally:
            selector.close()
            stream.close()
        code = process.wait()
        if self.ending == Build.Result.CANCELLED:
            return Build.Result.CANCELLED, code, "", None
        if self.ending == Build.Result.TIMED_OUT:
            return (
                Build.Result.TIMED_OUT,
                code,
                f"the build took longer than {recipe.timeout_seconds}s",
                None,
            )
        if code != 0:
            how = f"was killed by signal {-code}" if code < 0 else f"exited with status {code}"
            return Build.Result.FAILED, code, f"the script {how}", None
        try:
            outputs = collect_outputs(output_dir=self.output_dir, patterns=recipe.output_patterns)
        except BuildError as exc:
            return Build.Result.FAILED, code, str(exc), None
        for output in outputs:
            self.writer.note(f"output {output.path.name} ({output.kind})")
        return Build.Result.SUCCEEDED, code, "", outputs


def execute_build(*, build_id: int) -> str:
    """Run a queued build to its end on this worker; a build that is not queued is left alone."""
    build = claim_build(build_id=build_id)
    if build is None:
        log.info("build %s is not queued: nothing to do", build_id)
        return "skipped"
    return Runner(build).run()
