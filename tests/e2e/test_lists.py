"""The archive in a real browser: list, thread and message pages at 1280 and 375 px with no
sideways scroll, quoted text unfolded by keyboard alone, in English and Chinese."""

from __future__ import annotations

import pytest

from lists.models import Message, Thread
from lists.seeds import seed_lists
from tests.e2e.conftest import screenshot

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
