"""A release's story in the browser: a visitor finds the D02 guide through search, downloads
its file and watches the board; a release manager publishes; the visitor hears of it."""

import hashlib

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client

from downloads.models import Board
from downloads.querysets import RELEASE_MANAGERS
from downloads.services.artifacts import add_artifact_from_path, guess_kind, import_dirs
from downloads.services.publishing import create_release
from portal.registry import registry
from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def _session(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def _signed_in(browser, live_server, user):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 375, "height": 800})
    context.set_default_timeout(15_000)
    context.add_cookies([{"name": "sessionid", "value": _session(user), "url": live_server.url}])
    return context


def test_a_visitor_watches_a_board_and_hears_of_its_next_release(page, browser, live_server):
    # The demo's site, catalogue and docs are all this story needs (the lists take longest).
    for seeder in registry.sorted_seeders():
        if seeder.name in {"site", "downloads", "docs"}:
            seeder.run(lambda text: None)
    users = get_user_model().objects
    visitor = users.create_user("vic", "vic@example.org", "pw-for-tests-1")
    manager = users.create_user("rita", "rita@example.org", "pw-for-tests-1")
    manager.groups.add(Group.objects.get_or_create(name=RELEASE_MANAGERS)[0])
    visit = _signed_in(browser, live_server, visitor).new_page()

    visit.goto("/search/?q=D02+UEFI")
    visit.get_by_role("link", name="D02 quick start").first.click()
    visit.wait_for_url("**/docs/**/quick-start/d02/")
    assert visit.locator("[data-test=report-guide-problem]").count() == 1
    link = visit.locator("a.artifact-link", has_text="Image")
    shown = visit.locator(".artifact", has=link).locator("code.sha256").inner_text()
    with visit.expect_download() as info:
        link.click()
    assert hashlib.sha256(info.value.path().read_bytes()).hexdigest() == shown

    visit.goto("/downloads/d02/")
    visit.get_by_role("button", name="Watch this board").click()
    visit.get_by_role("button", name="Stop watching this board").wait_for()

    # A new draft with a file the board has never had, published from the manager's page.
    folder = import_dirs()[0] / "3.3-e2e" / "d02"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "UEFI_D02.fd").write_bytes(b"firmware 3.3\n" * 64)
    draft = create_release(version="3.3", title="New firmware", notes="UEFI for D02.")
    add_artifact_from_path(
        release=draft,
        path=folder / "UEFI_D02.fd",
        board=Board.objects.get(slug="d02"),
        kind=guess_kind("UEFI_D02.fd"),
    )
    page.context.add_cookies(
        [{"name": "sessionid", "value": _session(manager), "url": live_server.url}]
    )
    page.goto("/downloads/manage/3.3/")
    page.click("[data-test=publish]")
    page.wait_for_url("**/downloads/releases/3.3/")
    assert page.locator("[data-test=release-announcement] a").count() == 1
    assert page.locator("[data-test=release-topic] a").count() == 1
    screenshot(page, "release-story-release-1280")

    visit.goto("/notifications/")
    notice = visit.locator("[data-test=notification]").first
    assert "rita published “Estuary 3.3: New firmware”" in notice.inner_text()
    visit.goto("/")
    visit.get_by_role("link", name="Estuary 3.3: New firmware is out").click()
    visit.wait_for_url("**/news/**")
    assert "UEFI_D02.fd" in visit.locator("main").inner_text()
    visit.goto("/downloads/d02/")
    assert visit.locator("a", has_text="UEFI_D02.fd").count() >= 1
    screenshot(visit, "release-story-board-375")
    visit.context.close()
