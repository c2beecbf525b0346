"""Reports as SVG drawn on the server: counts come from visible_to(user), so a security bug is
not even a number for people who may not see it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count
from django.db.models.functions import TruncWeek
from django.utils import timezone

from bugs import querysets as q
from bugs.models import OPEN_STATUSES, Status

WEEKS = 12
CHART_WIDTH, CHART_HEIGHT, LABEL_WIDTH = 640, 220, 90
COLOURS = {
    Status.UNCONFIRMED: "#9a6700",
    Status.CONFIRMED: "#0969da",
    Status.IN_PROGRESS: "#8250df",
    Status.REOPENED: "#cf222e",
}


def _bars(rows: list[tuple[str, list[tuple[str, int, str]]]]) -> dict[str, Any]:
    """Horizontal stacked bars: rows of (label, [(segment name, value, colour)])."""
    biggest = max((sum(v for _n, v, _c in segs) for _label, segs in rows), default=0) or 1
    bar_height, gap = 22, 8
    scale = (CHART_WIDTH - LABEL_WIDTH - 50) / biggest
    drawn = []
    for index, (label, segments) in enumerate(rows):
        y = index * (bar_height + gap)
        x = LABEL_WIDTH
        parts = []
        for name, value, colour in segments:
            width = value * scale
            if value:
                parts.append(
                    {
                        "x": round(x, 1),
                        "width": round(width, 1),
                        "colour": colour,
                        "title": f"{label}: {name} {value}",
                    }
                )
            x += width
        drawn.append(
            {
                "label": label,
                "y": y,
                "text_y": y + 15,
                "parts": parts,
                "total": sum(v for _n, v, _c in segments),
                "total_x": round(x + 6, 1),
            }
        )
    return {
        "rows": drawn,
        "height": max(len(rows), 1) * (bar_height + gap),
        "width": CHART_WIDTH,
        "bar_height": bar_height,
    }


def by_board_and_status(user: AbstractBaseUser | AnonymousUser | None) -> dict[str, Any]:
    counts = (
        q.open_bugs(user)
        .values_list("board__slug", "status")
        .annotate(n=Count("id"))
        .order_by("board__slug")
    )
    table: dict[str, dict[str, int]] = {}
    for board, status, n in counts:
        table.setdefault(board or "—", {})[status] = n
    rows = [
        (board, [(Status(s).label, per.get(s, 0), COLOURS[s]) for s in OPEN_STATUSES])
        for board, per in sorted(table.items())
    ]
    return {
        "chart": _bars(rows),
        "statuses": [(s, Status(s).label, COLOURS[s]) for s in OPEN_STATUSES],
        "table": [
            (board, [per.get(s, 0) for s in OPEN_STATUSES]) for board, per in sorted(table.items())
        ],
    }


def by_release(user: AbstractBaseUser | AnonymousUser | None) -> dict[str, Any]:
    counts = (
        q.open_bugs(user)
        .values_list("release__version")
        .annotate(n=Count("id"))
        .order_by("release__version")
    )
    rows = [(version or "—", [("open", n, "#0969da")]) for version, n in counts]
    return {"chart": _bars(rows), "table": [(label, segs[0][1]) for label, segs in rows]}


def opened_and_closed(user: AbstractBaseUser | AnonymousUser | None) -> dict[str, Any]:
    now = timezone.now()
    start = now - timedelta(weeks=WEEKS)
    visible = q.visible_to(user)
    opened = dict(
        visible.filter(created_at__gte=start)
        .annotate(week=TruncWeek("created_at"))
        .values_list("week")
        .annotate(n=Count("id"))
        .values_list("week", "n")
    )
    closed = dict(
        visible.filter(closed_at__gte=start)
        .annotate(week=TruncWeek("closed_at"))
        .values_list("week")
        .annotate(n=Count("id"))
        .values_list("week", "n")
    )
    first = (now - timedelta(days=now.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    weeks = [first - timedelta(weeks=i) for i in range(WEEKS - 1, -1, -1)]

    def count(table, week):
        return next((n for w, n in table.items() if w.date() == week.date()), 0)

    series = [(w, count(opened, w), count(closed, w)) for w in weeks]
    biggest = max((max(o, c) for _w, o, c in series), default=0) or 1
    plot_height = CHART_HEIGHT - 40
    column = (CHART_WIDTH - 40) / WEEKS
    columns = []
    for index, (week, o, c) in enumerate(series):
        x = 30 + index * column
        columns.append(
            {
                "label": week.strftime("%m-%d"),
                "x": round(x, 1),
                "label_x": round(x + column / 2, 1),
                "opened": o,
                "closed": c,
                "opened_height": round(o / biggest * plot_height, 1),
                "closed_height": round(c / biggest * plot_height, 1),
                "opened_y": round(plot_height - o / biggest * plot_height + 10, 1),
                "closed_y": round(plot_height - c / biggest * plot_height + 10, 1),
                "bar_width": round(column / 2 - 3, 1),
                "closed_x": round(x + column / 2, 1),
            }
        )
    return {
        "columns": columns,
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "base": plot_height + 10,
        "label_y": plot_height + 26,
    }


def report_context(user: AbstractBaseUser | AnonymousUser | None) -> dict[str, Any]:
    return {
        "boards": by_board_and_status(user),
        "releases": by_release(user),
        "weekly": opened_and_closed(user),
    }
