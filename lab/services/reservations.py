"""The Open Lab's reservations: book, extend, release, and what beat does at a slot's end.

Overlaps are refused by the database on PostgreSQL (the exclusion constraint in lab/models.py):
the check here only gives the person a clear message first, and a booking that races past it
still meets the constraint and gets the same LabError. On SQLite, whose transactions here begin
IMMEDIATE (portal/settings.py), the whole check-then-write holds the database's write lock, so
the check is the rule.

A person's bookings are serialized by locking their user row, so two tabs cannot both take the
last slot their limit allows.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, OperationalError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from psycopg2.errorcodes import DEADLOCK_DETECTED

from lab import querysets as q
from lab.errors import LabError
from lab.models import LabBoard, Reservation
from portal import notifications
from portal.outbox import send_on_commit
from portal.tasks import send_email

# A start a little in the past (the minutes the form took to fill in) is still accepted.
START_GRACE = datetime.timedelta(minutes=5)


def _when(moment: datetime.datetime) -> str:
    return date_format(timezone.localtime(moment), "Y-m-d H:i")


def _max_slot() -> datetime.timedelta:
    return datetime.timedelta(hours=settings.LAB_MAX_SLOT_HOURS)


def _check_overlap(
    *, lab_board: LabBoard, starts_at: datetime.datetime, ends_at: datetime.datetime, exclude=None
) -> None:
    clash = q.reservations_between(starts_at, ends_at, lab_board=lab_board)
    if exclude is not None:
        clash = clash.exclude(pk=exclude.pk)
    first = clash.first()
    if first is not None:
        raise LabError(
            _("%(board)s is booked from %(start)s to %(end)s")
            % {
                "board": lab_board.name,
                "start": _when(first.starts_at),
                "end": _when(first.ends_at),
            }
        )


def _save_refused_on_overlap(reservation: Reservation, *, update_fields=None) -> None:
    """Write the row; the exclusion constraint's refusal becomes a LabError."""
    taken = LabError(
        _("%(board)s was booked for that time a moment ago") % {"board": reservation.lab_board.name}
    )
    try:
        with transaction.atomic():
            reservation.save(update_fields=update_fields)
    except IntegrityError as exc:
        if "reservation_no_overlap" in str(exc):
            raise taken from exc
        raise
    except OperationalError as exc:
        # Two overlapping rows written at the same moment wait on each other in the exclusion
        # check, and PostgreSQL ends one of them as a deadlock: the same refusal, not a 500.
        if getattr(exc.__cause__, "pgcode", None) == DEADLOCK_DETECTED:
            raise taken from exc
        raise


@transaction.atomic
def book(
    *,
    lab_board: LabBoard,
    user: AbstractBaseUser,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    now: datetime.datetime | None = None,
) -> Reservation:
    """Reserve the board for [starts_at, ends_at), within the person's limits, or LabError."""
    now = now or timezone.now()
    if not user.is_authenticated or not user.is_active:
        raise LabError(_("sign in to book a board"))
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()
    lab_board = LabBoard.objects.get(pk=lab_board.pk)
    if not lab_board.bookable:
        raise LabError(
            _("%(board)s cannot be booked: its health is %(health)s")
            % {"board": lab_board.name, "health": lab_board.get_health_display()}
        )
    if starts_at < now - START_GRACE:
        raise LabError(_("a slot cannot start in the past"))
    if ends_at <= starts_at:
        raise LabError(_("a slot ends after it starts"))
    if ends_at - starts_at > _max_slot():
        raise LabError(
            _("a slot is at most %(hours)d hours") % {"hours": settings.LAB_MAX_SLOT_HOURS}
        )
    if starts_at > now + datetime.timedelta(days=settings.LAB_BOOKING_DAYS_AHEAD):
        raise LabError(
            _("slots open at most %(days)d days ahead") % {"days": settings.LAB_BOOKING_DAYS_AHEAD}
        )
    open_slots = q.open_reservations().filter(user=user).count()
    if open_slots >= settings.LAB_MAX_OPEN_SLOTS:
        raise LabError(
            _("you hold %(count)d slots already, the most one person may have open at once")
            % {"count": open_slots}
        )
    _check_overlap(lab_board=lab_board, starts_at=starts_at, ends_at=ends_at)
    reservation = Reservation(lab_board=lab_board, user=user, starts_at=starts_at, ends_at=ends_at)
    _save_refused_on_overlap(reservation)
    return reservation


def _own_open(
    reservation: Reservation, user: AbstractBaseUser, now: datetime.datetime
) -> Reservation:
    reservation = (
        Reservation.objects.select_for_update().select_related("lab_board").get(pk=reservation.pk)
    )
    if reservation.user_id != user.pk:
        raise LabError(_("this reservation is someone else's"))
    if reservation.cancelled_at is not None:
        raise LabError(_("this reservation was cancelled"))
    if reservation.released_at is not None or reservation.ends_at <= now:
        raise LabError(_("this reservation is over"))
    return reservation


