"""What the archive registers with the site: home block, search, profile timeline, demo data."""

from django.utils.translation import gettext_lazy as _

from lists.caching import SITE
from portal.registry import (
    FeedGroup,
    HomeBlock,
    PagePanel,
    SearchProvider,
    Seeder,
    TimelineItem,
    TimelineSource,
    deferred,
    register_feeds,
    register_home_block,
    register_page_panel,
    register_search_provider,
    register_seeder,
    register_sitemap,
    register_timeline_source,
)

HOME_THREADS = 6
BOARD_THREADS = 6


def _latest_block(request):
    from lists.querysets import latest_threads

    return {"threads": list(latest_threads(request.user)[:HOME_THREADS])}


def _latest_block_version(request):
    # Signed-in readers may belong to private lists: their block is made for them each time.
    if request.user.is_authenticated:
        return None
    from lists.caching import SITE

    return SITE.current()


def _board_panel(request, slug):
    # One query (the board page counts its own): public lists only, so one version for all.
    from lists.querysets import threads_naming_board

    threads = threads_naming_board(slug, BOARD_THREADS)
    return {"threads": threads, "slug": slug} if threads else None


def _public_version(request, key=None):
    from lists.caching import SITE

    return SITE.current()


def _timeline(*, viewer, person, limit):
    """Messages sent from the person's verified addresses, on lists `viewer` may read: two
    queries (the addresses, the messages)."""
    from allauth.account.models import EmailAddress
    from django.urls import reverse
    from django.utils.translation import gettext

    from lists.querysets import messages_from

    addresses = list(
        EmailAddress.objects.filter(user=person, verified=True).values_list("email", flat=True)
    )
    wrote = gettext("wrote to a list")
    return [
        TimelineItem(
            message.date,
            wrote,
            message.subject or gettext("(no subject)"),
            reverse("lists:message", args=[message.mailing_list.name, message.message_id]),
            message.mailing_list.name,
        )
        for message in messages_from(viewer, addresses)[:limit]
    ]


register_home_block(
    HomeBlock(
        name="lists.latest",
        template="lists/_home_latest.html",
        get_context=_latest_block,
        order=30,
        cache_version=_latest_block_version,
    )
)
register_page_panel(
    PagePanel(
        name="lists",
        page="board",
        template="lists/_board_panel.html",
        get_context=_board_panel,
        order=60,
        cache_version=_public_version,
    )
)
register_search_provider(
    SearchProvider(
        name="lists",
        label=_("Mailing lists"),
        search=deferred("lists.querysets.search_hits"),
        order=50,
        facets=deferred("lists.querysets.search_facets"),
        generation=SITE,
        sql=deferred("lists.querysets.search_sql"),
        rights=deferred("lists.querysets.search_rights"),
    )
)
register_timeline_source(TimelineSource(name="lists", items=_timeline))
register_seeder(Seeder(name="lists", run=deferred("lists.seeds.seed_lists"), order=50))


def _register_sitemap() -> None:
    from lists.feeds import ListsSitemap

    register_sitemap("lists", ListsSitemap)


register_feeds(
    FeedGroup(
        name="lists", label=_("Mailing lists"), feeds=deferred("lists.feeds.feed_links"), order=40
    )
)
_register_sitemap()
