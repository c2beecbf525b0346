"""What the downloads section registers with the site (home block, search, demo data)."""

import datetime

from django.utils.html import escape
from django.utils.translation import gettext_lazy as _

from downloads.caching import CATALOGUE
from portal.registry import (
    FeedGroup,
    HomeBlock,
    PagePanel,
    SearchHit,
    SearchProvider,
    Seeder,
    deferred,
    register_feeds,
    register_home_block,
    register_page_panel,
    register_search_provider,
    register_seeder,
    register_sitemap,
)


def _boards_block(request):
    from downloads.querysets import board_grid

    return {"boards": list(board_grid())}


def _matches(query: str, user, filters):
    from downloads.querysets import catalogue_matches

    return catalogue_matches(
        query,
        user=user,
        board=filters.board if filters else "",
        release=filters.release if filters else "",
        since=filters.since() if filters else None,
    )


def _hits(rows) -> list[SearchHit]:
    from django.urls import reverse

    from downloads.querysets import BOARD, RELEASE
    from portal.search import day

    hits = []
    for kind, _pk, board, version, date, title, detail in rows:
        if kind == BOARD:
            hits.append(
                SearchHit(
                    title=title,
                    url=reverse("downloads:board", args=[board]),
                    snippet=escape(detail),
                    meta=str(_("board")),
                )
            )
        elif kind == RELEASE:
            hits.append(
                SearchHit(
                    title=f"Estuary {version}" + (f": {title}" if title else ""),
                    url=reverse("downloads:release", args=[version]),
                    meta=str(_("release")) + (f" · {day(date)}" if date else ""),
                )
            )
        else:
            folder = board or str(_("common files"))
            hits.append(
                SearchHit(
                    title=title,
                    url=reverse("downloads:file", args=[version, board or "common", title]),
                    snippet=f"sha256 <code>{escape(detail)}</code>",
                    meta=f"Estuary {version} · {folder}",
                )
            )
    return hits


def _count(rows):
    from django.utils import timezone

    from portal.search import CANDIDATES, PERIODS, SectionCounts

    counts = SectionCounts()
    now = timezone.now()
    for _kind, _pk, board, version, date, _title, _detail in rows:
        counts.total += 1
        if board:
            counts.boards[board] += 1
        if version:
            counts.releases[version] += 1
        if isinstance(date, str):  # read through JSON
            date = datetime.datetime.fromisoformat(date)
        for name, (span, _label) in PERIODS.items():
            if date and date >= now - span:
                counts.periods[name] += 1
    counts.capped = counts.total >= CANDIDATES
    return counts


def _search_rights(user) -> bool:
    """Release managers find drafts too; everyone else the same published releases."""
    from downloads.querysets import is_release_manager

    return is_release_manager(user)


def _search(*, query: str, user, limit: int, filters=None) -> list[SearchHit]:
    """Boards, releases and files (by name or full sha256): one UNION query."""
    return _hits(_matches(query, user, filters)[:limit])


def _search_facets(*, query: str, user, filters=None):
    """Counts of the first CANDIDATES matches by board, release and age (one query)."""
    from portal.search import CANDIDATES

    return _count(_matches(query, user, filters).order_by()[:CANDIDATES])


def _search_answer(*, query: str, user, limit: int, filters=None):
    """Both at once: the first CANDIDATES matches, best first, counted; the first `limit`
    shown (one UNION query)."""
    from portal.search import CANDIDATES

    rows = list(_matches(query, user, filters)[:CANDIDATES])
    return _count(rows), _hits(rows[:limit])


_COLUMNS = ("s_kind", "pk", "s_board", "s_version", "s_date", "s_title", "s_detail")