@transaction.atomic
def extend(
    *,
    reservation: Reservation,
    user: AbstractBaseUser,
    ends_at: datetime.datetime,
    now: datetime.datetime | None = None,
) -> Reservation:
    """Move the end of one's slot later, if nobody has the board next and the slot stays within
    the longest allowed."""
    now = now or timezone.now()
    reservation = _own_open(reservation, user, now)
    if not reservation.lab_board.bookable:
        raise LabError(_("%(board)s is not in good health") % {"board": reservation.lab_board.name})
    if ends_at <= reservation.ends_at:
        raise LabError(_("an extension ends later than the slot"))
    if ends_at - reservation.starts_at > _max_slot():
        raise LabError(
            _("a slot is at most %(hours)d hours") % {"hours": settings.LAB_MAX_SLOT_HOURS}
        )
    following = q.next_reservation_after(reservation)
    if following is not None and following.starts_at < ends_at:
        raise LabError(
            _("someone has %(board)s next, from %(start)s")
            % {"board": reservation.lab_board.name, "start": _when(following.starts_at)}
        )
    reservation.ends_at = ends_at
    reservation.reminded_at = None
    _save_refused_on_overlap(reservation, update_fields=["ends_at", "reminded_at"])
    return reservation


@transaction.atomic
def release(
    *, reservation: Reservation, user: AbstractBaseUser, now: datetime.datetime | None = None
) -> Reservation:
    """Give the board back now: a running slot ends here, a future one leaves the calendar."""
    now = now or timezone.now()
    reservation = _own_open(reservation, user, now)
    if reservation.starts_at > now:
        reservation.cancelled_at = now
        reservation.save(update_fields=["cancelled_at"])
    else:
        reservation.ends_at = max(now, reservation.starts_at + datetime.timedelta(seconds=1))
        reservation.released_at = now
        reservation.save(update_fields=["ends_at", "released_at"])
    return reservation


@transaction.atomic
def set_health(
    *,
    lab_board: LabBoard,
    health: str,
    note: str = "",
    user: AbstractBaseUser,
    now: datetime.datetime | None = None,
) -> list[Reservation]:
    """A moderator's verdict on a board. Out of good health (maintenance, bad, retired), its
    slots from now on are cancelled and each holder gets a notice; returns those slots."""
    now = now or timezone.now()
    if not q.is_lab_moderator(user):
        raise LabError(_("only moderators change a board's health"))
    if health not in LabBoard.Health.values:
        raise LabError(_("unknown health %(health)s") % {"health": health})
    lab_board = LabBoard.objects.select_for_update().get(pk=lab_board.pk)
    lab_board.health = health
    lab_board.health_note = " ".join(note.split())[:300]
    lab_board.save(update_fields=["health", "health_note"])
    if health == LabBoard.Health.GOOD:
        return []
    affected = list(
        q.live_reservations()
        .select_for_update()
        .filter(lab_board=lab_board, released_at__isnull=True, ends_at__gt=now)
        .select_related("user")
    )
    for reservation in affected:
        if reservation.starts_at > now:
            reservation.cancelled_at = now
            reservation.save(update_fields=["cancelled_at"])
        else:  # the running slot ends now: the board is no longer in a state to be used
            reservation.ends_at = now
            reservation.released_at = now
            reservation.save(update_fields=["ends_at", "released_at"])
        with translation.override(settings.LANGUAGE_CODE):
            excerpt = _(
                "%(board)s is now in %(health)s. Your slot from %(start)s to %(end)s was "
                "cancelled. %(note)s"
            ) % {
                "board": lab_board.name,
                "health": lab_board.get_health_display(),
                "start": _when(reservation.starts_at),
                "end": _when(reservation.ends_at),
                "note": lab_board.health_note,
            }
            title = _("your reservation of %(board)s") % {"board": lab_board.name}
        notifications.notify(
            recipients=[reservation.user],
            actor=user,
            verb="lab_cancelled",
            target=lab_board,
            url=reverse("lab:my_reservations"),
            title=title,
            excerpt=excerpt.strip(),
        )
    return affected


@transaction.atomic
def release_ended(*, now: datetime.datetime | None = None) -> list[int]:
    """Close every slot whose time is up (beat runs it each minute); returns their ids."""
    now = now or timezone.now()
    ended = list(
        q.live_reservations()
        .select_for_update(skip_locked=True)
        .filter(released_at__isnull=True, ends_at__lte=now)
        .values_list("pk", flat=True)
    )
    for pk in ended:
        Reservation.objects.filter(pk=pk).update(released_at=now)
    return ended


@transaction.atomic
def send_reminders(*, now: datetime.datetime | None = None) -> list[int]:
    """Mail each holder whose slot ends within LAB_REMINDER_MINUTES, once per end time."""
    now = now or timezone.now()
    soon = now + datetime.timedelta(minutes=settings.LAB_REMINDER_MINUTES)
    due = list(
        Reservation.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(
            q.holding_q(now),
            reminded_at__isnull=True,
            ends_at__lte=soon,
            lab_board__health=LabBoard.Health.GOOD,
        )
        .select_related("lab_board", "user")
    )
    for reservation in due:
        reservation.reminded_at = now
        reservation.save(update_fields=["reminded_at"])
        if not reservation.user.email:
            continue
        url = settings.SITE_URL.rstrip("/") + reverse("lab:my_reservations")
        with translation.override(settings.LANGUAGE_CODE):
            subject = _("Your slot on %(board)s ends at %(end)s") % {
                "board": reservation.lab_board.name,
                "end": _when(reservation.ends_at),
            }
            body = "\n".join(
                [
                    _("Hello %(name)s,") % {"name": reservation.user.get_username()},
                    "",
                    subject + ".",
                    _("Extend it, if nobody is next, or release it here:"),
                    url,
                ]
            )
        send_on_commit(
            send_email, subject=f"[Estuary] {subject}", body=body, to=[reservation.user.email]
        )
    return [reservation.pk for reservation in due]
