"""The read-only JSON API of the catalogue, for scripts: `/api/v1/...` (a django-ninja Router;
portal/urls.py mounts it on the site's one API).

    curl -s https://estuary.example.org/api/v1/boards/d02/latest/ | jq -r '.artifacts[]
      | select(.kind == "kernel") | "\\(.sha256)  \\(.filename)"'

Answers are cached per catalogue generation, like the pages.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from ninja import Router, Schema, Status

from downloads import querysets as q
from downloads.caching import generation
from downloads.models import Artifact, Board, Release
from portal.caching import kept

router = Router(tags=["downloads"])


class ErrorOut(Schema):
    error: str


class BoardOut(Schema):
    slug: str
    name: str
    soc: str
    arch: str
    vendor: str
    support_level: str
    summary: str
    url: str
    latest_url: str


class BoardInGrid(BoardOut):
    latest_version: str | None = None


class BoardsOut(Schema):
    boards: list[BoardInGrid]


class ArtifactOut(Schema):
    filename: str
    path: str
    url: str
    size: int
    sha256: str
    md5: str
    kind: str
    board: str | None
    distribution: str | None
    description: str


class ReleaseOut(Schema):
    version: str
    title: str
    prerelease: bool
    release_date: str | None
    published_at: str | None
    url: str
    api_url: str
    sha256sums_url: str


class ReleasesOut(Schema):
    releases: list[ReleaseOut]


class ReleaseDetailOut(ReleaseOut):
    notes_html: str
    artifacts: list[ArtifactOut]


class BoardLatestOut(Schema):
    board: BoardOut
    release: ReleaseOut | None
    artifacts: list[ArtifactOut]


def _board(board: Board, request: HttpRequest) -> dict[str, Any]:
    return {
        "slug": board.slug,
        "name": board.name,
        "soc": board.soc,
        "arch": board.arch,
        "vendor": board.vendor,
        "support_level": board.support_level,
        "summary": board.summary,
        "url": request.build_absolute_uri(board.get_absolute_url()),
        "latest_url": request.build_absolute_uri(
            reverse("downloads_api:board_latest", args=[board.slug])
        ),
    }


def _artifact(artifact: Artifact, request: HttpRequest) -> dict[str, Any]:
    return {
        "filename": artifact.filename,
        "path": artifact.path,
        "url": request.build_absolute_uri(artifact.get_absolute_url()),
        "size": artifact.size,
        "sha256": artifact.sha256,
        "md5": artifact.md5,
        "kind": artifact.kind,
        "board": artifact.board.slug if artifact.board_id else None,
        "distribution": artifact.distribution.slug if artifact.distribution_id else None,
        "description": artifact.description,
    }


def _release(release: Release, request: HttpRequest) -> dict[str, Any]:
    base = release.get_absolute_url()
    return {
        "version": release.version,
        "title": release.title,
        "prerelease": release.is_prerelease,
        "release_date": release.release_date.isoformat() if release.release_date else None,
        "published_at": release.published_at.isoformat() if release.published_at else None,
        "url": request.build_absolute_uri(base),
        "api_url": request.build_absolute_uri(
            reverse("downloads_api:release", args=[release.version])
        ),
        "sha256sums_url": request.build_absolute_uri(f"{base}SHA256SUMS"),
    }


def _cached(request: HttpRequest, key: str, build: Callable[[], dict | None], *, missing: str = ""):
    """The answer `build()` gives, cached per generation and host; 404 when it gives None
    (not cached, so that unknown names cannot fill the cache)."""
    data = kept(f"downloads:api:{generation()}:{request.get_host()}:{key}", build, timeout=600)
    if data is None:
        return Status(404, {"error": missing})
    return Status(200, data)


@router.get("boards/", response={200: BoardsOut}, url_name="boards")
def boards(request: HttpRequest):
    """Every board, with its latest release's version."""

    def build():
        rows = q.board_grid()
        return {
            "boards": [{**_board(b, request), "latest_version": b.latest_version} for b in rows]
        }

    return _cached(request, "boards", build)


@router.get("releases/", response={200: ReleasesOut}, url_name="releases")
def releases(request: HttpRequest):
    """Published releases, newest first."""

    def build():
        return {"releases": [_release(r, request) for r in q.published_releases()]}

    return _cached(request, "releases", build)


@router.get(
    "releases/{version}/", response={200: ReleaseDetailOut, 404: ErrorOut}, url_name="release"
)
def release(request: HttpRequest, version: str):
    """One published release with its files and their checksums."""

    def build():
        release_obj = q.published_releases().filter(version=version).first()
        if release_obj is None:
            return None
        files = q.release_files(release_obj)
        return {
            **_release(release_obj, request),
            "notes_html": release_obj.notes_html,
            "artifacts": [_artifact(a, request) for a in files],
        }

    return _cached(request, f"release:{version}", build, missing=f"no release {version}")


@router.get(
    "boards/{slug}/latest/",
    response={200: BoardLatestOut, 404: ErrorOut},
    url_name="board_latest",
)
def board_latest(request: HttpRequest, slug: str):
    """A board's latest release and its files for that board."""

    def build():
        board_obj = q.boards().filter(slug=slug).first()
        if board_obj is None:
            return None
        latest = q.latest_release_for_board(board_obj)
        if latest is None:
            return {"board": _board(board_obj, request), "release": None, "artifacts": []}
        files = q.release_files(latest, board=board_obj)
        return {
            "board": _board(board_obj, request),
            "release": _release(latest, request),
            "artifacts": [_artifact(a, request) for a in files],
        }

    return _cached(request, f"latest:{slug}", build, missing=f"no board {slug}")
