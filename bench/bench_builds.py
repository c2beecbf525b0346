"""Builds: the overhead from "start" to "files attached" of a recipe that does nothing (median
and p95 over 50 builds, run one after the other by one worker), how fast a chatty recipe's
output reaches the build log (MB/s), and boot validation: start → files attached → booted in
QEMU (p50 over 20 builds of a small recipe that attaches a real arm64 kernel and initramfs,
made once by the shipped QEMU recipe)."""

from __future__ import annotations

import statistics
import time

from bench.common import celery_worker, setup_django

NOOP_BUILDS = 50
BOOT_BUILDS = 20
CHATTY_BYTES = 32 * 1024 * 1024
QUEUE = "bench-builds"


def run() -> dict:
    setup_django()
    import portal.celery  # noqa: F401  (the app the tasks are sent with)
    from builds.models import Build, BuildRecipe
    from downloads.models import Board, Release

    board, _ = Board.objects.get_or_create(
        slug="bench-board", defaults={"name": "Bench board", "order": 999}
    )
    noop, _ = BuildRecipe.objects.update_or_create(
        board=board,
        name="noop",
        defaults={
            "script": 'echo ok > "$OUTPUT_DIR/noop.txt"\n',
            "output_patterns": ["noop.txt"],
            "queue": QUEUE,
            "enabled": True,
        },
    )
    chatty, _ = BuildRecipe.objects.update_or_create(
        board=board,
        name="chatty",
        defaults={
            "script": (
                "set +o pipefail\n"
                f'yes "$BOARD $RELEASE: a line of a chatty compiler, eighty characters long." '
                f"| head -c {CHATTY_BYTES}\n"
                'echo ok > "$OUTPUT_DIR/chatty.txt"\n'
            ),
            "output_patterns": ["chatty.txt"],
            "queue": QUEUE,
            "enabled": True,
        },
    )
    old = Release.objects.filter(version__startswith="bench-build-")
    Build.objects.filter(release__in=old).delete()
    old.delete()

    with celery_worker(QUEUE, name="bench-builds"):
        overheads = []
        for i in range(NOOP_BUILDS):
            release = Release.objects.create(version=f"bench-build-{i}")
            overheads.append(_build(release, noop))
        release = Release.objects.create(version="bench-build-chatty")
        _build(release, chatty)
        build = Build.objects.get(release=release)
        seconds = (build.finished_at - build.started_at).total_seconds()
        boot = _boot_validated(board)
    quantiles = statistics.quantiles(overheads, n=20)
    return {
        "noop_builds": NOOP_BUILDS,
        "start_to_files_attached_ms": {
            "median": round(statistics.median(overheads) * 1000, 1),
            "p95": round(quantiles[18] * 1000, 1),
            "min": round(min(overheads) * 1000, 1),
            "max": round(max(overheads) * 1000, 1),
        },
        "chatty_log": {
            "bytes": build.log_size,
            "seconds": round(seconds, 2),
            "mb_per_second": round(build.log_size / 1e6 / seconds, 1),
        },
        "boot_validated": boot,
    }


def _boot_validated(board) -> dict:
    """Start → files attached → boot validated, for BOOT_BUILDS builds of a small recipe."""
    from builds.models import BootTest, Build, BuildRecipe
    from builds.seeds import RECIPES, RECIPES_DIR
    from builds.services import start_builds
    from downloads.models import Release
    from downloads.storage import artifact_storage

    spec = next(s for s in RECIPES["qemu"] if s["name"] == "kernel-initramfs")
    maker, _ = BuildRecipe.objects.update_or_create(
        board=board,
        name="qemu-kernel-initramfs",
        defaults={
            "script": (RECIPES_DIR / spec["script"]).read_text(),
            "output_patterns": spec["output_patterns"],
            "tools": spec["tools"],
            "queue": QUEUE,
            "enabled": True,
        },
    )
    release = Release.objects.create(version="bench-build-boot-inputs")
    _build(release, maker)
    inputs = {
        a.kind: artifact_storage.path(a.file.name)
        for a in Build.objects.get(release=release).artifacts.all()
    }
    small, _ = BuildRecipe.objects.update_or_create(
        board=board,
        name="boot-small",
        defaults={
            "script": (
                f'cp "{inputs["kernel"]}" "$OUTPUT_DIR/vmlinuz"\n'
                f'cp "{inputs["initramfs"]}" "$OUTPUT_DIR/initramfs.cpio.gz"\n'
            ),
            "output_patterns": ["vmlinuz", "initramfs.cpio.gz"],
            "queue": QUEUE,
            "boot_test": True,
            "enabled": True,
        },
    )
    attached, booted = [], []
    for i in range(BOOT_BUILDS):
        release = Release.objects.create(version=f"bench-build-boot-{i}")
        started = time.perf_counter()
        (build,) = start_builds(release=release, recipes=[small]).started
        while not Build.objects.filter(pk=build.pk, state=Build.State.FINISHED).exists():
            time.sleep(0.005)
        attached.append(time.perf_counter() - started)
        finished = (BootTest.Status.PASSED, BootTest.Status.FAILED)
        while not BootTest.objects.filter(build=build, status__in=finished).exists():
            time.sleep(0.005)
        booted.append(time.perf_counter() - started)
        test = BootTest.objects.get(build=build)
        if test.status != BootTest.Status.PASSED:
            raise RuntimeError(f"bench boot test #{test.pk} failed: {test.reason}")
    return {
        "builds": BOOT_BUILDS,
        "start_to_files_attached_p50_ms": round(statistics.median(attached) * 1000, 1),
        "start_to_boot_validated_p50_ms": round(statistics.median(booted) * 1000, 1),
        "start_to_boot_validated_max_ms": round(max(booted) * 1000, 1),
    }


def _build(release, recipe) -> float:
    """Start one build and wait until it has finished; return the seconds it took."""
    from builds.models import Build
    from builds.services import start_builds

    started = time.perf_counter()
    (build,) = start_builds(release=release, recipes=[recipe]).started
    while True:
        state, result, reason = Build.objects.filter(pk=build.pk).values_list(
            "state", "result", "reason"
        )[0]
        if state == Build.State.FINISHED:
            break
        time.sleep(0.002)
    took = time.perf_counter() - started
    if result != Build.Result.SUCCEEDED:
        raise RuntimeError(f"bench build #{build.pk} {result}: {reason}")
    if not Build.objects.get(pk=build.pk).artifacts.exists():
        raise RuntimeError(f"bench build #{build.pk} attached nothing")
    return took
