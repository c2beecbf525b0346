"""Beat's lab tasks run through the real worker: slots end on their own, holders get their
reminder, and the mail carries no access notes."""

from __future__ import annotations

import datetime

import pytest
from django.conf import settings
from django.utils import timezone

from lab.models import LabBoard, Reservation
from lab.tasks import release_ended_slots, send_slot_reminders
from tests.conftest import wait_until
from tests.lab.conftest import make_user

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def lab_board(transactional_db):
    from downloads.models import Board

    board = Board.objects.create(slug="d05", name="D05", soc="Hi1616", arch="arm64")
    return LabBoard.objects.create(
        board=board, name="D05 lab #1", slug="d05-lab-1", access_notes="Console: ttyS9-secret"
    )


def test_beat_schedules_both_tasks():
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"lab.release_ended_slots", "lab.send_slot_reminders"} <= tasks


def test_slots_whose_time_is_up_are_released_by_the_worker(celery_worker, lab_board):
    alice = make_user("alice")
    now = timezone.now()
    over = Reservation.objects.create(
        lab_board=lab_board,
        user=alice,
        starts_at=now - datetime.timedelta(hours=2),
        ends_at=now - datetime.timedelta(minutes=1),
    )
    running = Reservation.objects.create(
        lab_board=lab_board,
        user=alice,
        starts_at=now - datetime.timedelta(minutes=1),
        ends_at=now + datetime.timedelta(hours=1),
    )
    release_ended_slots.delay()

    def released():
        over.refresh_from_db()
        return over.released_at

    wait_until(released)
    running.refresh_from_db()
    assert running.released_at is None


def test_the_holder_is_reminded_once_without_the_access_notes(celery_worker, lab_board):
    celery_worker.clear_mail()
    alice, bruno = make_user("alice"), make_user("bruno")
    now = timezone.now()
    ending = Reservation.objects.create(
        lab_board=lab_board,
        user=alice,
        starts_at=now - datetime.timedelta(hours=1),
        ends_at=now + datetime.timedelta(minutes=5),
    )
    Reservation.objects.create(
        lab_board=lab_board,
        user=bruno,
        starts_at=now + datetime.timedelta(minutes=5),
        ends_at=now + datetime.timedelta(hours=2),
    )
    send_slot_reminders.delay()
    mail = celery_worker.wait_for_mail(to="alice@example.org")
    body = mail.get_body(preferencelist=("plain",)).get_content()
    assert "Your slot on D05 lab #1 ends at" in mail["Subject"]
    assert "/lab/reservations/" in body
    assert "ttyS9-secret" not in body
    wait_until(lambda: Reservation.objects.filter(pk=ending.pk, reminded_at__isnull=False).exists())
    # A second round sends nothing more; bruno's slot has not begun.
    second = send_slot_reminders.delay()
    wait_until(lambda: f"[{second.id}] succeeded" in celery_worker.log())
    for message in celery_worker.sent_mail():
        assert "ttyS9-secret" not in message.as_string()
    assert [m["To"] for m in celery_worker.sent_mail()] == ["alice@example.org"]


def test_maintenance_notices_reach_each_holder_without_the_access_notes(celery_worker, lab_board):
    from lab.services.reservations import set_health

    celery_worker.clear_mail()
    alice, bruno = make_user("alice"), make_user("bruno")
    moderator = make_user("mona", moderator=True)
    now = timezone.now()
    for user, hours in ((alice, 1), (bruno, 3)):
        Reservation.objects.create(
            lab_board=lab_board,
            user=user,
            starts_at=now + datetime.timedelta(hours=hours),
            ends_at=now + datetime.timedelta(hours=hours + 1),
        )
    cancelled = set_health(
        lab_board=lab_board, health="maintenance", note="Swapping the PSU", user=moderator
    )
    assert len(cancelled) == 2
    for person in (alice, bruno):
        mail = celery_worker.wait_for_mail(to=person.email)
        body = mail.get_body(preferencelist=("plain",)).get_content()
        assert "D05 lab #1" in mail["Subject"] and "Swapping the PSU" in body
        assert "ttyS9-secret" not in mail.as_string()
    assert not any("mona@" in str(m["To"]) for m in celery_worker.sent_mail())
