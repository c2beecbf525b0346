"""Boot validation with the real thing: the shipped QEMU recipe builds Debian's arm64 kernel and a
busybox initramfs, and qemu-system-aarch64 boots them; a broken initramfs fails with its log."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from builds.models import BootTest, Build, BuildRecipe
from builds.runner import execute_build
from builds.seeds import RECIPES, RECIPES_DIR
from builds.services import start_builds
from builds.validation import BOOT_MARKER, run_boot_test
from downloads.models import Board, Release
from tests.builds.helpers import full_log

pytestmark = pytest.mark.django_db

QEMU_SPEC = next(spec for spec in RECIPES["qemu"] if spec["name"] == "kernel-initramfs")


@pytest.fixture
def qemu_board(db) -> Board:
    return Board.objects.create(slug="qemu", name="QEMU", soc="virt", order=5)


def qemu_recipe(board: Board, *, prefix: str = "", name: str = "kernel-initramfs") -> BuildRecipe:
    return BuildRecipe.objects.create(
        board=board,
        name=name,
        script=prefix + (RECIPES_DIR / QEMU_SPEC["script"]).read_text(),
        output_patterns=QEMU_SPEC["output_patterns"],
        tools=QEMU_SPEC["tools"],
        boot_test=True,
        timeout_seconds=600,
    )


def build_and_boot(release: Release, recipe: BuildRecipe) -> tuple[Build, BootTest]:
    (build,) = start_builds(release=release, recipes=[recipe]).started
    execute_build(build_id=build.pk)
    build.refresh_from_db()
    assert build.result == Build.Result.SUCCEEDED, full_log(build)
    boot_test = build.boot_tests.get()
    assert boot_test.status == BootTest.Status.PENDING
    run_boot_test(boot_test_id=boot_test.pk)
    boot_test.refresh_from_db()
    return build, boot_test


@pytest.fixture
def rm_client(release_manager):
    manager = Client()
    manager.force_login(release_manager)
    return manager


def test_a_built_kernel_boots_in_qemu_and_the_pages_say_so(rm_client, client, qemu_board):
    release = Release.objects.create(version="9.1")
    _build, boot_test = build_and_boot(release, qemu_recipe(qemu_board))
    assert boot_test.status == BootTest.Status.PASSED, boot_test.console_log[-3000:]
    assert f"{BOOT_MARKER} 9.1" in boot_test.console_log and "aarch64" in boot_test.console_log
    assert "Linux version" in boot_test.console_log
    assert boot_test.duration_seconds > 0 and boot_test.finished_at
    builds_page = rm_client.get(reverse("builds:release", args=["9.1"])).content.decode()
    assert "boot-tested in QEMU: passed" in builds_page
    log_url = reverse("builds:boot_log", args=[boot_test.pk])
    assert log_url in builds_page
    assert BOOT_MARKER in rm_client.get(log_url).content.decode()
    assert client.get(log_url).status_code == 404  # a draft's log: release managers only
    rm_client.post(reverse("builds:release_publish", args=["9.1"]))
    assert Release.objects.get(pk=release.pk).status == Release.Status.PUBLISHED
    board_page = client.get(reverse("downloads:board", args=["qemu"])).content.decode()
    assert "boot-tested in QEMU: passed" in board_page and log_url in board_page
    release_page = client.get(reverse("downloads:release", args=["9.1"])).content.decode()
    assert "boot-tested in QEMU: passed" in release_page
    assert BOOT_MARKER in client.get(log_url).content.decode()  # public once published


def test_a_broken_initramfs_fails_its_boot_test_and_publishing_asks_first(
    rm_client, client, qemu_board
):
    release = Release.objects.create(version="9.2")
    recipe = qemu_recipe(qemu_board, prefix="BOOT_INIT_BROKEN=1\n", name="broken")
    build, boot_test = build_and_boot(release, recipe)
    assert build.result == Build.Result.SUCCEEDED  # the build itself went well
    assert boot_test.status == BootTest.Status.FAILED
    assert BOOT_MARKER in boot_test.reason  # "... without printing ESTUARY-BOOT-OK"
    assert "this init is broken on purpose" in boot_test.console_log
    assert "Kernel panic" in boot_test.console_log
    page = rm_client.get(reverse("builds:release", args=["9.2"])).content.decode()
    assert "boot-tested in QEMU: failed" in page
    detail = rm_client.get(build.get_absolute_url()).content.decode()
    assert "boot-tested in QEMU: failed" in detail and boot_test.reason in detail
    publish = reverse("builds:release_publish", args=["9.2"])
    asked = rm_client.post(publish)
    assert asked.status_code == 409 and 'data-test="publish-anyway"' in asked.content.decode()
    assert Release.objects.get(pk=release.pk).status == Release.Status.DRAFT
    # The catalogue's own publish button asks too (builds registered a publish check).
    manage_publish = reverse("downloads:manage_publish", args=["9.2"])
    asked = rm_client.post(manage_publish)
    assert asked.status_code == 409 and "boot test in QEMU failed" in asked.content.decode()
    assert Release.objects.get(pk=release.pk).status == Release.Status.DRAFT
    rm_client.post(publish, {"confirm": "yes"})
    release.refresh_from_db()
    assert release.status == Release.Status.PUBLISHED
    assert "Published despite" in release.notes
    assert f"QEMU: its boot test in QEMU failed (build #{build.pk}" in release.notes_html


def test_a_build_without_kernel_fails_its_boot_test_clearly(qemu_board, make_recipe):
    release = Release.objects.create(version="9.3")
    recipe = make_recipe('echo x > "$OUTPUT_DIR/a.txt"', board=qemu_board, boot_test=True)
    _build, boot_test = build_and_boot(release, recipe)
    assert boot_test.status == BootTest.Status.FAILED
    assert boot_test.reason == "the build attached no kernel and initramfs to boot"
