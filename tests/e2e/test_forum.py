"""A new member signs up, verifies, asks with a code block; another quotes and answers; the
first hears of it and marks the answer."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from forum.models import Category, Topic
from portal.models import Profile
from tests.e2e.conftest import screenshot, sign_in

pytestmark = pytest.mark.worker

QUESTION = "Kernel panic on D05 with 5.1"
CODE = "dmesg | grep -i panic"


@pytest.fixture
def board(transactional_db):
    return Category.objects.create(name="D05", slug="d05", description="The Hip07 server")


@pytest.fixture
def helper(transactional_db):
    user = get_user_model().objects.create_user("bruno", "bruno@example.org", "Bruno-pw-2026!")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    Profile.objects.create(user=user, trust_level=Profile.TrustLevel.MEMBER)
    return user


def test_ask_quote_notify_and_mark_the_answer(
    page, browser, live_server, celery_worker, board, helper
):
    celery_worker.clear_mail()
    # 1. Sign up; the verification mail comes from the worker.
    page.goto("/accounts/signup/")
    page.fill("input[name=email]", "alice@example.org")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password1]", "Alice-pw-2026!")
    page.fill("input[name=password2]", "Alice-pw-2026!")
    page.locator("main form button[type=submit]").first.click()
    mail = celery_worker.wait_for_mail(to="alice@example.org")
    body = mail.get_body(preferencelist=("plain",)).get_content()
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", body).group(0)
    page.goto(re.sub(r"^https?://[^/]+", "", link))
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_selector('[data-test="logout"]')

    # 2. Ask, with a code block; the live preview renders it before posting.
    page.goto("/forum/c/d05/")
    page.click('[data-test="new-topic"]')
    page.fill("input[name=title]", QUESTION)
    page.fill("textarea[name=source]", f"It panics at boot:\n\n```sh\n{CODE}\n```\n")
    page.wait_for_selector("[data-preview-target] .highlight")
    page.click('[data-test="submit"]')
    page.wait_for_selector('[data-test="topic-title"]')
    assert page.inner_text('[data-test="topic-title"]') == QUESTION
    assert CODE in page.inner_text(".post-body .highlight")
    topic_url = page.url
    screenshot(page, "forum-question")

    # 3. A second member quotes the question and replies.
    other = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    second = other.new_page()
    sign_in(second, "bruno", "Bruno-pw-2026!")
    # The page members share, gzipped around his own parts: the browser reads it, and the form
    # token in it is taken below.
    assert second.goto(topic_url).header_value("content-encoding") == "gzip"
    second.click('[data-test="quote"]')
    box = second.locator("#reply textarea[name=source]")
    expect(box).to_have_value(re.compile("alice wrote"))
    box.fill(box.input_value() + "Update the firmware first, then boot with `earlycon`.")
    second.click('[data-test="submit-reply"]')
    second.wait_for_selector("#p2 blockquote")
    assert "alice wrote" in second.inner_text("#p2 blockquote")
    other.close()

    # 4. Alice sees the notification and marks the answer.
    page.goto("/")
    assert page.inner_text('[data-test="unread-count"]') == "1"
    page.click('[data-test="notifications"]')
    item = page.locator('[data-test="notification"]').first
    assert "bruno quoted you in" in item.inner_text() and QUESTION in item.inner_text()
    item.locator("a").click()
    page.wait_for_selector("#p2")
    page.locator('#p2 [data-test="mark-answer"]').click()
    page.wait_for_selector('[data-test="answer-box"]')
    assert "Update the firmware first" in page.inner_text('[data-test="answer-box"]')
    screenshot(page, "forum-answered")
    page.goto("/forum/c/d05/")
    assert page.locator('[data-test="solved"]').count() == 1
    topic = Topic.objects.get()
    assert topic.answer.author == helper


PREVIEW = "[data-preview-target]"


def test_a_draft_typed_before_the_script_arrived_is_previewed(page, live_server, board, helper):
    """Text already in the box when the page's script runs (typed on a slow connection, or a
    draft the browser restored) is previewed without waiting for another keystroke."""
    sign_in(page, "bruno", "Bruno-pw-2026!")
    page.route("**/js/forum*.js", lambda route: route.abort())
    page.goto("/forum/c/d05/new/")
    page.fill("textarea[name=source]", f"```sh\n{CODE}\n```\n")
    script = page.get_attribute('script[src*="js/forum"]', "src")
    page.unroute("**/js/forum*.js")
    page.add_script_tag(url=script)
    page.wait_for_selector(f"{PREVIEW} .highlight", timeout=5_000)
    assert CODE in page.inner_text(PREVIEW)


def test_a_preview_answer_overtaken_by_a_newer_one_is_dropped(page, live_server, board, helper):
    """Typing on: an answer for older text arriving late does not replace the newer one."""
    sign_in(page, "bruno", "Bruno-pw-2026!")
    held = []

    def hold_the_first(route):
        if not held and b"first" in (route.request.post_data_buffer or b""):
            held.append(route)
        else:
            route.continue_()

    page.route("**/forum/preview/", hold_the_first)
    page.goto("/forum/c/d05/new/")
    page.fill("textarea[name=source]", "first draft")
    for _wait in range(100):  # the script asks 400 ms after the last keystroke
        if held:
            break
        page.wait_for_timeout(50)
    assert held, "the preview of the first draft was never asked for"
    page.fill("textarea[name=source]", "second draft")
    expect(page.locator(PREVIEW)).to_contain_text("second draft")
    with page.expect_response(lambda response: "/forum/preview/" in response.url) as late:
        held[0].continue_()
    late.value.finished()
    page.wait_for_timeout(500)  # time for the page to show it, were it shown
    expect(page.locator(PREVIEW)).to_contain_text("second draft")
    assert "first draft" not in page.inner_text(PREVIEW)
