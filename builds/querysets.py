"""Reads of recipes, builds and build logs: every build page, command and task uses these."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Max, Q, QuerySet, Subquery

from builds.models import BootTest, Build, BuildLogChunk, BuildRecipe
from downloads.models import Release

# The most a log request returns at once; a reader asks again from the offset it is given.
LOG_PAGE_BYTES = 512 * 1024


def enabled_recipes() -> QuerySet[BuildRecipe]:
    return BuildRecipe.objects.filter(enabled=True).select_related("board", "distribution")


def builds() -> QuerySet[Build]:
    return Build.objects.select_related("recipe__board", "release", "started_by")


def active_builds() -> QuerySet[Build]:
    return builds().exclude(state=Build.State.FINISHED)


def draft_releases() -> QuerySet[Release]:
    return Release.objects.filter(status=Release.Status.DRAFT).order_by("-created_at")


@dataclass
class RecipeStatus:
    recipe: BuildRecipe
    latest: Build | None
    boot: BootTest | None = None  # the latest boot test of the latest build


@dataclass
class ReleaseBuildSummary:
    release: Release
    rows: list[RecipeStatus]

    @property
    def total(self) -> int:
        return len(self.rows)

    @property
    def succeeded(self) -> int:
        return sum(1 for r in self.rows if r.latest and r.latest.result == Build.Result.SUCCEEDED)

    @property
    def active(self) -> int:
        return sum(1 for r in self.rows if r.latest and r.latest.is_active)

    @property
    def all_succeeded(self) -> bool:
        return self.total > 0 and self.succeeded == self.total

    @property
    def failed_boots(self) -> list[BootTest]:
        return [r.boot for r in self.rows if r.boot and r.boot.status == BootTest.Status.FAILED]

    @property
    def boots_active(self) -> bool:
        return any(r.boot and r.boot.is_active for r in self.rows)


def release_build_summary(*, release: Release) -> ReleaseBuildSummary:
    """The latest build of each enabled recipe (and of any other recipe built) for a release.

    Two queries whatever the number of builds: the latest build per recipe, and the recipes.
    """
    latest_ids = (
        Build.objects.filter(release=release)
        .values("recipe_id")
        .annotate(latest=Max("pk"))
        .values("latest")
    )
    latest = {b.recipe_id: b for b in builds().filter(pk__in=Subquery(latest_ids))}
    recipes = list(
        BuildRecipe.objects.filter(Q(enabled=True) | Q(pk__in=latest.keys())).select_related(
            "board", "distribution"
        )
    )
    boots = latest_boot_tests(builds=latest.values())
    rows = [
        RecipeStatus(
            recipe=r,
            latest=latest.get(r.pk),
            boot=boots.get(latest[r.pk].pk) if r.pk in latest else None,
        )
        for r in recipes
    ]
    return ReleaseBuildSummary(release=release, rows=rows)


def latest_boot_tests(*, builds: Iterable[Build]) -> dict[int, BootTest]:
    """The latest boot test of each build, by build id: one query."""
    ids = [b.pk for b in builds]
    if not ids:
        return {}
    latest_ids = (
        BootTest.objects.filter(build_id__in=ids)
        .values("build_id")
        .annotate(latest=Max("pk"))
        .values("latest")
    )
    return {
        t.build_id: t
        for t in BootTest.objects.filter(pk__in=Subquery(latest_ids)).defer("console_log")
    }


def release_boot_tests(*, release: Release | Subquery, board_slug: str = "") -> list[BootTest]:
    """The latest boot test of each board's latest boot-tested build of a release (or of the
    release a subquery picks), in one query. For the public pages: their callers pass only
    releases the reader may see."""
    builds_of = Build.objects.filter(release=release, recipe__boot_test=True)
    if board_slug:
        builds_of = builds_of.filter(recipe__board__slug=board_slug)
    latest_build_ids = builds_of.values("recipe_id").annotate(latest=Max("pk")).values("latest")
    latest_test_ids = (
        BootTest.objects.filter(build_id__in=Subquery(latest_build_ids))
        .values("build_id")
        .annotate(latest=Max("pk"))
        .values("latest")
    )
    return list(
        BootTest.objects.filter(pk__in=Subquery(latest_test_ids))
        .select_related("build__recipe__board")
        .defer("console_log")
        .order_by("build__recipe__board__order", "build__recipe__board__name")
    )


def boot_tests() -> QuerySet[BootTest]:
    return BootTest.objects.select_related("build__release", "build__recipe__board")


@dataclass(frozen=True)
class LogSlice:
    text: str
    offset: int  # where this slice starts, in bytes of the UTF-8 log
    next_offset: int  # where the next request starts
    size: int  # the whole log's size when read


def _to_char_boundary(data: bytes, index: int) -> int:
    """Move index back to the start of the UTF-8 character it falls in."""
    while 0 < index < len(data) and (data[index] & 0xC0) == 0x80:
        index -= 1
    return index


def read_log(*, build: Build, offset: int = 0, limit: int = LOG_PAGE_BYTES) -> LogSlice:
    """The log from byte `offset` on, at most `limit` bytes, cut at character boundaries."""
    size = build.log_size
    offset = max(0, min(offset, size))
    chunks = list(
        BuildLogChunk.objects.filter(build=build, end__gt=offset, offset__lt=offset + limit)
        .order_by("offset")
        .values_list("offset", "text")
    )
    if not chunks:
        return LogSlice(text="", offset=offset, next_offset=offset, size=size)
    first_offset = chunks[0][0]
    data = b"".join(text.encode() for _offset, text in chunks)
    start = offset - first_offset
    # A reader may pass an offset inside a character: start at the next whole one.
    while start < len(data) and (data[start] & 0xC0) == 0x80:
        start += 1
    stop = _to_char_boundary(data, min(len(data), start + limit))
    if stop <= start:
        stop = min(len(data), start + 4)
    return LogSlice(
        text=data[start:stop].decode(errors="replace"),
        offset=first_offset + start,
        next_offset=first_offset + stop,
        size=size,
    )


def log_tail(*, build: Build, limit: int = LOG_PAGE_BYTES) -> LogSlice:
    """The last `limit` bytes of the log (what a page shows without JavaScript)."""
    return read_log(build=build, offset=max(0, build.log_size - limit), limit=limit)


def iter_log(*, build: Build):
    """The whole log, chunk by chunk, for downloading it as text."""
    yield from (
        BuildLogChunk.objects.filter(build=build)
        .order_by("offset")
        .values_list("text", flat=True)
        .iterator(chunk_size=50)
    )
