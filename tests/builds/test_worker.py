"""Builds run by a real Celery worker on Redis: every way a build can end, and none twice."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.storage import storages
from django.urls import reverse

from builds.models import Build
from builds.services import cancel_build, reap_stale_builds, start_builds
from builds.tasks import run_build
from downloads.models import Artifact
from tests.builds.helpers import (
    full_log,
    pid_alive,
    wait_finished,
    wait_running,
    workspaces,
)
from tests.conftest import ROOT, _database_url, wait_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


@pytest.fixture(autouse=True)
def storage(settings) -> Path:
    """The worker is another process: files go where its settings say, not under tmp_path."""
    return Path(settings.ARTIFACTS_ROOT)


def _start(release, recipe) -> Build:
    (build,) = start_builds(release=release, recipes=[recipe]).started
    return build


def test_success_attaches_the_outputs_with_their_checksums(celery_worker, release, make_recipe):
    recipe = make_recipe(
        """
        echo "::progress 10"
        printf 'kernel for %s %s\\n' "$BOARD" "$RELEASE" > "$OUTPUT_DIR/Image"
        head -c 300000 /dev/urandom > "$OUTPUT_DIR/rootfs.tar.gz"
        env | sort > "$OUTPUT_DIR/environment.txt"
        echo "::progress 80"
        echo "built for $BOARD"
        """,
        patterns=["Image", {"pattern": "*.tar.gz", "kind": "rootfs"}, "*.txt"],
    )
    build = wait_finished(_start(release, recipe))
    assert (build.result, build.exit_code, build.progress) == ("succeeded", 0, 100)
    artifacts = {a.filename: a for a in build.artifacts.all()}
    assert set(artifacts) == {"Image", "rootfs.tar.gz", "environment.txt"}
    assert artifacts["Image"].kind == Artifact.Kind.KERNEL
    assert artifacts["rootfs.tar.gz"].kind == Artifact.Kind.ROOTFS
    storage = storages["artifacts"]
    for artifact in artifacts.values():
        assert artifact.release_id == release.pk and artifact.board_id == recipe.board_id
        path = storage.path(artifact.file.name)
        recomputed = subprocess.run(
            ["sha256sum", path], capture_output=True, text=True, check=True
        ).stdout.split()[0]
        assert recomputed == artifact.sha256
        assert os.path.getsize(path) == artifact.size
    expected = b"kernel for testboard 9.9\n"
    assert artifacts["Image"].sha256 == hashlib.sha256(expected).hexdigest()
    # The script sees its own variables and none of the site's secrets.
    environment = Path(storage.path(artifacts["environment.txt"].file.name)).read_text()
    assert "BOARD=testboard\n" in environment and "RELEASE=9.9\n" in environment
    assert "OUTPUT_DIR=" in environment and "JOBS=" in environment
    for secret in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "EMAIL_URL"):
        assert f"{secret}=" not in environment
    log = full_log(build)
    assert "built for testboard" in log and "::result succeeded" in log
    assert build.worker_host and build.started_at and build.finished_at
    assert workspaces(build) == []


def test_a_failing_script_attaches_nothing_and_keeps_the_log(celery_worker, release, make_recipe):
    recipe = make_recipe(
        'echo "compiling the kernel"\necho half > "$OUTPUT_DIR/Image"\nexit 3\necho never\n'
    )
    build = wait_finished(_start(release, recipe))
    assert (build.result, build.exit_code) == ("failed", 3)
    assert build.reason == "the script exited with status 3"
    assert not Artifact.objects.filter(release=release).exists()
    log = full_log(build)
    assert "compiling the kernel" in log and "never" not in log
    assert workspaces(build) == []


def test_a_build_past_its_timeout_is_stopped_and_may_clean_up(
    celery_worker, release, make_recipe, tmp_path
):
    recipe = make_recipe(
        f"""
        trap 'echo "cleaning up after TERM"; touch {tmp_path}/cleaned; exit 143' TERM
        echo data > "$OUTPUT_DIR/Image"
        echo "waiting for ever"
        sleep 120 & wait $!
        """,
        timeout_seconds=2,
    )
    build = wait_finished(_start(release, recipe))
    assert build.result == Build.Result.TIMED_OUT
    assert "longer than 2s" in build.reason
    assert "cleaning up after TERM" in full_log(build)
    assert (tmp_path / "cleaned").exists()
    assert not Artifact.objects.filter(release=release).exists()
    # The runner removes the workspace right after it records the end.
    wait_until(lambda: workspaces(build) == [], timeout=10)


def test_cancel_kills_the_whole_process_group(celery_worker, release, make_recipe, tmp_path):
    # The script ignores SIGTERM: the runner must escalate to SIGKILL after the grace period.
    recipe = make_recipe(
        f"""
        trap '' TERM
        sleep 300 &
        echo $! > {tmp_path}/child.pid
        echo "working"
        wait
        """
    )
    build = wait_running(_start(release, recipe))
    wait_until(lambda: (tmp_path / "child.pid").exists())
    child = int((tmp_path / "child.pid").read_text())
    assert pid_alive(child)
    cancel_build(build=build)
    build = wait_finished(build, timeout=60)
    assert build.result == Build.Result.CANCELLED
    assert build.reason == "cancelled"
    assert "cancel requested" in full_log(build)
    wait_until(lambda: not pid_alive(child), timeout=10)
    assert not build.artifacts.exists() and workspaces(build) == []


def test_two_boards_build_at_the_same_time(
    celery_worker, release, make_recipe, other_board, tmp_path
):
    # Each build waits for the other to have started: both succeed only if they overlap.
    script = f"""
        touch {tmp_path}/$BOARD.started
        for i in $(seq 300); do
          [ -e {tmp_path}/testboard.started ] && [ -e {tmp_path}/otherboard.started ] && break
          sleep 0.1
        done
        [ -e {tmp_path}/testboard.started ] && [ -e {tmp_path}/otherboard.started ]
        echo "$BOARD" > "$OUTPUT_DIR/board.txt"
    """
    make_recipe(script)
    make_recipe(script, board=other_board)
    started = start_builds(release=release).started
    assert len(started) == 2
    for build in started:
        assert wait_finished(build).result == Build.Result.SUCCEEDED, full_log(build)
    assert sorted(Artifact.objects.filter(release=release).values_list("board__slug", flat=True))


def test_a_message_delivered_twice_builds_once(celery_worker, release, make_recipe, tmp_path):
    recipe = make_recipe(f'echo ran >> {tmp_path}/runs\nsleep 1\necho ok > "$OUTPUT_DIR/out.txt"\n')
    build = _start(release, recipe)
    # A second delivery of the same message while the first runs, and a third after it ended.
    run_build.apply_async(args=[build.pk], queue="builds")
    wait_finished(build)
    run_build.apply_async(args=[build.pk], queue="builds")
    marker = f"build {build.pk} is not queued: nothing to do"
    wait_until(lambda: celery_worker.log().count(marker) >= 2)
    build.refresh_from_db()
    assert build.result == Build.Result.SUCCEEDED
    assert (tmp_path / "runs").read_text() == "ran\n"
    assert build.artifacts.count() == 1
    assert full_log(build).count("::result") == 1


@pytest.fixture
def dedicated_worker(tmp_path):
    """A worker of this test's own on its own queue, which the test may kill at will."""
    queue = f"builds-kill-{os.getpid()}"
    log_path = tmp_path / "worker.log"
    env = {**os.environ, "DATABASE_URL": _database_url(), "DB_CONN_MAX_AGE": "0"}
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            [
                sys.executable, "-m", "celery", "-A", "portal", "worker", "-Q", queue,
                "--concurrency", "1", "--pool", "prefork", "--without-gossip",
                "--without-mingle", "--hostname", f"{queue}@%h", "--loglevel", "INFO",
            ],
            cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip

    def log() -> str:
        return log_path.read_text(errors="replace")

    try:
        wait_until(lambda: "ready." in log() or process.poll() is not None, timeout=60)
        assert process.poll() is None, log()
        yield queue, log
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def test_a_worker_killed_mid_build_is_reaped_as_failed(
    dedicated_worker, release, make_recipe, tmp_path
):
    queue, worker_log = dedicated_worker
    recipe = make_recipe(
        f'sleep 300 &\necho $! > {tmp_path}/child.pid\necho "building"\nwait\n', queue=queue
    )
    build = wait_running(_start(release, recipe))
    wait_until(lambda: (tmp_path / "child.pid").exists())
    child = int((tmp_path / "child.pid").read_text())
    assert build.worker_pid and build.process_group
    os.kill(build.worker_pid, signal.SIGKILL)
    # The lost message comes back (acks_late, reject_on_worker_lost) and is not run again.
    wait_until(lambda: f"build {build.pk} is not queued" in worker_log(), timeout=60)
    build.refresh_from_db()
    assert build.state == Build.State.RUNNING
    # Its heartbeat has stopped: the reaper ends it and kills what the worker left behind.
    reaped = wait_until(
        lambda: reap_stale_builds(stale_after=timedelta(seconds=2)), timeout=30, interval=0.5
    )
    assert reaped == [build.pk]
    build.refresh_from_db()
    assert (build.state, build.result) == ("finished", "failed")
    assert "stopped reporting" in build.reason
    wait_until(lambda: not pid_alive(child), timeout=10)
    assert not build.artifacts.exists() and workspaces(build) == []
    assert reap_stale_builds(stale_after=timedelta(seconds=2)) == []


