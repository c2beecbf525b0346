"""The read-only JSON API of the catalogue, for scripts: `/api/v1/...`.

    curl -s https://estuary.example.org/api/v1/boards/d02/latest/ | jq -r '.artifacts[]
      | select(.kind == "kernel") | "\\(.sha256)  \\(.filename)"'

Answers are cached per catalogue generation, like the pages.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django.http import HttpRequest, JsonResponse
from django.urls import reverse
from django.views.decorators.http import require_safe

from downloads import querysets as q
from downloads.caching import generation
from downloads.models import Artifact, Board, Release


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


def _cached(
    request: HttpRequest, key: str, build: Callable[[], dict | None], *, missing: str = ""
) -> JsonResponse:
    """The answer `build()` gives, cached per generation and host; 404 when it gives None
    (not cached, so that unknown names cannot fill the cache)."""
    full_key = f"downloads:api:{generation()}:{request.get_host()}:{key}"
    data = cache.get(full_key)
    if data is None:
        data = build()
        if data is None:
            return JsonResponse({"error": missing}, status=404)
        cache.set(full_key, data, timeout=600)
    return JsonResponse(data, json_dumps_params={"ensure_ascii": False})


@require_safe
def boards(request: HttpRequest) -> JsonResponse:
    def build():
        rows = q.board_grid()
        return {
            "boards": [{**_board(b, request), "latest_version": b.latest_version} for b in rows]
        }

    return _cached(request, "boards", build)


@require_safe
def releases(request: HttpRequest) -> JsonResponse:
    def build():
        return {"releases": [_release(r, request) for r in q.published_releases()]}

    return _cached(request, "releases", build)


@require_safe
def release(request: HttpRequest, version: str) -> JsonResponse:
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


@require_safe
def board_latest(request: HttpRequest, slug: str) -> JsonResponse:
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
