"""What the tracker registers with the site: home block, search, profile timeline, board and
release panels, demo data, API routes live in bugs/api.py (portal/urls.py mounts them)."""

from django.utils.translation import gettext_lazy as _

from bugs.services.common import BUGS
from portal.registry import (
    FeedGroup,
    HomeBlock,
    PagePanel,
    ReleaseListener,
    SearchProvider,
    Seeder,
    TimelineItem,
    TimelineSource,
    deferred,
    register_feeds,
    register_home_block,
    register_page_panel,
    register_release_listener,
    register_search_provider,
    register_seeder,
    register_sitemap,
    register_timeline_source,
)

HOME_BUGS = 6
PANEL_BUGS = 10


def _public_version(request, key=None):
    # Signed-in readers may see security bugs: what they get is made for them each time.
    if request.user.is_authenticated:
        return None
    from bugs.services.common import BUGS

    return BUGS.current()


def _home(request):
    from bugs import querysets as q

    return {"bugs": list(q.for_list(q.open_bugs(request.user)).order_by("-id")[:HOME_BUGS])}


def _board_panel(request, slug):
    # One query: the board page keeps its own count of queries low.
    from bugs import querysets as q

    bugs = list(q.open_on_board(request.user, slug)[: PANEL_BUGS + 1])
    return {"slug": slug, "bugs": bugs[:PANEL_BUGS], "more": len(bugs) > PANEL_BUGS}


def _release_panel(request, version):
    from bugs import querysets as q

    bugs = list(q.fixed_in_release(request.user, version)[:200])
    return {"version": version, "bugs": bugs} if bugs else None


def _timeline(*, viewer, person, limit):
    """Bugs the person filed that `viewer` may read (a security bug only for its readers):
    one query."""
    from django.utils.translation import gettext

    from bugs import querysets as q

    bugs = (
        q.visible_to(viewer)
        .filter(reporter=person)
        .only("pk", "summary", "created_at")
        .order_by("-created_at")[:limit]
    )
    filed = gettext("filed a bug")
    return [
        TimelineItem(bug.created_at, filed, f"#{bug.pk} {bug.summary}", bug.get_absolute_url())
        for bug in bugs
    ]


register_home_block(
    HomeBlock(
        name="bugs.recent",
        template="bugs/_home_block.html",
        get_context=_home,
        order=40,
        cache_version=_public_version,
    )
)
register_page_panel(
    PagePanel(
        name="bugs",
        page="board",
        template="bugs/_board_panel.html",
        get_context=_board_panel,
        order=50,
        cache_version=_public_version,
    )
)
register_page_panel(
    PagePanel(
        name="bugs",
        page="release",
        template="bugs/_release_panel.html",
        get_context=_release_panel,
        order=50,
        cache_version=_public_version,
    )
)
register_search_provider(
    SearchProvider(
        name="bugs",
        label=_("Bugs"),
        search=deferred("bugs.querysets.search_bugs"),
        order=40,
        facets=deferred("bugs.querysets.search_facets"),
        generation=BUGS,
        sql=deferred("bugs.querysets.search_sql"),
        rights=deferred("bugs.querysets.search_rights"),
    )
)
register_timeline_source(TimelineSource(name="bugs", items=_timeline))
register_seeder(Seeder(name="bugs", run=deferred("bugs.seeds.seed_bugs"), order=60))


def _register_sitemap() -> None:
    from bugs.feeds import BugSitemap

    register_sitemap("bugs", BugSitemap)


register_feeds(
    FeedGroup(name="bugs", label=_("Bugs"), feeds=deferred("bugs.feeds.feed_links"), order=40)
)
_register_sitemap()


def _fixed_bugs_notes(release) -> str:
    # The announcement is public: it names only bugs anyone may read.
    from django.utils.translation import gettext

    from bugs.querysets import fixed_in_public

    bugs = list(fixed_in_public(release)[:100])
    if not bugs:
        return ""
    lines = ["## " + gettext("Bugs fixed"), ""]
    lines += [f"- [#{bug.pk} {bug.summary}]({bug.get_absolute_url()})" for bug in bugs]
    return "\n".join(lines)


register_release_listener(ReleaseListener(name="bugs", notes=_fixed_bugs_notes, order=30))
