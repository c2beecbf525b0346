"""Helpers of the build tests: waiting for a build, reading its log, looking at processes."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from builds.models import Build
from tests.conftest import wait_until


def wait_finished(build: Build, *, timeout: float = 60) -> Build:
    def finished():
        build.refresh_from_db()
        return build.state == Build.State.FINISHED

    wait_until(finished, timeout=timeout)
    return build


def wait_running(build: Build, *, timeout: float = 30) -> Build:
    def running():
        build.refresh_from_db()
        return build.state == Build.State.RUNNING and build.log_size > 0

    wait_until(running, timeout=timeout)
    return build


def full_log(build: Build) -> str:
    from builds.querysets import iter_log

    return "".join(iter_log(build=build))


def workspaces(build: Build) -> list[Path]:
    return list(Path(settings.BUILD_WORKSPACE_ROOT).glob(f"build-{build.pk}-*"))


def pid_alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"
