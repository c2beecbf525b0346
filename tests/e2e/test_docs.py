"""A new visitor finds the D02 quick start, switches version and downloads the right file."""

import hashlib

import pytest
from django.core.management import call_command

from downloads.models import Artifact
from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def test_visitor_goes_from_home_to_a_file_of_the_chosen_release(page):
    call_command("seed_demo", verbosity=0)  # publishes the demo releases 3.0 and 3.1
    old_image = Artifact.objects.get(release__version="3.0", board__slug="d02", filename="Image")

    page.goto("/")
    page.get_by_role("link", name="D02 quick start").first.click()
    page.wait_for_url("**/docs/latest/quick-start/d02/")
    assert page.locator("h1").inner_text() == "D02 quick start"
    assert page.locator("a.artifact-link", has_text="Image").get_attribute("href") == (
        "/downloads/releases/3.1/d02/Image"
    )

    # The switcher follows the choice at once (JavaScript) and keeps the page.
    page.select_option("#docs-version", "3.0")
    page.wait_for_url("**/docs/3.0/quick-start/d02/")
    assert "not the current one" in page.locator(".docs-banner").inner_text()
    screenshot(page, "docs-d02-quick-start-3.0")

    link = page.locator("a.artifact-link", has_text="Image")
    assert link.get_attribute("href") == "/downloads/releases/3.0/d02/Image"
    shown = page.locator(".artifact", has=link).locator("code.sha256").inner_text()
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename == "Image"
    data = download.path().read_bytes()
    assert hashlib.sha256(data).hexdigest() == shown == old_image.sha256
    assert len(data) == old_image.size


def test_editor_sees_a_live_preview_and_saves_a_revision(page, live_server):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.test import Client

    from docs_app.models import Page

    call_command("seed_demo", verbosity=0)
    editor = get_user_model().objects.create_user("eda", "eda@example.org", "pw-for-tests-1")
    editor.groups.add(Group.objects.get_or_create(name="doc-editors")[0])
    client = Client()
    client.force_login(editor)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)

    page.goto("/docs/latest/hardware-boards/d05/")
    page.click("[data-test=edit-page]")
    page.fill("textarea[name=source]", "## Ports\n\n| Port | Use |\n|---|---|\n| BMC | power |")
    preview = page.locator("#docs-preview")
    preview.locator("table").wait_for()
    assert preview.locator("h2#ports").inner_text() == "Ports"
    screenshot(page, "docs-editor-live-preview")
    page.fill("input[name=message]", "List the ports")
    page.click("[data-test=save-page]")
    page.wait_for_url("**/docs/latest/hardware-boards/d05/")
    assert page.locator(".prose table").count() == 1
    saved = Page.objects.get(slug="d05")
    assert saved.revisions.first().message == "List the ports"
    assert saved.revisions.first().author == editor
    page.goto("/docs/")
    screenshot(page, "docs-index")
    assert not errors, errors
