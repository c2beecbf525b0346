"""What the downloads section registers with the site (home block, search, demo data)."""

from django.utils.html import escape
from django.utils.translation import gettext_lazy as _

from portal.registry import (
    FeedGroup,
    HomeBlock,
    SearchHit,
    SearchProvider,
    Seeder,
    register_feeds,
    register_home_block,
    register_search_provider,
    register_seeder,
    register_sitemap,
)


def _boards_block(request):
    from downloads.querysets import board_grid

    return {"boards": list(board_grid())}


def _catalogue_generation() -> int:
    from downloads.caching import generation

    return generation()


def _search(*, query: str, user, limit: int) -> list[SearchHit]:
    from downloads.querysets import search_catalogue

    boards, releases = search_catalogue(query, limit=limit)
    hits = [
        SearchHit(
            title=board.name,
            url=board.get_absolute_url(),
            snippet=escape(board.summary),
            meta=f"{board.soc} · {board.get_support_level_display()}",
        )
        for board in boards
    ]
    hits += [
        SearchHit(
            title=f"Estuary {release.version}" + (f": {release.title}" if release.title else ""),
            url=release.get_absolute_url(),
            meta=str(_("release")),
        )
        for release in releases
    ]
    return hits[:limit]


def _seed(say):
    from downloads.seeds import seed_catalogue

    seed_catalogue(say)


register_home_block(
    HomeBlock(
        name="downloads.boards",
        template="downloads/_home_boards.html",
        get_context=_boards_block,
        order=10,
        cache_version=lambda request: _catalogue_generation(),
    )
)
register_search_provider(
    SearchProvider(name="downloads", label=_("Downloads"), search=_search, order=20)
)
register_seeder(Seeder(name="downloads", run=_seed, order=10))


def _feed_links():
    from downloads.feeds import feed_links

    return feed_links()


def _register_sitemaps() -> None:
    from downloads.feeds import BoardSitemap, ReleaseSitemap

    register_sitemap("boards", BoardSitemap)
    register_sitemap("releases", ReleaseSitemap)


register_feeds(FeedGroup(name="downloads", label=_("Downloads"), feeds=_feed_links, order=10))
_register_sitemaps()
