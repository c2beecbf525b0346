"""From the home page to the D02 board page; download the kernel and verify it."""

import hashlib
import io
import subprocess

import pytest
from django.core.management import call_command

from tests.e2e.conftest import screenshot


@pytest.fixture
def seeded(transactional_db, settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "artifacts": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "artifacts"},
        },
    }
    settings.ARTIFACT_IMPORT_DIRS = [str(tmp_path / "incoming")]
    call_command("seed_demo", "--only", "site", "--only", "downloads", stdout=io.StringIO())


def test_download_the_d02_kernel_and_verify_it(page, seeded, tmp_path):
    page.goto("/")
    page.locator('.home-boards a[data-board="d02"]').click()
    page.wait_for_url("**/downloads/d02/")
    assert page.locator("h1").inner_text() == "D02"
    row = page.locator('tr[data-file="d02/Image"]')
    shown_sha256 = row.locator("code.sha256").get_attribute("data-sha256")
    check_command = row.locator("code.sha256").get_attribute("data-copy")
    screenshot(page, "downloads-board-d02")
    with page.expect_download() as info:
        row.locator("a[data-test=file-link]").click()
    download = info.value
    assert download.suggested_filename == "Image"
    target = tmp_path / "download"
    target.mkdir()
    download.save_as(target / "Image")
    data = (target / "Image").read_bytes()
    assert hashlib.sha256(data).hexdigest() == shown_sha256
    # The command the copy button gives, pasted in the download folder.
    result = subprocess.run(
        ["bash", "-c", check_command], cwd=target, capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0 and result.stdout.strip() == "Image: OK"


def test_release_page_and_filters_work_without_javascript(browser, live_server, seeded):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    page.goto("/downloads/")
    screenshot(page, "downloads-index")
    page.select_option("select[name=support]", "community")
    page.locator(".board-filters button[type=submit]").click()
    page.wait_for_url("**/downloads/?*support=community*")
    assert page.locator(".board-card").count() == 1
    assert page.locator('.board-card[data-board="qemu"]').count() == 1
    page.goto("/downloads/releases/3.0/")
    assert "superseded by 3.1" in page.locator(".superseded-notice").inner_text()
    screenshot(page, "downloads-release-3-0")
    context.close()


def test_filters_apply_on_change_with_javascript(page, seeded):
    page.goto("/downloads/")
    page.select_option("select[name=support]", "community")  # no button pressed
    page.wait_for_url("**/downloads/?*support=community*")
    assert page.locator(".board-card").count() == 1
