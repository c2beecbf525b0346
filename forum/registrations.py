"""What the forum registers with the site: home block, search, profile section, demo data."""

from django.utils.translation import gettext_lazy as _

from portal.registry import (
    FeedGroup,
    HomeBlock,
    PagePanel,
    ProfileSection,
    ReleaseListener,
    SearchProvider,
    Seeder,
    register_feeds,
    register_home_block,
    register_page_panel,
    register_profile_section,
    register_release_listener,
    register_search_provider,
    register_seeder,
    register_sitemap,
)

HOME_TOPICS = 8
BOARD_TOPICS = 5
PROFILE_ITEMS = 10


def _latest_block(request):
    from forum.querysets import latest_topics

    return {"topics": list(latest_topics(request.user)[:HOME_TOPICS])}


def _latest_block_version(request):
    # Signed-in readers may see private categories: their list is made for them each time.
    if request.user.is_authenticated:
        return None
    from forum.services import FORUM

    return FORUM.current()


def _profile(request, person):
    from forum.querysets import visible_posts, visible_topics

    topics = (
        visible_topics(request.user)
        .filter(author=person)
        .select_related("category")
        .order_by("-created_at")[:PROFILE_ITEMS]
    )
    posts = (
        visible_posts(request.user)
        .filter(author=person, number__gt=1)
        .select_related("topic")
        .order_by("-created_at")[:PROFILE_ITEMS]
    )
    return {"topics": list(topics), "posts": list(posts), "person": person}


def _search(*, query, user, limit):
    from forum.querysets import search_posts

    return search_posts(query=query, user=user, limit=limit)


def _seed(say):
    from forum.seeds import seed_forum

    seed_forum(say)


register_home_block(
    HomeBlock(
        name="forum.latest",
        template="forum/_home_latest.html",
        get_context=_latest_block,
        order=20,
        cache_version=_latest_block_version,
    )
)
register_search_provider(SearchProvider(name="forum", label=_("Forum"), search=_search, order=20))
register_profile_section(
    ProfileSection(
        name="forum.activity",
        template="forum/_profile_activity.html",
        get_context=_profile,
        order=20,
    )
)
register_seeder(Seeder(name="forum", run=_seed, order=30))


def _feed_links():
    from forum.feeds import feed_links

    return feed_links()


def _register_sitemap() -> None:
    from forum.feeds import ForumSitemap

    register_sitemap("forum", ForumSitemap)


register_feeds(FeedGroup(name="forum", label=_("Forum"), feeds=_feed_links, order=30))
_register_sitemap()


def _open_release_topic(event):
    from forum.releases import open_release_topic

    open_release_topic(event)


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
register_release_listener(ReleaseListener(name="forum", published=_open_release_topic))
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
