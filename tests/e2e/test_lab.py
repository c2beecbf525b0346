"""The Open Lab and Caliper in a browser: book a board, see its access notes during the slot
only, extend it, release it early; upload two Caliper runs and open their comparison."""

from __future__ import annotations

import datetime

import pytest
from allauth.account.models import EmailAddress
from django.utils import timezone
from playwright.sync_api import expect

from lab.models import CaliperRun, LabBoard, Reservation
from tests.e2e.conftest import screenshot, sign_in
from tests.lab.conftest import DATA, MACHINE, make_published, make_user

NOTES = "Console: ssh lab@console-7 port 2001"


@pytest.fixture
def lab(transactional_db):
    from downloads.models import Board

    d05 = Board.objects.create(slug="d05", name="D05", soc="Hi1616", arch="arm64")
    make_published("3.0", d05, days_ago=60)
    make_published("3.1", d05, days_ago=5)
    lab_board = LabBoard.objects.create(
        board=d05, name="D05 lab #1", slug="d05-lab-1", access_notes=NOTES
    )
    alice = make_user("alice")
    EmailAddress.objects.create(user=alice, email=alice.email, verified=True, primary=True)
    return lab_board


def no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_book_extend_release_then_compare_two_runs(page, lab):
    sign_in(page, "alice", "alice-pw-2026!")
    page.goto(lab.get_absolute_url())
    expect(page.locator('[data-test="access-notes"]')).to_have_count(0)

    # Book from this minute for an hour: the slot is running, the notes appear.
    start = timezone.localtime().replace(second=0, microsecond=0)
    page.fill("input[name=starts_at]", start.strftime("%Y-%m-%dT%H:%M"))
    page.fill(
        "input[name=ends_at]", (start + datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    )
    page.click('[data-test="book"]')
    expect(page.locator('[data-test="access-notes"]')).to_have_text(NOTES)
    screenshot(page, "lab-board-holding-1280")
    reservation = Reservation.objects.get()

    # Extend by an hour: nobody is next.
    page.select_option("#id_minutes", "60")
    page.click('[data-test="extend"]')
    expect(page.locator(".messages")).to_contain_text("Your slot now ends at")
    reservation.refresh_from_db()
    assert reservation.ends_at == start + datetime.timedelta(hours=2)

    page.set_viewport_size({"width": 375, "height": 800})
    page.reload()
    no_sideways_scroll(page)
    screenshot(page, "lab-board-holding-375")
    page.goto("/lab/calendar/")
    no_sideways_scroll(page)
    screenshot(page, "lab-calendar-375")
    page.goto("/lab/reservations/")
    no_sideways_scroll(page)
    page.set_viewport_size({"width": 1280, "height": 900})

    # Release early: the notes are gone at once.
    page.goto(lab.get_absolute_url())
    page.click('[data-test="release"]')
    expect(page.locator(".messages")).to_contain_text("You gave D05 lab #1 back.")
    expect(page.locator('[data-test="access-notes"]')).to_have_count(0)
    assert NOTES not in page.content()
    reservation.refresh_from_db()
    assert reservation.released_at is not None

    # Upload two runs, then compare them.
    for host, version in [("d05-01", "3.0"), ("d05-02", "3.1")]:
        page.goto("/lab/caliper/upload/")
        page.select_option("select[name=board]", label="D05")
        page.select_option("select[name=release]", label=version)
        for field in ("cpu", "memory", "kernel", "distribution", "compiler"):
            page.fill(f"input[name={field}]", getattr(MACHINE, field))
        page.set_input_files("input[name=raw]", str(DATA / f"{host}.yaml"))
        page.set_input_files("input[name=score]", str(DATA / f"{host}_score.yaml"))
        page.set_input_files("input[name=post]", str(DATA / f"{host}_score_post.yaml"))
        page.click('[data-test="upload"]')
        expect(page.locator("h1")).to_contain_text(f"on {host}")
    assert CaliperRun.objects.count() == 2
    page.goto("/lab/caliper/board/d05/")
    page.click('[data-test="compare-runs"]')
    expect(page.locator('[data-test="summary"]')).to_contain_text("failed cases")
    first_case = page.locator('[data-test="comparison"] tbody tr').first
    expect(first_case).to_contain_text("whetstone")
    expect(first_case).to_contain_text("failed")
    assert page.locator("figure.lab-chart svg rect").count() >= 3
    screenshot(page, "lab-compare-1280")
    permalink = page.url
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(permalink)
    no_sideways_scroll(page)
    screenshot(page, "lab-compare-375")
