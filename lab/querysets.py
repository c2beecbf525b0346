"""Reads of the lab: every page, task and mail asks here who may see what.

Access notes leave the database only through `access_notes_for`, which answers for the person
holding the board at this moment and for no one else.
"""

from __future__ import annotations

import datetime

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone

from downloads import querysets as catalogue
from downloads.models import Board, Release
from lab.models import CaliperRun, CaliperScore, LabBoard, Reservation
from portal.users import group_names

MODERATORS = "moderators"


def is_lab_moderator(user: AbstractBaseUser | AnonymousUser) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return MODERATORS in group_names(user)


# --- Caliper -----------------------------------------------------------------------------------


def visible_runs(user: AbstractBaseUser | AnonymousUser) -> QuerySet[CaliperRun]:
    """Runs of releases the user may open (drafts only for release managers)."""
    return (
        CaliperRun.objects.filter(release__in=catalogue.visible_releases(user).values("pk"))
        .select_related("board", "release", "uploaded_by")
        # The uploaded files are read only when someone asks for one.
        .defer("host_yaml", "score_yaml", "score_post_yaml")
    )


def runs_for_board(board: Board, user: AbstractBaseUser | AnonymousUser) -> QuerySet[CaliperRun]:
    return visible_runs(user).filter(board=board)


def runs_for_release(
    release: Release, user: AbstractBaseUser | AnonymousUser
) -> QuerySet[CaliperRun]:
    return visible_runs(user).filter(release=release).order_by("board__order", "-created_at")


def public_runs() -> QuerySet[CaliperRun]:
    """Runs anyone may see: what cached panels show."""
    return visible_runs(AnonymousUser())


def scores(run: CaliperRun, source: str) -> QuerySet[CaliperScore]:
    return CaliperScore.objects.filter(run=run, source=source)


def score_values(run_ids: list[int], source: str) -> QuerySet:
    return CaliperScore.objects.filter(run_id__in=run_ids, source=source).values_list(
        "run_id", "item", "sub_item", "point", "case", "value"
    )


def boards_with_runs() -> QuerySet[Board]:
    return (
        catalogue.boards()
        .filter(caliper_runs__release__status=Release.Status.PUBLISHED)
        .annotate(run_count=Count("caliper_runs"), last_run=Max("caliper_runs__created_at"))
        .order_by("order", "name")
    )


def releases_with_runs(board: Board) -> QuerySet[Release]:
    """Published releases with runs on the board, newest first."""
    return (
        catalogue.published_releases()
        .filter(caliper_runs__board=board)
        .annotate(run_count=Count("caliper_runs"))
        .order_by("-published_at", "-created_at")
    )


def previous_release(release: Release) -> Release | None:
    """The published release before this one (by publication), pre-releases left out."""
    if release.published_at is None:
        return None
    return (
        catalogue.published_releases()
        .filter(is_prerelease=False, published_at__lt=release.published_at)
        .order_by("-published_at")
        .first()
    )


# --- Open Lab ----------------------------------------------------------------------------------


def lab_boards() -> QuerySet[LabBoard]:
    return LabBoard.objects.select_related("board")


def listed_lab_boards() -> QuerySet[LabBoard]:
    """Boards shown on the lab's pages: retired ones are kept for history, not listed."""
    return lab_boards().exclude(health=LabBoard.Health.RETIRED)


def live_reservations() -> QuerySet[Reservation]:
    """Reservations on the calendar: not cancelled."""
    return Reservation.objects.filter(cancelled_at__isnull=True)


def open_reservations() -> QuerySet[Reservation]:
    """Not cancelled, not released, not over: what counts against a person's limit."""
    return live_reservations().filter(released_at__isnull=True, ends_at__gt=timezone.now())


def holding_q(now: datetime.datetime) -> Q:
    return Q(
        cancelled_at__isnull=True,
        released_at__isnull=True,
        starts_at__lte=now,
        ends_at__gt=now,
    )


def current_reservation(
    lab_board: LabBoard, *, now: datetime.datetime | None = None
) -> Reservation | None:
    now = now or timezone.now()
    return (
        Reservation.objects.filter(holding_q(now), lab_board=lab_board)
        .select_related("user")
        .first()
    )


def held_by(
    user: AbstractBaseUser | AnonymousUser, *, now: datetime.datetime | None = None
) -> QuerySet[Reservation]:
    """The slots the user holds at this moment (on boards in good health)."""
    if not user.is_authenticated:
        return Reservation.objects.none()
    now = now or timezone.now()
    return Reservation.objects.filter(
        holding_q(now), user=user, lab_board__health=LabBoard.Health.GOOD
    ).select_related("lab_board")


def access_notes_for(
    lab_board: LabBoard,
    user: AbstractBaseUser | AnonymousUser,
    *,
    now: datetime.datetime | None = None,
) -> str | None:
    """The board's access notes if `user` holds it right now, else None (for everyone else,
    moderators included: they read them in the admin)."""
    if not user.is_authenticated or lab_board.health != LabBoard.Health.GOOD:
        return None
    if not held_by(user, now=now).filter(lab_board=lab_board).exists():
        return None
    return lab_board.access_notes


def reservations_between(
    start: datetime.datetime, end: datetime.datetime, *, lab_board: LabBoard | None = None
) -> QuerySet[Reservation]:
    queryset = live_reservations().filter(starts_at__lt=end, ends_at__gt=start)
    if lab_board is not None:
        queryset = queryset.filter(lab_board=lab_board)
    return queryset.select_related("lab_board", "user").order_by("starts_at", "lab_board__order")


def reservations_of(user: AbstractBaseUser) -> QuerySet[Reservation]:
    return Reservation.objects.filter(user=user).select_related("lab_board", "lab_board__board")


def next_reservation_after(reservation: Reservation) -> Reservation | None:
    return (
        live_reservations()
        .filter(lab_board_id=reservation.lab_board_id, starts_at__gte=reservation.ends_at)
        .exclude(pk=reservation.pk)
        .order_by("starts_at")
        .first()
    )
