"""Fixtures of the lab's tests: boards and published releases from the catalogue, Caliper files
from tests/lab/data (written after the format Caliper's own files follow), lab boards."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from downloads.models import Artifact, Board, Release
from lab.models import LabBoard
from lab.services.caliper import Machine, upload_run

DATA = Path(__file__).parent / "data"
MACHINE = Machine(
    cpu="HiSilicon Hi1616, 64 × Cortex-A72",
    memory="128 GiB DDR4",
    kernel="4.16.0-estuary",
    distribution="Ubuntu 18.04",
    compiler="gcc 7.3.0",
)
NOTES = "Host: d05-lab-1.lab.example.org\nConsole: ssh lab@console-7 port 2001"


def caliper_files(host: str) -> dict[str, tuple[str, bytes]]:
    return {
        "raw": (f"{host}.yaml", (DATA / f"{host}.yaml").read_bytes()),
        "score": (f"{host}_score.yaml", (DATA / f"{host}_score.yaml").read_bytes()),
        "post": (f"{host}_score_post.yaml", (DATA / f"{host}_score_post.yaml").read_bytes()),
    }


def make_published(version: str, board: Board, *, days_ago: int) -> Release:
    """A published release with one file for the board (the database insists on one)."""
    with transaction.atomic():
        release = Release.objects.create(
            version=version,
            status=Release.Status.PUBLISHED,
            published_at=timezone.now() - datetime.timedelta(days=days_ago),
            release_date=timezone.localdate() - datetime.timedelta(days=days_ago),
        )
        Artifact.objects.create(
            release=release,
            board=board,
            filename="Image",
            file=f"{version}/{board.slug}/Image",
            size=1,
            sha256="0" * 64,
        )
    return release


@pytest.fixture
def d05(db) -> Board:
    return Board.objects.create(slug="d05", name="D05", soc="Hi1616", arch="arm64")


@pytest.fixture
def releases(d05) -> tuple[Release, Release]:
    return make_published("3.0", d05, days_ago=60), make_published("3.1", d05, days_ago=5)


@pytest.fixture
def two_runs(d05, releases):
    old, new = releases
    return (
        upload_run(board=d05, release=old, machine=MACHINE, files=caliper_files("d05-01")),
        upload_run(board=d05, release=new, machine=MACHINE, files=caliper_files("d05-02")),
    )


@pytest.fixture
def lab_board(d05) -> LabBoard:
    return LabBoard.objects.create(
        board=d05, name="D05 lab #1", slug="d05-lab-1", access_notes=NOTES
    )


def make_user(name: str, *, moderator: bool = False):
    user = get_user_model().objects.create_user(name, f"{name}@example.org", f"{name}-pw-2026!")
    if moderator:
        user.groups.add(Group.objects.get_or_create(name="moderators")[0])
    return user


@pytest.fixture
def alice(db):
    return make_user("alice")


@pytest.fixture
def bruno(db):
    return make_user("bruno")


@pytest.fixture
def moderator(db):
    return make_user("mona", moderator=True)
