"""A newcomer's first visit, in a real browser: sign up, verify by mail, log in, switch the
language, log out."""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def seeded(live_server):
    call_command("seed_demo", verbosity=0)


def test_sign_up_verify_log_in_switch_language_log_out(page, seeded, celery_worker):
    celery_worker.clear_mail()
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Linux on ARM64 boards")
    screenshot(page, "home")

    page.get_by_role("link", name="Sign up").click()
    page.get_by_label("Email").fill("grace@example.org")
    page.get_by_label("Username").fill("grace")
    page.locator("#id_password1").fill("uefi-and-grub-2026")
    page.locator("#id_password2").fill("uefi-and-grub-2026")
    screenshot(page, "sign-up")
    page.get_by_role("button", name="Sign Up").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Verify Your Email Address")

    message = celery_worker.wait_for_mail(to="grace@example.org")
    body = message.get_body(preferencelist=("plain",)).get_content()
    confirm_path = re.search(r"/accounts/confirm-email/[^\s/]+/", body).group(0)
    page.goto(confirm_path)
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator(".account-menu")).to_contain_text("grace")

    page.locator("[data-test=logout]").click()
    expect(page.locator(".account-menu")).to_contain_text("Sign in")

    page.get_by_role("link", name="Sign in").click()
    page.locator("#id_login").fill("grace@example.org")
    page.locator("#id_password").fill("uefi-and-grub-2026")
    screenshot(page, "sign-in")
    page.get_by_role("button", name="Sign In").click()
    expect(page.locator(".account-menu")).to_contain_text("grace")

    page.get_by_role("link", name="grace").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("grace")
    screenshot(page, "profile")

    page.locator("[data-test=language-zh-hans]").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.locator(".site-nav")).to_contain_text("下载")
    screenshot(page, "home-zh-hans")

    page.locator("[data-test=logout]").click()
    expect(page.locator(".account-menu")).to_contain_text("登录")
