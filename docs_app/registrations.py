"""What the docs register with the site: search, a home block, the wording of their
notifications, demo data."""

from django.utils.translation import gettext_lazy as _

from docs_app.fragments import DOCS
from portal import notifications
from portal.registry import (
    FeedGroup,
    HomeBlock,
    PagePanel,
    ReleaseListener,
    SearchHit,
    SearchProvider,
    Seeder,
    deferred,
    register_feeds,
    register_home_block,
    register_page_panel,
    register_release_listener,
    register_search_provider,
    register_seeder,
    register_sitemap,
)


def _search(*, query: str, user=None, limit: int = 10, filters=None) -> list[SearchHit]:
    from django.utils.translation import get_language

    from docs_app.querysets import search_pages

    return _search_hits(
        search_pages(query=query, language=get_language() or "en", limit=limit, filters=filters)
    )


def _search_hits(found) -> list[SearchHit]:
    return [
        SearchHit(
            title=hit.page.title,
            url=hit.page.get_absolute_url(),
            snippet=hit.snippet,
            meta=hit.page.section.title,
        )
        for hit in found
    ]


def _search_facets(*, query: str, user=None, filters=None):
    from django.utils.translation import get_language

    from docs_app.querysets import search_facets

    return search_facets(query=query, language=get_language() or "en", filters=filters)


def _search_sql(*, query: str, user=None, limit: int = 10, filters=None):
    from dataclasses import replace

    from django.utils.translation import get_language

    from docs_app.querysets import search_sql

    part = search_sql(
        query=query, language=get_language() or "en", limit=limit, filters=filters, user=user
    )
    if part is None:
        return None

    def read(value):
        counts, found = part.read(value)
        return counts, _search_hits(found)

    return replace(part, read=read)


def _home_block(request):
    from docs_app.querysets import start_here

    return {"pages": start_here()}


register_search_provider(
    SearchProvider(
        name="docs",
        label=_("Docs"),
        search=_search,
        order=10,
        facets=_search_facets,
        generation=DOCS,
        sql=_search_sql,
        rights=lambda user: "everyone",  # every reader finds the same pages
    )
)
register_home_block(
    HomeBlock(
        name="docs.start",
        template="docs_app/_home_docs.html",
        get_context=_home_block,
        order=20,
        cache_version=lambda request: DOCS.current(),
    )
)
register_seeder(Seeder(name="docs", run=deferred("docs_app.seeds.seed_docs"), order=30))


def _feed_links():
    from django.urls import reverse

    return [(str(_("Estuary docs: changed pages")), reverse("docs_app:feed"))]


def _register_sitemap() -> None:
    from docs_app.feeds import DocsSitemap

    register_sitemap("docs", DocsSitemap)


register_feeds(FeedGroup(name="docs", label=_("Docs"), feeds=_feed_links, order=20))
_register_sitemap()


# "<editor> edited <page title>", mailed to the page's watchers as they chose for this kind.
notifications.register_kind("docs", _("Edits to guides you watch"), order=40)
notifications.register_verb("doc_edited", _("edited"), kind="docs")


def _board_guides(request, slug):
    # From the kept table of contents: no query once the docs' contents are cached.
    from django.utils.translation import get_language

    from docs_app.fragments import contents
    from docs_app.models import LATEST, Page

    language = get_language() if get_language() in Page.Language.values else "en"
    guides = contents(version=LATEST, language=language).by_tag.get(slug.lower(), [])
    return {"guides": guides, "version": LATEST}


# The announcement of a release links the guides of its boards; a board page lists them.
register_release_listener(
    ReleaseListener(
        name="docs", notes=deferred("docs_app.querysets.release_guides_markdown"), order=20
    )
)
register_page_panel(
    PagePanel(
        name="docs",
        page="board",
        template="docs_app/_board_panel.html",
        get_context=_board_guides,
        order=30,
        cache_version=lambda request, key: DOCS.current(),
    )
)
