"""Releases with real files, editors and readers for the docs tests."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from docs_app import services
from docs_app.models import Page, Section
from docs_app.sections import ensure_sections
from downloads.models import Artifact, Board, Release
from downloads.services.artifacts import add_artifact_from_path

# ../shared/testdata beside the project; TESTDATA_DIR points elsewhere (a second checkout).
TESTDATA = Path(
    os.environ.get("TESTDATA_DIR") or Path(settings.BASE_DIR).parent / "shared" / "testdata"
)
HEXO_SITE = TESTDATA / "estuary-site"


@pytest.fixture(autouse=True)
def _sections(db) -> None:
    # A transactional test elsewhere in the run flushes what the migration created.
    ensure_sections(Section)


@pytest.fixture
def d02(db) -> Board:
    return Board.objects.get_or_create(slug="d02", defaults={"name": "D02", "soc": "Hip05"})[0]


@pytest.fixture
def make_release(db, tmp_path, d02) -> Callable[..., Release]:
    """A published release with the given files for d02 (file name -> bytes)."""
    counter = {"n": 0}

    def make(version: str, files: dict[str, bytes], *, days_ago: int = 0, pre: bool = False):
        counter["n"] += 1
        release = Release.objects.create(version=version, is_prerelease=pre)
        folder = tmp_path / f"files-{counter['n']}"
        folder.mkdir()
        for name, content in files.items():
            path = folder / name
            path.write_bytes(content)
            board = None if name.endswith(".cpio.gz") else d02
            add_artifact_from_path(
                release=release, path=path, board=board, kind=Artifact.Kind.KERNEL
            )
        release.status = Release.Status.PUBLISHED
        release.published_at = timezone.now() - dt.timedelta(days=days_ago)
        release.save(update_fields=["status", "published_at"])
        return release

    return make


@pytest.fixture
def section(db) -> Section:
    return Section.objects.get(slug="quick-start")


@pytest.fixture
def make_page(section) -> Callable[..., Page]:
    def make(slug: str = "d02", title: str = "D02 quick start", source: str = "Hello.", **kw):
        kw.setdefault("section", section)
        return services.save_page(slug=slug, title=title, source=source, **kw)

    return make


@pytest.fixture
def editor(db):
    user = get_user_model().objects.create_user("eda", "eda@example.org", "pw-for-tests-1")
    user.groups.add(Group.objects.get_or_create(name="doc-editors")[0])
    return user


@pytest.fixture
def reader(db):
    return get_user_model().objects.create_user("rita", "rita@example.org", "pw-for-tests-1")