def _search_sql(*, query: str, user, limit: int, filters=None):
    """The first CANDIDATES matches, best first, as the search page's one query takes them:
    counted, the first `limit` shown."""
    from django.core.exceptions import EmptyResultSet
    from django.db import connection

    from downloads.querysets import catalogue_words, words_matches
    from portal.search import CANDIDATES, SearchFilters, SectionSQL, json_rows, kept_search

    if connection.vendor != "postgresql":  # JSON of rows: the embedded site asks on its own
        return None
    words, shape = catalogue_words(query)

    def build(values: list[str], filters: SearchFilters) -> tuple[str, list] | None:
        matches = words_matches(
            values,
            shape,
            user=user,
            board=filters.board,
            release=filters.release,
            since=filters.since(),
        )
        try:
            sql, params = matches[:CANDIDATES].query.sql_with_params()
        except EmptyResultSet:
            return None
        return json_rows(sql), list(params)

    built = kept_search(("downloads", shape), _search_rights(user), filters, build, words)

    def read(value):
        rows = [tuple(row[name] for name in _COLUMNS) for row in value or []]
        return _count(rows), _hits(rows[:limit])

    if built is None:
        return SectionSQL("SELECT NULL", [], read)
    return SectionSQL(built[0], built[1], read)


register_home_block(
    HomeBlock(
        name="downloads.boards",
        template="downloads/_home_boards.html",
        get_context=_boards_block,
        order=10,
        cache_version=lambda request: CATALOGUE.current(),
    )
)
register_search_provider(
    SearchProvider(
        name="downloads",
        label=_("Downloads"),
        search=_search,
        order=20,
        facets=_search_facets,
        answer=_search_answer,
        generation=CATALOGUE,
        sql=_search_sql,
        rights=_search_rights,
    )
)
register_seeder(Seeder(name="downloads", run=deferred("downloads.seeds.seed_catalogue"), order=10))


# After the site's people exist (the forum's and the tracker's demo accounts).
register_seeder(
    Seeder(name="downloads.watchers", run=deferred("downloads.seeds.seed_watchers"), order=90)
)


def _register_sitemaps() -> None:
    from downloads.feeds import BoardSitemap, ReleaseSitemap

    register_sitemap("boards", BoardSitemap)
    register_sitemap("releases", ReleaseSitemap)


register_feeds(
    FeedGroup(
        name="downloads",
        label=_("Downloads"),
        feeds=deferred("downloads.feeds.feed_links"),
        order=10,
    )
)
_register_sitemaps()


def _watch_panel(request, slug):
    """The "Watch this board" button: for a signed-in reader, what they chose (one query)."""
    if not request.user.is_authenticated:
        return {"slug": slug, "signed_in": False}
    from django.contrib.contenttypes.models import ContentType

    from downloads.models import Board
    from portal.models import Subscription

    level = (
        Subscription.objects.filter(
            user=request.user,
            content_type=ContentType.objects.get_for_model(Board),
            object_id__in=Board.objects.filter(slug=slug).values("pk"),
        )
        .values_list("level", flat=True)
        .first()
    )
    return {"slug": slug, "signed_in": True, "watching": level == Subscription.Level.WATCHING}


def _announcement_panel(request, version):
    """The release's news item, once it is published (staff may keep it a draft first)."""
    from downloads.models import Release

    news = (
        Release.objects.filter(version=version, announcement__is_published=True)
        .values("announcement__title", "announcement__slug")
        .first()
    )
    return (
        {"title": news["announcement__title"], "slug": news["announcement__slug"]} if news else None
    )


def _announcement_version(request, version):
    from portal.caching import NEWS

    return f"{NEWS.current()}.{CATALOGUE.current()}"


register_page_panel(
    PagePanel(
        name="downloads.watch",
        page="board",
        template="downloads/_watch_panel.html",
        get_context=_watch_panel,
        order=1,
        cache_version=lambda request, key: None if request.user.is_authenticated else "anonymous",
    )
)
register_page_panel(
    PagePanel(
        name="downloads.announcement",
        page="release",
        template="downloads/_announcement_panel.html",
        get_context=_announcement_panel,
        order=10,
        cache_version=_announcement_version,
    )
)