@pytest.fixture
def beat(tmp_path, celery_worker):
    """Celery beat of its own, with the site's schedule; the session worker runs what it sends."""
    log_path = tmp_path / "beat.log"
    env = {**os.environ, "DATABASE_URL": _database_url(), "DB_CONN_MAX_AGE": "0"}
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            [
                sys.executable, "-m", "celery", "-A", "portal", "beat", "--loglevel", "INFO",
                "--schedule", str(tmp_path / "beat-schedule"),
            ],
            cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        yield
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def test_a_build_whose_worker_died_is_failed_within_a_minute_and_retried_in_one_click(
    dedicated_worker, beat, release, make_recipe, release_manager, client
):
    queue, _worker_log = dedicated_worker
    recipe = make_recipe('echo "building"\nsleep 300\n', queue=queue)
    build = wait_running(_start(release, recipe))
    # The whole worker dies (OOM killer, a host reboot): nobody is left to end the build.
    os.killpg(os.getpgid(build.worker_pid), signal.SIGKILL)
    # With the default settings, beat's reaper fails it within a minute.
    build = wait_finished(build, timeout=60)
    assert (build.state, build.result) == ("finished", "failed")
    assert "stopped reporting" in build.reason and "Retry" in build.reason
    client.force_login(release_manager)
    page = client.get(build.get_absolute_url()).content.decode()
    assert build.reason in page and 'data-test="retry-build"' in page
    client.post(reverse("builds:retry", args=[build.pk]))
    retried = Build.objects.exclude(pk=build.pk).get(recipe=recipe)
    assert retried.state == Build.State.QUEUED and retried.message_sent_at is not None
