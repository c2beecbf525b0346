"""Two members read the board page kept for their kind; the second watches the board from his
copy (its form token is his own) and sees his choice at once. Screenshots of the board, release
and home pages signed in, wide and narrow."""

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model

from tests.downloads.conftest import boards, incoming, make_release, storage  # noqa: F401
from tests.e2e.conftest import screenshot, sign_in

PASSWORD = "Member-pw-2026!"


@pytest.fixture
def members(transactional_db, boards, make_release):  # noqa: F811
    make_release("3.1", {"d02/Image": b"kernel", "common/README": b"read me"})
    people = []
    for name in ("ada", "bob"):
        user = get_user_model().objects.create_user(name, f"{name}@example.org", PASSWORD)
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
        people.append(user)
    return people


def test_a_member_watches_a_board_from_the_page_kept_for_his_kind(
    page, browser, live_server, members
):
    sign_in(page, "ada", PASSWORD)
    page.goto("/downloads/d02/")
    page.wait_for_selector('[data-test="watch-board"] button[aria-pressed="false"]')

    other = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    second = other.new_page()
    sign_in(second, "bob", PASSWORD)
    answer = second.goto("/downloads/d02/")
    assert answer.headers.get("age") is not None  # ada's kind's kept page, filled for bob
    second.click('[data-test="watch-board"] button')
    second.wait_for_selector('[data-test="watch-board"] button[aria-pressed="true"]')
    answer = second.goto("/downloads/d02/")
    assert answer.headers.get("age") is not None
    assert second.locator('[data-test="watch-board"] button[aria-pressed="true"]').count() == 1
    other.close()

    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        for name, url in (("board", "/downloads/d02/"), ("release", "/downloads/releases/3.1/"),
                          ("home", "/")):  # fmt: skip
            assert page.goto(url).status == 200
            screenshot(page, f"downloads-signed-in-{name}-{width}")
