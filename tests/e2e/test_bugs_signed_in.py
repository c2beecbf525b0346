"""A member reads the bug list and a bug page kept for every member, filled for her: her saved
search and her CC button work from them, at 1280 and 375 px."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.test import Client
from playwright.sync_api import expect

from bugs.services import filing
from tests.downloads.conftest import boards, incoming, make_release, storage  # noqa: F401
from tests.e2e.conftest import screenshot, sign_in
from tests.e2e.test_bugs import tracker  # noqa: F401

LIST = "/bugs/?status=open"


@pytest.fixture
def members(transactional_db):
    users = get_user_model().objects
    carol = users.create_user("carol", "carol@example.org", "carol-Pw-2026!")
    EmailAddress.objects.create(user=carol, email=carol.email, verified=True, primary=True)
    return carol, users.create_user("otto", "otto@example.org", "otto-Pw-2026!")


def test_a_member_saves_a_search_and_joins_the_cc_from_pages_kept_for_members(
    page,
    live_server,
    members,
    tracker,  # noqa: F811
):
    otto = members[1]
    bug = filing.file_bug(
        reporter=otto, component=tracker, summary="eth0 drops under load", description="Steps."
    )
    sign_in(page, "carol", "carol-Pw-2026!")
    # Kept for members now, at the addresses the browser asks for.
    reader = Client()
    reader.force_login(get_user_model().objects.create_user("dora", "dora@example.org", "x"))
    host = live_server.url.split("//", 1)[1]
    for url in (LIST, bug.get_absolute_url()):
        assert reader.get(url, HTTP_HOST=host).status_code == 200
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        for name, url in (("list", LIST), ("detail", bug.get_absolute_url())):
            answer = page.goto(url)
            assert "age" in answer.headers, url  # the page kept for members, filled for her
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            screenshot(page, f"bugs-{name}-signed-in-{width}")
            if name == "list":  # wrapped under the title, the buttons keep clear of the filters
                gap = page.evaluate(
                    "document.querySelector('.bug-filters').getBoundingClientRect().top"
                    " - document.querySelector('.bugs-actions').getBoundingClientRect().bottom"
                )
                assert gap >= 8, f"the tracker's buttons touch its filters at {width}px"
    # Her token in the kept page's forms is hers: she joins the CC and it says so.
    page.click('[data-test="cc-button"]')
    expect(page.locator('[data-test="cc-button"]')).to_have_text("Remove me from CC")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(LIST)
    page.fill("input[name=name]", "Open bugs")
    page.get_by_role("button", name="Save search").click()
    page.goto(LIST)
    expect(page.locator('[data-test="saved-searches"]')).to_contain_text("Open bugs")
    screenshot(page, "bugs-list-signed-in-saved-1280")
