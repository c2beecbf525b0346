"""The archive in a real browser: list, thread and message pages at 1280 and 375 px with no
sideways scroll, quoted text unfolded by keyboard alone, in English and Chinese; members' pages
kept for their kind, each member's own parts working."""

from __future__ import annotations

import pytest
from django.urls import reverse

from lists.models import Message, Thread
from lists.seeds import seed_lists
from tests.e2e.conftest import screenshot, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def seeded(transactional_db):
    seed_lists(lambda line: None)
    thread = Thread.objects.filter(mailing_list__name="estuary-dev").order_by("-message_count")
    return thread.first()


def no_sideways_scroll(page) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


@pytest.mark.parametrize("width", [1280, 375])
def test_pages_fit_the_screen(page, seeded, width):
    page.set_viewport_size({"width": width, "height": 900})
    message = Message.objects.filter(thread=seeded, has_patch=True).first() or (
        Message.objects.filter(thread=seeded).first()
    )
    for name, path in (
        ("index", "/lists/"),
        ("list", "/lists/estuary-dev/"),
        ("thread", seeded.get_absolute_url()),
        ("message", message.get_absolute_url()),
        ("search", "/lists/estuary-dev/search/?q=boot"),
    ):
        page.goto(path)
        assert no_sideways_scroll(page), f"{name} scrolls sideways at {width}px"
        screenshot(page, f"lists-{name}-{width}")


def test_quotes_unfold_by_keyboard_and_pages_speak_chinese(page, seeded):
    page.goto(seeded.get_absolute_url())
    summary = page.locator("details.quote summary").first
    details = page.locator("details.quote").first
    assert details.get_attribute("open") is None
    summary.focus()
    page.keyboard.press("Enter")
    assert details.get_attribute("open") is not None
    # By keyboard, as the footer's language links are meant to be used.
    page.locator('[data-test="language-zh-hans"]').focus()
    with page.expect_navigation():  # the link redirects back here: wait for the page it ends on
        page.keyboard.press("Enter")
    assert "树状显示" in page.content() or "按日期显示" in page.content()
    screenshot(page, "lists-thread-zh")


@pytest.fixture
def otto(transactional_db):
    """Two members of one kind: rita (password rita-pw-2026!), who has a verified address and
    signs in in the browser, and otto, who has none, signed in on a client of his own."""
    from allauth.account.models import EmailAddress
    from django.contrib.auth import get_user_model
    from django.test import Client

    users = get_user_model().objects
    rita = users.create_user("rita", "rita@example.org", "rita-pw-2026!")
    EmailAddress.objects.create(user=rita, email=rita.email, verified=True, primary=True)
    otto = Client()
    otto.force_login(users.create_user("otto", "otto@example.org", "otto-pw-2026!"))
    return otto


def test_a_member_watches_a_thread_from_the_shared_page_by_keyboard(
    page, seeded, otto, live_server
):
    # Kept for members now, at the address the browser asks for.
    host = live_server.url.split("//", 1)[1]
    assert otto.get(seeded.get_absolute_url(), HTTP_HOST=host).status_code == 200
    sign_in(page, "rita", "rita-pw-2026!")
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        answer = page.goto(seeded.get_absolute_url())
        assert "age" in answer.headers  # the page kept for members, filled for her
        assert no_sideways_scroll(page), f"the signed-in thread scrolls sideways at {width}px"
        screenshot(page, f"lists-thread-signed-in-{width}")
    assert page.locator('[data-test="logout"]').count() == 1
    # Her form's token is hers, on the page kept for every member: the watch goes through.
    page.locator('[data-test="watch-form"] button').focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "Stop watching" in page.locator('[data-test="watch-form"]').inner_text()


def test_a_member_replies_from_the_shared_message_page_by_keyboard(page, seeded, otto, live_server):
    message = Message.objects.filter(thread=seeded).order_by("date").first()
    url = message.get_absolute_url()
    host = live_server.url.split("//", 1)[1]
    # Kept for members now by otto, who has no verified address: rita's way to reply is hers.
    assert "Verify an e-mail address" in otto.get(url, HTTP_HOST=host).content.decode()
    otto.cookies["django_language"] = "zh-hans"
    assert otto.get(url, HTTP_HOST=host).status_code == 200
    sign_in(page, "rita", "rita-pw-2026!")
    for language, width in (("en", 1280), ("en", 375), ("zh-hans", 375)):
        page.context.add_cookies(
            [{"name": "django_language", "value": language, "url": live_server.url}]
        )
        page.set_viewport_size({"width": width, "height": 900})
        answer = page.goto(url)
        assert "age" in answer.headers  # the page kept for members, filled for her
        assert no_sideways_scroll(page), f"the signed-in message scrolls sideways at {width}px"
        screenshot(page, f"lists-message-signed-in-{language}-{width}")
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    page.goto(url)
    page.locator('[data-test="web-reply"]').focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith(
        reverse("lists:reply", args=[message.mailing_list.name, message.message_id])
    )
