"""Reads of the catalogue: every view, feed, API and search goes through these.

Withdrawn releases are hidden from every list; drafts are seen by release managers only.
"""

from __future__ import annotations

import re

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import (
    CharField,
    Count,
    DateTimeField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.expressions import Combinable

from downloads.models import Artifact, Board, Distribution, Release
from portal.users import group_names

RELEASE_MANAGERS = "release-managers"


def is_release_manager(user: AbstractBaseUser | AnonymousUser) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return RELEASE_MANAGERS in group_names(user)


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


# The site search's matching: each word (at most MAX_WORDS) must match; file names are matched
# by words of at least 3 characters, the shortest a trigram index serves.
MAX_WORDS = 6
_SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")
BOARD, RELEASE, FILE = 0, 1, 2


def catalogue_words(query: str) -> tuple[list[str], tuple]:
    """The words a search matches (a checksum in lower case) and the shape of its SQL: whether
    it is a checksum, and which words are long enough to match file names."""
    words = query.split()[:MAX_WORDS]
    if len(words) == 1 and _SHA256.match(words[0]):
        return [words[0].lower()], ("checksum",)
    return words, tuple(len(word) >= 3 for word in words)


def _searchable_releases(user: AbstractBaseUser | AnonymousUser | None) -> QuerySet[Release]:
    """Published releases; drafts too for release managers (who preview them). Withdrawn ones
    are hidden from every list, search included."""
    if user is not None and is_release_manager(user):
        return Release.objects.filter(status__in=[Release.Status.PUBLISHED, Release.Status.DRAFT])
    return published_releases()


def catalogue_matches(
    query: str,
    *,
    user: AbstractBaseUser | AnonymousUser | None = None,
    board: str = "",
    release: str = "",
    since: Combinable | None = None,
) -> QuerySet:
    """Boards, releases and files a search matches, as one UNION of rows (kind, pk, board
    slug, version, date, title, detail) ordered best first: a file by its checksum, then
    boards, releases and files by name. A board or release filter keeps what belongs to it."""
    words, shape = catalogue_words(query)
    return words_matches(words, shape, user=user, board=board, release=release, since=since)


def words_matches(
    words: list[str],
    shape: tuple,
    *,
    user: AbstractBaseUser | AnonymousUser | None = None,
    board: str = "",
    release: str = "",
    since: Combinable | None = None,
) -> QuerySet:
    """catalogue_matches of catalogue_words' words and shape (the shape, not the words, decides
    the SQL: the search page keeps it, see portal.search.kept_sql)."""
    null_text = Value(None, output_field=CharField())
    columns = ("s_kind", "pk", "s_board", "s_version", "s_date", "s_title", "s_detail")

    board_q = Q()
    for word in words:
        board_q &= (
            Q(name__icontains=word)
            | Q(slug__iexact=word)
            | Q(soc__icontains=word)
            | Q(vendor__icontains=word)
            | Q(summary__icontains=word)
        )
    boards_found = boards().filter(board_q)
    if board:
        boards_found = boards_found.filter(slug=board)
    if release or since:
        boards_found = boards_found.none()
    boards_found = (
        boards_found.annotate(
            s_kind=Value(BOARD),
            s_board=F("slug"),
            s_version=null_text,
            s_date=Value(None, output_field=DateTimeField()),
            s_title=F("name"),
            s_detail=F("summary"),
        )
        .values_list(*columns)
        .order_by()
    )

    releases = _searchable_releases(user)
    release_q = Q()
    for word in words:
        release_q &= Q(version__iexact=word) | Q(title__icontains=word) | Q(notes__icontains=word)
    releases_found = releases.filter(release_q)
    if release:
        releases_found = releases_found.filter(version=release)
    if board:
        releases_found = releases_found.filter(
            Exists(Artifact.objects.filter(release=OuterRef("pk"), board__slug=board))
        )
    if since:
        releases_found = releases_found.filter(published_at__gte=since)
    releases_found = (
        releases_found.annotate(
            s_kind=Value(RELEASE),
            s_board=null_text,
            s_version=F("version"),
            s_date=F("published_at"),
            s_title=F("title"),
            s_detail=null_text,
        )
        .values_list(*columns)
        .order_by()
    )

    files = Artifact.objects.filter(release__in=releases.values("pk"))
    if shape == ("checksum",):
        files = files.filter(sha256=words[0])
    else:
        long_words = [word for word, long in zip(words, shape, strict=True) if long]
        if not long_words:
            files = files.none()
        for word in long_words:
            files = files.filter(filename__icontains=word)
    if board:
        files = files.filter(board__slug=board)
    if release:
        files = files.filter(release__version=release)
    if since:
        files = files.filter(release__published_at__gte=since)
    files = (
        files.annotate(
            s_kind=Value(FILE),
            s_board=F("board__slug"),
            s_version=F("release__version"),
            s_date=F("release__published_at"),
            s_title=F("filename"),
            s_detail=F("sha256"),
        )
        .values_list(*columns)
        .order_by()
    )
    # A checksum's file comes first; otherwise boards, then releases, then files.
    return boards_found.union(releases_found, files, all=True).order_by(
        "s_kind", "-s_date", "s_title"
    )
