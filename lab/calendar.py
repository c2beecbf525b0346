"""The week the calendar shows: seven days from a Monday, and each day's slots cut to it."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.utils import timezone

from lab.models import Reservation


@dataclass
class Slot:
    reservation: Reservation
    starts: datetime.datetime
    ends: datetime.datetime


@dataclass
class Day:
    date: datetime.date
    today: bool
    slots: list[Slot] = field(default_factory=list)


@dataclass
class Week:
    monday: datetime.date
    days: list[Day]

    @property
    def start(self) -> datetime.datetime:
        return _midnight(self.monday)

    @property
    def end(self) -> datetime.datetime:
        return _midnight(self.monday + datetime.timedelta(days=7))

    @property
    def previous(self) -> datetime.date:
        return self.monday - datetime.timedelta(days=7)

    @property
    def next(self) -> datetime.date:
        return self.monday + datetime.timedelta(days=7)

    @property
    def sunday(self) -> datetime.date:
        return self.monday + datetime.timedelta(days=6)


def _midnight(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time()))


def week_of(value: str | None) -> Week:
    """The week holding the date `value` (YYYY-MM-DD), this week when it is missing or wrong."""
    today = timezone.localdate()
    try:
        day = datetime.date.fromisoformat(value) if value else today
    except ValueError:
        day = today
    day = min(max(day, today - datetime.timedelta(days=366)), today + datetime.timedelta(days=366))
    monday = day - datetime.timedelta(days=day.weekday())
    days = [Day(date=monday + datetime.timedelta(days=i), today=False) for i in range(7)]
    for entry in days:
        entry.today = entry.date == today
    return Week(monday=monday, days=days)


def fill(week: Week, reservations: list[Reservation]) -> Week:
    for day in week.days:
        start = _midnight(day.date)
        end = start + datetime.timedelta(days=1)
        for reservation in reservations:
            if reservation.starts_at < end and reservation.ends_at > start:
                day.slots.append(
                    Slot(
                        reservation=reservation,
                        starts=max(reservation.starts_at, start),
                        ends=min(reservation.ends_at, end),
                    )
                )
    return week
