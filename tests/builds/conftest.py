"""What the build tests share: a board, a draft release, recipes made to order, and the
catalogue tests' artifact storage in tmp_path."""

from __future__ import annotations

import itertools

import pytest
from django.contrib.auth.models import Group

from builds.models import BuildRecipe
from downloads.models import Board, Release
from tests.downloads.conftest import incoming, storage  # noqa: F401  (files in tmp_path)

_names = itertools.count(1)


@pytest.fixture
def board(db) -> Board:
    return Board.objects.create(slug="testboard", name="Test Board", soc="Hip05", order=1)


@pytest.fixture
def other_board(db) -> Board:
    return Board.objects.create(slug="otherboard", name="Other Board", soc="Hip06", order=2)


@pytest.fixture
def release(db) -> Release:
    return Release.objects.create(version="9.9", title="Test release")


@pytest.fixture
def make_recipe(board):
    def make(script: str, patterns=None, **fields) -> BuildRecipe:
        fields.setdefault("board", board)
        fields.setdefault("name", f"recipe-{next(_names)}")
        fields.setdefault("timeout_seconds", 120)
        return BuildRecipe.objects.create(
            script=script, output_patterns=patterns or ["*"], **fields
        )

    return make


@pytest.fixture
def release_manager(db, django_user_model):
    user = django_user_model.objects.create_user("rm", "rm@example.org", "pw-rm-12345")
    group, _ = Group.objects.get_or_create(name="release-managers")
    user.groups.add(group)
    return user
