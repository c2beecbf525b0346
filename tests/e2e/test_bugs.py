"""From the D02 board page, "Report a bug" files a bug on the latest release with a log
attached; a triager confirms and assigns it; the reporter sees the change in the notification
centre and in the mail the worker sent."""

from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils.functional import empty
from playwright.sync_api import expect

from bugs.models import Bug, BugChange, Component, Product
from bugs.workflow import TRIAGERS
from tests.downloads.conftest import boards, incoming, make_release, storage  # noqa: F401
from tests.e2e.conftest import screenshot, sign_in

pytestmark = pytest.mark.worker

LOG = b"[    0.000000] Booting Linux on physical CPU 0x0\n[    2.104000] hns: eth0 link down\n"


@pytest.fixture
def people(transactional_db):
    made = {}
    for name in ("rita", "tom", "alan"):
        user = get_user_model().objects.create_user(name, f"{name}@example.org", f"{name}-Pw-2026!")
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
        made[name] = user
    made["tom"].groups.add(Group.objects.get_or_create(name=TRIAGERS)[0])
    return made


@pytest.fixture
def tracker(transactional_db, settings, tmp_path, boards, make_release):  # noqa: F811
    from bugs.models import attachment_storage

    settings.BUGS_ATTACHMENT_ROOT = tmp_path / "bug-attachments"
    attachment_storage._wrapped = empty
    make_release("3.0", {"d02/Image": b"old"})
    make_release("3.1", {"d02/Image": b"new"})
    product = Product.objects.create(name="Kernel", slug="kernel")
    return Component.objects.create(product=product, name="Drivers", slug="drivers")


def sign_out(page) -> None:
    page.click('[data-test="logout"]')
    page.wait_for_selector("a[href^='/accounts/login/']")


def test_report_triage_and_hear_about_it(page, celery_worker, people, tracker, tmp_path):
    celery_worker.clear_mail()
    log = tmp_path / "dmesg.log"
    log.write_bytes(LOG)

    sign_in(page, "rita", "rita-Pw-2026!")
    page.goto("/downloads/d02/")
    page.get_by_role("link", name="Report a bug").first.click()
    expect(page.locator("#id_board")).to_have_value("d02")
    expect(page.locator("#id_release")).to_have_value("3.1")
    page.select_option("#id_component", label="Drivers")
    page.fill("#id_summary", "eth0 link goes down under iperf3 load")
    page.fill("#id_steps", "1. boot 3.1\n2. `iperf3 -c server -P 8`")
    page.fill("#id_expected", "The link stays up.")
    page.fill("#id_actual", "hns reports link down after a minute.")
    page.set_input_files("#id_attachment", str(log))
    screenshot(page, "bugs-new-1280")
    page.click('[data-test="file-bug"]')
    expect(page.locator('[data-test="bug-status"]')).to_have_text("unconfirmed")
    bug = Bug.objects.get()
    assert (bug.board.slug, bug.release.version, bug.reporter.username) == ("d02", "3.1", "rita")
    page.get_by_role("link", name="dmesg.log").first.click()
    expect(page.locator('[data-test="log-text"]')).to_contain_text("hns: eth0 link down")
    page.go_back()
    sign_out(page)

    sign_in(page, "tom", "tom-Pw-2026!")
    page.goto(bug.get_absolute_url())
    edit = page.locator('[data-test="edit-form"]')
    edit.locator("#id_assignee").fill("alan")
    edit.locator("button[type=submit]").click()
    expect(page.locator('[data-test="bug-assignee"]')).to_contain_text("alan")
    status = page.locator('[data-test="status-form"]')
    status.locator("#id_status").select_option("CONFIRMED")
    status.locator("#id_comment").fill("Reproduced on our D02.")
    status.locator("button[type=submit]").click()
    expect(page.locator('[data-test="bug-status"]')).to_have_text("confirmed")
    screenshot(page, "bugs-detail-1280")
    page.set_viewport_size({"width": 375, "height": 800})
    page.reload()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    screenshot(page, "bugs-detail-375")
    page.goto("/bugs/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    screenshot(page, "bugs-list-375")
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_out(page)
    fields = set(
        BugChange.objects.filter(bug=bug, actor=people["tom"]).values_list("field", flat=True)
    )
    assert {"assignee", "status"} <= fields

    sign_in(page, "rita", "rita-Pw-2026!")
    expect(page.locator('[data-test="unread-count"]')).to_be_visible()
    page.click('[data-test="notifications"]')
    expect(page.locator("main")).to_contain_text("tom changed")
    mail = celery_worker.wait_for_mail(to="rita@example.org")
    for _attempt in range(50):
        found = [
            m
            for m in celery_worker.sent_mail()
            if "rita@example.org" in str(m["To"]) and "CONFIRMED" in m.get_body().get_content()
        ]
        if found:
            mail = found[-1]
            break
        page.wait_for_timeout(200)
    body = mail.get_body(preferencelist=("plain",)).get_content()
    assert "tom changed" in mail["Subject"] and "eth0 link goes down" in mail["Subject"]
    assert "status: UNCONFIRMED → CONFIRMED" in body
    assert re.search(r"/notifications/unsubscribe/\S+/", body)
    assert mail["List-Unsubscribe"]


def test_api_docs_page_runs_from_our_own_static_files(page, transactional_db):
    foreign = []
    # The live server answers on localhost: anything else would be a CDN.
    page.on(
        "request",
        lambda request: (
            None
            if request.url.startswith(("http://localhost", "data:"))
            else foreign.append(request.url)
        ),
    )
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto("/api/v1/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Estuary API")
    expect(page.locator(".swagger-ui").get_by_text("/api/v1/bugs/").first).to_be_visible()
    assert foreign == [] and errors == []
    screenshot(page, "api-docs-1280")
