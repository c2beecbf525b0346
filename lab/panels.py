"""What the lab adds to the catalogue's pages: the board's latest Caliper results, and on a
release page how it compares with the previous release on each board that has runs of both."""

from __future__ import annotations

from django.http import HttpRequest

from downloads import querysets as catalogue
from downloads.caching import generation as catalogue_generation
from lab import querysets as q
from lab.caching import CALIPER
from lab.comparison import compare_medians

LATEST_RUNS = 5


def board_panel(request: HttpRequest, slug: str) -> dict | None:
    board = catalogue.boards().filter(slug=slug).first()
    if board is None:
        return None
    runs = list(q.runs_for_board(board, request.user)[:LATEST_RUNS])
    if not runs:
        return None
    return {"board": board, "runs": runs}


def release_panel(request: HttpRequest, version: str) -> dict | None:
    release = catalogue.visible_releases(request.user).filter(version=version).first()
    if release is None:
        return None
    previous = q.previous_release(release)
    if previous is None:
        return None
    # One query for the runs of both releases, one for all their scores.
    runs = q.visible_runs(request.user).filter(release__in=[release, previous])
    by_board: dict[int, dict[int, list[int]]] = {}
    boards = {}
    for run in runs:
        boards[run.board_id] = run.board
        by_board.setdefault(run.board_id, {release.pk: [], previous.pk: []})[run.release_id].append(
            run.pk
        )
    rows = []
    for board_id, found in by_board.items():
        if not found[release.pk] or not found[previous.pk]:
            continue
        comparison = compare_medians(found[previous.pk], found[release.pk], source="score")
        rows.append({"board": boards[board_id], "comparison": comparison})
    if not rows:
        return None
    rows.sort(key=lambda row: (row["board"].order, row["board"].name))
    return {"release": release, "previous": previous, "rows": rows}


def panel_version(request: HttpRequest, key: str) -> object | None:
    # Drafts' runs are seen by release managers only: they get the panel fresh. A release
    # published or withdrawn changes the catalogue's generation, a run the lab's.
    if catalogue.is_release_manager(request.user):
        return None
    return f"{CALIPER.current()}:{catalogue_generation()}"


def home_block(request: HttpRequest) -> dict:
    """The home page's lab block: the newest public Caliper runs."""
    return {"runs": list(q.public_runs()[:3])}


def home_version(request: HttpRequest) -> object:
    return f"{CALIPER.current()}:{catalogue_generation()}"
