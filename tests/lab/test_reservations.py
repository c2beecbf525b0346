"""Reservations: the database refuses overlaps, even when two bookings race; limits, extension,
early release, maintenance; access notes only for the holder during the slot."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from lab import querysets as q
from lab.errors import LabError
from lab.models import LabBoard, Reservation
from lab.services import reservations as services
from portal.models import Notification
from tests.lab.conftest import NOTES, make_user

HOUR = datetime.timedelta(hours=1)


def at(hours: float) -> datetime.datetime:
    return timezone.now().replace(microsecond=0) + datetime.timedelta(hours=hours)


def test_overlap_is_refused_by_the_database_itself(lab_board, alice, bruno):
    Reservation.objects.create(lab_board=lab_board, user=alice, starts_at=at(1), ends_at=at(3))
    with pytest.raises(IntegrityError, match="reservation_no_overlap"), transaction.atomic():
        Reservation.objects.create(lab_board=lab_board, user=bruno, starts_at=at(2), ends_at=at(4))
    # Touching ends do not overlap ([) ranges); a cancelled slot leaves the rule.
    Reservation.objects.create(lab_board=lab_board, user=bruno, starts_at=at(3), ends_at=at(4))
    Reservation.objects.filter(user=alice).update(cancelled_at=timezone.now())
    Reservation.objects.create(lab_board=lab_board, user=bruno, starts_at=at(1), ends_at=at(2))


def test_book_checks_overlap_and_limits(settings, lab_board, alice, bruno, d05):
    settings.LAB_MAX_SLOT_HOURS = 4
    settings.LAB_MAX_OPEN_SLOTS = 2
    services.book(lab_board=lab_board, user=alice, starts_at=at(1), ends_at=at(3))
    with pytest.raises(LabError, match="D05 lab #1 is booked from"):
        services.book(lab_board=lab_board, user=bruno, starts_at=at(2), ends_at=at(4))
    with pytest.raises(LabError, match="at most 4 hours"):
        services.book(lab_board=lab_board, user=bruno, starts_at=at(5), ends_at=at(10))
    with pytest.raises(LabError, match="in the past"):
        services.book(lab_board=lab_board, user=bruno, starts_at=at(-1), ends_at=at(1))
    with pytest.raises(LabError, match="ends after it starts"):
        services.book(lab_board=lab_board, user=bruno, starts_at=at(6), ends_at=at(6))
    other = LabBoard.objects.create(board=d05, name="D05 lab #2", slug="d05-lab-2")
    services.book(lab_board=other, user=alice, starts_at=at(1), ends_at=at(2))
    with pytest.raises(LabError, match="you hold 2 slots already"):
        services.book(lab_board=other, user=alice, starts_at=at(5), ends_at=at(6))
    lab_board.health = LabBoard.Health.BAD
    lab_board.save()
    with pytest.raises(LabError, match="its health is bad"):
        services.book(lab_board=lab_board, user=bruno, starts_at=at(8), ends_at=at(9))
    assert Reservation.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_racing_bookings_only_one_wins(d05):
    """Two threads, each on its own connection, book overlapping slots at the same moment; the
    pre-check cannot see the other's uncommitted row, so the exclusion constraint decides."""
    lab_board = LabBoard.objects.create(board=d05, name="D05 lab #1", slug="d05-lab-1")
    people = [make_user("racer1"), make_user("racer2")]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []
    original = services._check_overlap

    def check_then_wait(**kwargs):
        original(**kwargs)
        barrier.wait(timeout=10)  # both have passed the friendly check: now both insert

    def attempt(user, start):
        try:
            services.book(lab_board=lab_board, user=user, starts_at=start, ends_at=start + 2 * HOUR)
            outcomes.append("booked")
        except LabError as exc:
            outcomes.append(str(exc))
        finally:
            connection.close()

    services._check_overlap = check_then_wait
    try:
        threads = [
            threading.Thread(target=attempt, args=(people[0], at(1))),
            threading.Thread(target=attempt, args=(people[1], at(2))),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    finally:
        services._check_overlap = original
    assert sorted(outcomes) == ["D05 lab #1 was booked for that time a moment ago", "booked"]
    assert Reservation.objects.count() == 1


def test_extend_only_when_nobody_is_next(settings, lab_board, alice, bruno):
    settings.LAB_MAX_SLOT_HOURS = 6
    mine = services.book(lab_board=lab_board, user=alice, starts_at=at(0), ends_at=at(2))
    services.book(lab_board=lab_board, user=bruno, starts_at=at(3), ends_at=at(4))
    mine = services.extend(reservation=mine, user=alice, ends_at=at(3))
    assert mine.ends_at == at(3)
    with pytest.raises(LabError, match="someone has D05 lab #1 next"):
        services.extend(reservation=mine, user=alice, ends_at=at(3.5))
    with pytest.raises(LabError, match="someone else's"):
        services.extend(reservation=mine, user=bruno, ends_at=at(3))


def test_release_early_frees_the_rest_of_the_slot(lab_board, alice, bruno):
    mine = services.book(lab_board=lab_board, user=alice, starts_at=at(-0.05), ends_at=at(2))
    assert q.access_notes_for(lab_board, alice) == NOTES
    services.release(reservation=mine, user=alice)
    mine.refresh_from_db()
    assert mine.released_at is not None and mine.ends_at <= timezone.now()
    assert q.access_notes_for(lab_board, alice) is None
    services.book(lab_board=lab_board, user=bruno, starts_at=at(0.1), ends_at=at(1))
    future = services.book(lab_board=lab_board, user=alice, starts_at=at(5), ends_at=at(6))
    services.release(reservation=future, user=alice)
    future.refresh_from_db()
    assert future.cancelled_at is not None


def test_maintenance_cancels_future_slots_and_tells_each_holder(lab_board, alice, bruno, moderator):
    now_slot = services.book(lab_board=lab_board, user=alice, starts_at=at(0), ends_at=at(2))
    later = services.book(lab_board=lab_board, user=bruno, starts_at=at(3), ends_at=at(4))
    with pytest.raises(LabError, match="only moderators"):
        services.set_health(lab_board=lab_board, health="maintenance", user=alice)
    affected = services.set_health(
        lab_board=lab_board, health="maintenance", note="PSU swap", user=moderator
    )
    assert {r.pk for r in affected} == {now_slot.pk, later.pk}
    later.refresh_from_db()
    assert later.cancelled_at is not None
    notices = Notification.objects.filter(recipient__in=[alice, bruno])
    assert notices.count() == 2
    assert all("D05 lab #1" in n.target_title for n in notices)
    assert q.access_notes_for(lab_board, alice) is None


def test_access_notes_only_for_the_holder_during_the_slot(
    client, lab_board, alice, bruno, moderator
):
    url = lab_board.get_absolute_url()
    future = services.book(lab_board=lab_board, user=alice, starts_at=at(1), ends_at=at(2))
    for who in (None, alice, bruno, moderator):
        client.logout()
        if who:
            client.force_login(who)
        assert "console-7" not in client.get(url).content.decode()
    services.release(reservation=future, user=alice)
    services.book(lab_board=lab_board, user=alice, starts_at=at(0), ends_at=at(1))
    client.force_login(alice)
    page = client.get(url).content.decode()
    assert "ssh lab@console-7 port 2001" in page
    for path in (reverse("lab:index"), reverse("lab:calendar"), reverse("lab:my_reservations")):
        assert "console-7" not in client.get(path).content.decode()
    for who in (bruno, moderator):
        client.force_login(who)
        for path in (url, reverse("lab:index"), reverse("lab:calendar")):
            assert "console-7" not in client.get(path).content.decode()
    client.logout()
    assert "console-7" not in client.get(url).content.decode()
    # The notes are not kept past the slot either.
    assert q.access_notes_for(lab_board, alice, now=at(1.5)) is None


def test_pages_and_their_query_counts(
    client, lab_board, alice, bruno, django_assert_max_num_queries
):
    for hours in range(0, 8, 2):
        Reservation.objects.create(
            lab_board=lab_board, user=bruno, starts_at=at(hours + 24), ends_at=at(hours + 25)
        )
    services.book(lab_board=lab_board, user=alice, starts_at=at(0), ends_at=at(1))
    client.force_login(alice)
    week = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    for path, limit in [
        (reverse("lab:index"), 8),
        (reverse("lab:calendar") + f"?week={week}", 6),
        (lab_board.get_absolute_url() + f"?week={week}", 10),
        (reverse("lab:my_reservations"), 6),
    ]:
        with django_assert_max_num_queries(limit):
            response = client.get(path)
        assert response.status_code == 200, path
    assert client.get(reverse("lab:calendar") + "?week=nonsense").status_code == 200


def test_booking_through_the_page(client, lab_board, alice):
    url = reverse("lab:book", args=[lab_board.slug])
    start = timezone.localtime(at(1))
    data = {
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start + HOUR).strftime("%Y-%m-%dT%H:%M"),
    }
    assert client.post(url, data).status_code == 302 and not Reservation.objects.exists()
    client.force_login(alice)
    response = client.post(url, data, follow=True)
    assert "Booked D05 lab #1" in response.content.decode()
    response = client.post(url, data, follow=True)
    assert "is booked from" in response.content.decode()
    response = client.post(url, {"starts_at": "soon", "ends_at": ""}, follow=True)
    assert response.status_code == 200 and Reservation.objects.count() == 1


def test_moderator_puts_board_in_maintenance_from_the_page(client, lab_board, alice, moderator):
    services.book(lab_board=lab_board, user=alice, starts_at=at(2), ends_at=at(3))
    url = reverse("lab:set_health", args=[lab_board.slug])
    client.force_login(alice)
    assert client.post(url, {"health": "maintenance"}).status_code == 403
    client.force_login(moderator)
    response = client.post(url, {"health": "maintenance", "note": "Firmware update"}, follow=True)
    assert "1 reservations were cancelled" in response.content.decode()
    lab_board.refresh_from_db()
    assert lab_board.health == "maintenance"
