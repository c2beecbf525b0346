"""What the forum registers with the site: home block, search, profile timeline, the wording
and kinds of its notifications, demo data."""

from django.utils.translation import gettext_lazy as _

from forum.services import FORUM
from portal import notifications
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

HOME_TOPICS = 8
BOARD_TOPICS = 5


def _latest_block(request):
    from forum.querysets import latest_topics

    return {"topics": list(latest_topics(request.user)[:HOME_TOPICS])}


def _latest_block_version(request):
    # Readers who may read the same categories share the list (see reader_kind).
    from forum.querysets import reader_kind
    from forum.services import FORUM

    return f"{FORUM.current()}:{reader_kind(request.user)}"


def _timeline(*, viewer, person, limit):
    """Topics the person started and replies they wrote, as far as `viewer` may read them:
    two queries."""
    from django.utils.translation import gettext

    from forum.querysets import visible_posts, visible_topics

    topics = (
        visible_topics(viewer)
        .filter(author=person)
        .select_related("category")
        .only("pk", "title", "created_at", "category__name")
        .order_by("-created_at")[:limit]
    )
    posts = (
        visible_posts(viewer)
        .filter(author=person, number__gt=1)
        .select_related("topic__category")
        .only("pk", "number", "created_at", "topic__title", "topic__category__name")
        .order_by("-created_at")[:limit]
    )
    started, replied = gettext("started a topic"), gettext("replied")
    return [
        TimelineItem(t.created_at, started, t.title, t.get_absolute_url(), t.category.name)
        for t in topics
    ] + [
        TimelineItem(
            p.created_at,
            replied,
            f"{p.topic.title} #{p.number}",
            p.get_absolute_url(),
            p.topic.category.name,
        )
        for p in posts
    ]


register_home_block(
    HomeBlock(
        name="forum.latest",
        template="forum/_home_latest.html",
        get_context=_latest_block,
        order=20,
        cache_version=_latest_block_version,
    )
)
register_search_provider(
    SearchProvider(
        name="forum",
        label=_("Forum"),
        search=deferred("forum.querysets.search_posts"),
        order=30,
        facets=deferred("forum.querysets.search_facets"),
        generation=FORUM,
        sql=deferred("forum.querysets.search_sql"),
        rights=deferred("forum.querysets.reader_kind"),
    )
)
register_timeline_source(TimelineSource(name="forum", items=_timeline))
register_seeder(Seeder(name="forum", run=deferred("forum.seeds.seed_forum"), order=30))


def _register_sitemap() -> None:
    from forum.feeds import ForumSitemap

    register_sitemap("forum", ForumSitemap)


register_feeds(
    FeedGroup(name="forum", label=_("Forum"), feeds=deferred("forum.feeds.feed_links"), order=30)
)
_register_sitemap()


# How the forum's notifications read ("<actor> <phrase> <topic>") and whose mail choice they
# follow on the preferences page.
notifications.register_kind(
    "forum_watching", _("New topics and replies in what you watch"), order=10
)
notifications.register_kind("about_me", _("Mentions, quotes, likes and answers about you"), order=5)
notifications.register_verb("replied", _("replied in"), kind="forum_watching")
notifications.register_verb("posted", _("started a topic in"), kind="forum_watching")
notifications.register_verb("mentioned", _("mentioned you in"), kind="about_me")
notifications.register_verb("quoted", _("quoted you in"), kind="about_me")
notifications.register_verb("liked", _("liked your post in"), kind="about_me")
notifications.register_verb("answered", _("marked your reply as the answer in"), kind="about_me")
notifications.register_verb("moderated", _("moderated"), kind="about_me")


def _board_topics(request, slug):
    # One query: the board page counts its queries.
    from forum.querysets import latest_topics

    topics = list(latest_topics(request.user).filter(boards__slug=slug)[:BOARD_TOPICS])
    return {"slug": slug, "topics": topics}


def _release_topic(request, version):
    from forum.querysets import visible_topics

    topic = (
        visible_topics(request.user)
        .filter(release__version=version)
        .select_related("category")
        .order_by("created_at")
        .first()
    )
    return {"topic": topic} if topic else None


# Publishing a release opens its topic in Announcements (after the news item, order 100).
register_release_listener(
    ReleaseListener(name="forum", published=deferred("forum.releases.open_release_topic"))
)
register_page_panel(
    PagePanel(
        name="forum",
        page="board",
        template="forum/_board_panel.html",
        get_context=_board_topics,
        order=60,
        cache_version=lambda request, key: _latest_block_version(request),
    )
)
register_page_panel(
    PagePanel(
        name="forum",
        page="release",
        template="forum/_release_panel.html",
        get_context=_release_topic,
        order=15,
        cache_version=lambda request, key: _latest_block_version(request),
    )
)
