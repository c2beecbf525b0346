"""Reads of the catalogue: every view, feed, API and search goes through these.

Withdrawn releases are hidden from every list; drafts are seen by release managers only.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery

from downloads.models import Artifact, Board, Distribution, Release

RELEASE_MANAGERS = "release-managers"


def is_release_manager(user: AbstractBaseUser | AnonymousUser) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    # Asked several times in one request (the view, the visible releases): one query.
    cached = getattr(user, "_is_release_manager", None)
    if cached is None:
        cached = user.groups.filter(name=RELEASE_MANAGERS).exists()
        user._is_release_manager = cached
    return cached


def boards() -> QuerySet[Board]:
    return Board.objects.all()


def published_releases() -> QuerySet[Release]:
    return Release.objects.filter(status=Release.Status.PUBLISHED)


def visible_releases(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Release]:
    """Releases whose pages a user may open: published and withdrawn (a 410 notice) for
    everyone, drafts too for release managers (the preview)."""
    statuses = [Release.Status.PUBLISHED, Release.Status.WITHDRAWN]
    if is_release_manager(user):
        statuses.append(Release.Status.DRAFT)
    return Release.objects.filter(status__in=statuses)


def drafts() -> QuerySet[Release]:
    return Release.objects.filter(status=Release.Status.DRAFT).order_by("-created_at")


def releases_for_board(board: Board) -> QuerySet[Release]:
    """Published releases with at least one file for the board, newest first."""
    return published_releases().filter(
        Exists(Artifact.objects.filter(release=OuterRef("pk"), board=board))
    )


def latest_releases_for_board(board: Board | str) -> QuerySet[Release]:
    """The candidates for a board's latest release (a board or its slug), newest first: the
    first is the latest (see latest_release_for_board); a subquery may take its pk."""
    files = Artifact.objects.filter(release=OuterRef("pk"))
    files = files.filter(board__slug=board) if isinstance(board, str) else files.filter(board=board)
    return published_releases().filter(Exists(files), is_prerelease=False)


def latest_release_for_board(board: Board) -> Release | None:
    """A board's latest release: the newest published release (not a pre-release) with files
    for the board. The board page, /downloads/latest/<board>/..., the API and the grid all use
    this one rule; a file that release lacks is missing, not taken from an older release."""
    return latest_releases_for_board(board).first()


def latest_release() -> Release | None:
    """The site's latest release (for /downloads/latest/common/...): the newest published
    release that is not a pre-release."""
    return published_releases().filter(is_prerelease=False).first()


def _latest_for_board_subquery() -> QuerySet[Release]:
    return published_releases().filter(
        is_prerelease=False,
        pk__in=Artifact.objects.filter(board=OuterRef(OuterRef("pk"))).values("release_id"),
    )


def board_grid(
    *, arch: str = "", distribution: str = "", support_level: str = ""
) -> QuerySet[Board]:
    """Boards with their latest release (`latest_version`, `latest_date`), filtered: one query."""
    latest = _latest_for_board_subquery()
    queryset = boards().annotate(
        latest_version=Subquery(latest.values("version")[:1]),
        latest_date=Subquery(latest.values("release_date")[:1]),
    )
    if arch:
        queryset = queryset.filter(arch=arch)
    if support_level:
        queryset = queryset.filter(support_level=support_level)
    if distribution:
        queryset = queryset.filter(
            Exists(
                Artifact.objects.filter(
                    board=OuterRef("pk"),
                    distribution__slug=distribution,
                    release__status=Release.Status.PUBLISHED,
                )
            )
        )
    return queryset


def architectures() -> list[str]:
    return list(Board.objects.order_by("arch").values_list("arch", flat=True).distinct())


def distributions() -> QuerySet[Distribution]:
    return Distribution.objects.all()


def distributions_with_board_files() -> QuerySet[Distribution]:
    """Distributions some board has published files of: the ones worth filtering boards by."""
    return Distribution.objects.filter(
        Exists(
            Artifact.objects.filter(
                distribution=OuterRef("pk"),
                board__isnull=False,
                release__status=Release.Status.PUBLISHED,
            )
        )
    )


def distributions_for_board(board: Board) -> QuerySet[Distribution]:
    return Distribution.objects.filter(
        Exists(
            Artifact.objects.filter(
                distribution=OuterRef("pk"),
                board=board,
                release__status=Release.Status.PUBLISHED,
            )
        )
    )


def release_files(release: Release, *, board: Board | None = None) -> QuerySet[Artifact]:
    """A release's files (with board and distribution), or a board's and the common ones."""
    queryset = release.artifacts.select_related("board", "distribution")
    if board is not None:
        queryset = queryset.filter(Q(board=board) | Q(board__isnull=True))
    return queryset.order_by("board__order", "board__name", "kind", "filename")


def folder_files(release: Release, folder: str | None) -> QuerySet[Artifact]:
    """The files of one folder of a release (a board's slug or "common"), or all (None)."""
    queryset = release.artifacts.select_related("board", "distribution")
    if folder == "common":
        queryset = queryset.filter(board__isnull=True)
    elif folder is not None:
        queryset = queryset.filter(board__slug=folder)
    return queryset.order_by("filename")


def release_list() -> QuerySet[Release]:
    """Every published release with its number of files and of boards."""
    return published_releases().annotate(
        file_count=Count("artifacts"),
        board_count=Count("artifacts__board", distinct=True),
    )


def newer_release(release: Release) -> Release | None:
    """The newest published release that supersedes this one (a pre-release only supersedes
    pre-releases), or None."""
    if release.published_at is None:
        return None
    candidates = published_releases().filter(published_at__gt=release.published_at)
    if not release.is_prerelease:
        candidates = candidates.filter(is_prerelease=False)
    return candidates.order_by("-published_at").first()


def find_file(*, version: str, folder: str, filename: str) -> Artifact | None:
    """A file by its public path, whatever its release's state (the view decides)."""
    queryset = Artifact.objects.select_related("release", "release__replaced_by", "board")
    queryset = queryset.filter(release__version=version, filename=filename)
    if folder == "common":
        queryset = queryset.filter(board__isnull=True)
    else:
        queryset = queryset.filter(board__slug=folder)
    return queryset.first()


def search_catalogue(query: str, *, limit: int) -> tuple[list[Board], list[Release]]:
    """Boards and published releases matching a few words (small tables: plain matching)."""
    board_hits = list(
        boards().filter(
            Q(name__icontains=query)
            | Q(slug__iexact=query)
            | Q(soc__icontains=query)
            | Q(vendor__icontains=query)
            | Q(summary__icontains=query)
        )[:limit]
    )
    release_hits = list(
        published_releases().filter(
            Q(version__iexact=query) | Q(title__icontains=query) | Q(notes__icontains=query)
        )[:limit]
    )
    return board_hits, release_hits
