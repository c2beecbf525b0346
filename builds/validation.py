"""Boot validation: boot what a build made in QEMU and read the serial console for the marker.

The kernel and initramfs the build attached boot under `qemu-system-aarch64 -M virt -cpu
cortex-a57 -m 512 -nographic -no-reboot`; the initramfs's /init prints ESTUARY-BOOT-OK and
powers the machine off. The test passes when the marker appears before BOOT_TEST_TIMEOUT_SECONDS,
and keeps the console log either way, apart from the build's own result.
"""

from __future__ import annotations

import contextlib
import logging
import os
import selectors
import shutil
import signal
import subprocess  # argument lists, never a shell  # nosec B404
import time
from contextlib import ExitStack
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from builds.caching import BOOT_TESTS
from builds.models import BootTest
from builds.services import maybe_autopublish
from downloads.models import Artifact
from downloads.storage import local_copy

log = logging.getLogger(__name__)

BOOT_MARKER = "ESTUARY-BOOT-OK"
QEMU = "qemu-system-aarch64"
QEMU_PACKAGE = "qemu-system-arm"
# The console log kept per boot test: its last bytes, where a panic shows.
CONSOLE_MAX_CHARS = 256 * 1024
# After the marker, the machine powers off by itself; it gets this long to do so.
POWEROFF_GRACE_SECONDS = 10.0


def qemu_command(*, kernel: Path, initramfs: Path) -> list[str]:
    return [
        QEMU, "-M", "virt", "-cpu", "cortex-a57", "-m", "512", "-nographic", "-no-reboot",
        "-kernel", str(kernel), "-initrd", str(initramfs),
        "-append", "console=ttyAMA0 panic=-1",
    ]  # fmt: skip


def _claim(boot_test_id: int) -> BootTest | None:
    claimed = BootTest.objects.filter(pk=boot_test_id, status=BootTest.Status.PENDING).update(
        status=BootTest.Status.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        return None
    return BootTest.objects.select_related("build__recipe__board", "build__release").get(
        pk=boot_test_id
    )


def _finish(boot_test: BootTest, *, passed: bool, reason: str, console: str, seconds: float):
    with transaction.atomic():
        BootTest.objects.filter(pk=boot_test.pk, status=BootTest.Status.RUNNING).update(
            status=BootTest.Status.PASSED if passed else BootTest.Status.FAILED,
            reason=reason[:300],
            console_log=console[-CONSOLE_MAX_CHARS:],
            duration_seconds=round(seconds, 2),
            finished_at=timezone.now(),
        )
        BOOT_TESTS.bump_on_commit()
    return BootTest.Status.PASSED if passed else BootTest.Status.FAILED


def _boot_files(boot_test: BootTest, stack: ExitStack) -> tuple[Path, Path] | str:
    """The build's kernel and initramfs on disk (copies while `stack` lasts, when they are on
    object storage), or why they cannot be booted."""
    files = {a.kind: a for a in boot_test.build.artifacts.order_by("filename")}
    kernel, initramfs = files.get(Artifact.Kind.KERNEL), files.get(Artifact.Kind.INITRAMFS)
    if kernel is None or initramfs is None:
        return "the build attached no kernel and initramfs to boot"
    try:
        return stack.enter_context(local_copy(kernel.file.name)), stack.enter_context(
            local_copy(initramfs.file.name)
        )
    except Exception as exc:  # the store is unreachable or lost a file: a failed boot test
        return f"could not fetch the kernel and initramfs from storage: {exc}"


def boot(*, kernel: Path, initramfs: Path, timeout: float) -> tuple[bool, str, str]:
    """Boot in QEMU: (passed, reason, console)."""
    if shutil.which(QEMU) is None:
        return False, f"needs {QEMU} (Debian package {QEMU_PACKAGE})", ""
    process = subprocess.Popen(  # qemu's argument list, our own  # nosec B603
        qemu_command(kernel=kernel, initramfs=initramfs),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    console = bytearray()
    deadline = time.monotonic() + timeout
    seen_at: float | None = None
    stream = process.stdout
    os.set_blocking(stream.fileno(), False)
    selector = selectors.DefaultSelector()
    selector.register(stream, selectors.EVENT_READ)
    try:
        while True:
            for _key, _events in selector.select(timeout=0.2):
                data = os.read(stream.fileno(), 65536)
                if data:
                    console += data
            if seen_at is None and BOOT_MARKER.encode() in console:
                seen_at = time.monotonic()
            if process.poll() is not None:
                # Read what is left in the pipe.
                with contextlib.suppress(BlockingIOError):
                    while data := os.read(stream.fileno(), 65536):
                        console += data
                break
            now = time.monotonic()
            if now > deadline or (seen_at and now - seen_at > POWEROFF_GRACE_SECONDS):
                break
    finally:
        selector.close()
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        stream.close()
    text = console.decode(errors="replace").replace("\r\n", "\n")
    if BOOT_MARKER in text:
        return True, "", text
    if process.returncode is not None and time.monotonic() <= deadline:
        return False, f"the machine stopped without printing {BOOT_MARKER}", text
    return False, f"no {BOOT_MARKER} on the console within {timeout:g} s", text


def run_boot_test(*, boot_test_id: int) -> str:
    """Run a pending boot test on this worker; one that is not pending is left alone."""
    boot_test = _claim(boot_test_id)
    if boot_test is None:
        log.info("boot test %s is not pending: nothing to do", boot_test_id)
        return "skipped"
    started = time.monotonic()
    with ExitStack() as stack:
        files = _boot_files(boot_test, stack)
        if isinstance(files, str):
            return _finish(boot_test, passed=False, reason=files, console="", seconds=0.0)
        try:
            passed, reason, console = boot(
                kernel=files[0], initramfs=files[1], timeout=settings.BOOT_TEST_TIMEOUT_SECONDS
            )
        except OSError as exc:
            passed, reason, console = False, f"QEMU could not run: {exc}", ""
    status = _finish(
        boot_test,
        passed=passed,
        reason=reason,
        console=console,
        seconds=time.monotonic() - started,
    )
    # A nightly release waits for its boot tests before it publishes itself.
    maybe_autopublish(release_id=boot_test.build.release_id)
    return status
