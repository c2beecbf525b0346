"""The benches share one database: the catalogue one of them makes leaves the others' alone."""

import pytest

from bench.bench_downloads import catalogue
from downloads.models import Artifact, Board

pytestmark = pytest.mark.django_db


def test_the_bench_catalogue_leaves_the_bug_benchs_boards_alone(file_bug):
    # The bug bench's boards are "bench-…" too, and its bugs protect them from deletion.
    tracked = Board.objects.create(slug="bench-bugs-1", name="Bench 1")
    bug = file_bug(board=tracked)

    catalogue(boards=2, releases=2, files=2)
    catalogue(boards=3, releases=2, files=2)  # another size: made anew

    ours = Artifact.objects.filter(board__slug__regex=r"^bench-[0-9]+$")
    assert ours.count() == 3 * 2 * 2
    assert Board.objects.filter(slug__regex=r"^bench-[0-9]+$").count() == 3
    bug.refresh_from_db()
    assert bug.board == tracked
