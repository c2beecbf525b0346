"""A release manager starts a build, watches it run and finds its files."""

from __future__ import annotations

import io
import subprocess
import urllib.request

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.test import Client

from builds.models import Build, BuildRecipe
from downloads.models import Board, Release
from tests.conftest import wait_until
from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.django_db(transaction=True)

SCRIPT = """
for i in 1 2 3 4 5 6 7 8; do
  echo "step $i of 8: assembling the boot files of $BOARD"
  echo "::progress $((i * 12))"
  sleep 0.7
done
printf 'GRUB configuration of %s\\n' "$BOARD" > "$OUTPUT_DIR/grub.cfg"
printf 'kernel of %s\\n' "$BOARD" > "$OUTPUT_DIR/Image"
"""


def log_in(page, live_server, user) -> None:
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])


def test_a_release_manager_builds_a_board_and_watches_it(
    page, live_server, celery_worker, django_user_model
):
    board = Board.objects.create(slug="d02", name="D02", soc="Hip05")
    release = Release.objects.create(version="7.0", title="Estuary 7.0")
    BuildRecipe.objects.create(
        board=board, name="boot-files", script=SCRIPT, output_patterns=["grub.cfg", "Image"]
    )
    manager = django_user_model.objects.create_user("release", "r@example.org", "pw")
    manager.groups.add(Group.objects.get_or_create(name="release-managers")[0])
    log_in(page, live_server, manager)

    page.goto("/downloads/builds/release/7.0/")
    page.get_by_text("not built").wait_for()
    page.locator('[data-test="build-all"]').click()
    page.wait_for_url("**/downloads/builds/*/")
    build = Build.objects.get(release=release)
    assert page.url.endswith(build.get_absolute_url())

    # The bar moves and the log grows while the build runs, without reloading the page.
    page.wait_for_function(
        "() => document.querySelector('[data-build-progress]').value >= 24", timeout=30_000
    )
    log = page.locator('[data-test="build-log"]')
    seen = len(log.inner_text())
    assert "step 2 of 8" in log.inner_text()
    screenshot(page, "build-running")
    page.wait_for_function(
        "seen => document.querySelector('[data-test=\"build-log\"]').innerText.length > seen",
        arg=seen,
    )
    page.wait_for_function(
        "() => document.querySelector('[data-build-progress]').value >= 60", timeout=30_000
    )

    # When it ends the page shows the result and the files with their checksums.
    files = page.locator('[data-test="build-files"]')
    files.wait_for(timeout=30_000)
    assert "grub.cfg" in files.inner_text() and "Image" in files.inner_text()
    assert page.locator("[data-build-status]").inner_text() == "Succeeded"
    assert "step 8 of 8" in page.locator('[data-test="build-log"]').inner_text()
    build.refresh_from_db()
    for artifact in build.artifacts.all():
        assert artifact.sha256 in files.inner_text()
    screenshot(page, "build-finished")

    page.goto("/downloads/builds/release/7.0/")
    assert "The build succeeded." in page.locator('[data-test="build-summary"]').inner_text()
    screenshot(page, "build-release")
    page.goto("/downloads/builds/")
    assert f"#{build.pk}" in page.locator("table.builds").inner_text()
    screenshot(page, "build-list")


def test_published_build_files_appear_on_the_board_page(page, live_server, django_user_model):
    """Once every build succeeded the release is published from the build page."""
    from builds.runner import execute_build
    from builds.services import start_builds

    board = Board.objects.create(slug="d03", name="D03", soc="Hip06")
    release = Release.objects.create(version="7.1", title="Estuary 7.1")
    recipe = BuildRecipe.objects.create(
        board=board,
        name="boot-files",
        script='printf "menuentry" > "$OUTPUT_DIR/grub-d03.cfg"',
        output_patterns=["grub-d03.cfg"],
    )
    (build,) = start_builds(release=release, recipes=[recipe]).started
    execute_build(build_id=build.pk)
    manager = django_user_model.objects.create_user("release", "r@example.org", "pw")
    manager.groups.add(Group.objects.get_or_create(name="release-managers")[0])
    log_in(page, live_server, manager)
    page.goto("/downloads/builds/release/7.1/")
    page.locator('[data-test="publish-release"]').click()
    page.get_by_text("Release 7.1 is published.").wait_for()
    page.goto(board.get_absolute_url())
    page.get_by_text("grub-d03.cfg").first.wait_for()


def test_a_release_manager_builds_boot_tests_and_publishes_a_release_latest_serves(
    page, live_server, celery_worker, django_user_model, tmp_path
):
    """Every board of a new release built, the QEMU kernel booted, published: then `latest`
    for D02 is the new release and `sha256sum -c` passes on its files."""
    call_command(
        "seed_demo", "--only", "site", "--only", "downloads", "--only", "builds",
        stdout=io.StringIO(),
    )  # fmt: skip
    manager = django_user_model.objects.create_user("release", "r@example.org", "pw")
    manager.groups.add(Group.objects.get_or_create(name="release-managers")[0])
    log_in(page, live_server, manager)

    page.goto("/downloads/manage/")
    page.get_by_label("Version").fill("5.0")
    page.locator("form.stacked-form button[type=submit]").click()
    page.wait_for_url("**/downloads/manage/5.0/")
    page.get_by_role("link", name="Builds of this release").click()
    page.wait_for_url("**/downloads/builds/release/5.0/")
    page.locator('[data-test="build-all"]').click()
    page.get_by_text("builds queued").wait_for()
    screenshot(page, "builds-release-queued")

    def everything_done() -> bool:
        page.reload()
        return (
            page.locator('[data-test="publish-release"]').count() == 1
            and page.locator('tr[data-board="qemu"] [data-boot-status="passed"]').count() == 1
        )

    wait_until(everything_done, timeout=300, interval=2)
    screenshot(page, "builds-release-boot-passed")
    page.set_viewport_size({"width": 375, "height": 800})
    screenshot(page, "builds-release-boot-passed-375")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.set_viewport_size({"width": 1280, "height": 900})

    page.locator('tr[data-board="qemu"] [data-boot-status="passed"] a').click()
    assert "ESTUARY-BOOT-OK 5.0" in page.locator("body").inner_text()
    page.go_back()
    page.locator('[data-test="publish-release"]').click()
    page.get_by_text("Release 5.0 is published.").wait_for()

    page.goto("/downloads/qemu/")
    assert "boot-tested in QEMU: passed" in page.locator("main").inner_text()
    screenshot(page, "downloads-board-qemu-boot")

    def fetch(path: str) -> tuple[str, bytes]:
        with urllib.request.urlopen(live_server.url + path) as response:  # follows the 302
            return response.url, response.read()

    sums_url, sums = fetch("/downloads/latest/d02/SHA256SUMS")
    assert sums_url.endswith("/downloads/releases/5.0/d02/SHA256SUMS")
    (tmp_path / "SHA256SUMS").write_bytes(sums)
    names = [line.split()[-1].lstrip("*") for line in sums.decode().splitlines()]
    assert "grub.cfg" in names
    for name in names:
        url, data = fetch(f"/downloads/latest/d02/{name}")
        assert "/releases/5.0/d02/" in url
        (tmp_path / name).write_bytes(data)
    checked = subprocess.run(
        ["sha256sum", "-c", "SHA256SUMS"], cwd=tmp_path, capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
