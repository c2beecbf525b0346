"""What the lab adds to the catalogue's pages: the board's latest Caliper results, and on a
release page how it compares with the previous release on each board that has runs of both."""

from __future__ import annotations

from django.http import HttpRequest

from downloads import querysets as catalogue
from downloads.caching import generation as catalogue_generation
from lab import querysets as q
from lab.caching import CALIPER
from lab.comparison import compare_median_groups

LATEST_RUNS = 5


def board_panel(request: HttpRequest, slug: str) -> dict | None:
    """The board's newest runs; one query (the downloads page keeps its query budget)."""
    runs = list(q.visible_runs(request.user).filter(board__slug=slug)[:LATEST_RUNS])
    if not runs:
        return None
    return {"board": runs[0].board, "runs": runs}


def release_panel(request: HttpRequest, version: str) -> dict | None:
    """Per board with runs of both, this release's medians against the previous release's.

    One query when the release has no runs (most pages); else four, however many boards."""
    runs = list(q.visible_runs(request.user).filter(release__version=version))
    if not runs:
        return None
    release = runs[0].release
    previous = q.previous_release(release)
    if previous is None:
        return None
    boards = {run.board_id: run.board for run in runs}
    before: dict[int, list[int]] = {}
    for pk, board_id in (
        q.visible_runs(request.user)
        .filter(release=previous, board_id__in=list(boards))
        .values_list("pk", "board_id")
    ):
        before.setdefault(board_id, []).append(pk)
    groups = {
        board_id: (before[board_id], [run.pk for run in runs if run.board_id == board_id])
        for board_id in boards
        if board_id in before
    }
    if not groups:
        return None
    comparisons = compare_median_groups(groups, source="score")
    rows = [
        {"board": boards[board_id], "comparison": comparison}
        for board_id, comparison in comparisons.items()
    ]
    rows.sort(key=lambda row: (row["board"].order, row["board"].name))
    return {"release": release, "previous": previous, "rows": rows}


def panel_version(request: HttpRequest, key: str) -> object | None:
    # Drafts' runs are seen by release managers only: they get the panel fresh. A release
    # published or withdrawn changes the catalogue's generation, a run the lab's.
    if catalogue.is_release_manager(request.user):
        return None
    return f"{CALIPER.current()}:{catalogue_generation()}"
