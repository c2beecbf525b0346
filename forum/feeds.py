"""Atom feeds: latest topics, per category, per topic; the forum's sitemap. Feed readers and
crawlers come without a session, so each shows what anyone may read, through the same
querysets as the pages."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.contrib.syndication.views import Feed
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from forum import querysets as q
from forum.models import Category, Post, Topic
from portal.feeds import AtomFeed
from portal.sitemaps import SiteSitemap

ANONYMOUS = AnonymousUser()
ITEMS = 30


class LatestTopicsFeed(Feed):
    feed_type = AtomFeed
    title = _("Estuary forum: latest topics")
    subtitle = _("New and active topics on the Estuary forum.")

    def link(self):
        return reverse("forum:index")

    def items(self):
        return q.latest_topics(ANONYMOUS).select_related("author")[:ITEMS]

    def item_title(self, item: Topic) -> str:
        return item.title

    def item_description(self, item: Topic) -> str:
        return ngettext(
            "%(category)s · %(n)d reply", "%(category)s · %(n)d replies", item.reply_count
        ) % {"category": item.category.name, "n": item.reply_count}

    def item_author_name(self, item: Topic) -> str:
        return item.author.get_username()

    def item_pubdate(self, item: Topic):
        return item.created_at

    def item_updateddate(self, item: Topic):
        return item.last_post_at


class CategoryFeed(LatestTopicsFeed):
    def get_object(self, request, slug: str) -> Category:
        category = q.readable_categories(ANONYMOUS).filter(slug=slug).first()
        if category is None:
            raise Http404(gettext("No such category."))
        return category

    def title(self, obj: Category) -> str:
        return gettext("Estuary forum: %(name)s") % {"name": obj.name}

    def link(self, obj: Category) -> str:
        return obj.get_absolute_url()

    def items(self, obj: Category):
        return q.category_topics(obj, ANONYMOUS).select_related("category")[:ITEMS]


class TopicFeed(Feed):
    feed_type = AtomFeed

    def get_object(self, request, pk: int) -> Topic:
        topic = q.visible_topics(ANONYMOUS).filter(pk=pk).first()
        if topic is None:
            raise Http404(gettext("No such topic."))
        return topic

    def title(self, obj: Topic) -> str:
        return obj.title

    def link(self, obj: Topic) -> str:
        return obj.get_absolute_url()

    def items(self, obj: Topic):
        return (
            Post.objects.filter(topic=obj, is_hidden=False)
            .select_related("author")
            .order_by("-number")[:ITEMS]
        )

    def item_title(self, item: Post) -> str:
        return gettext("#%(number)d by %(name)s") % {
            "number": item.number,
            "name": item.author.get_username(),
        }

    def item_description(self, item: Post) -> str:
        return item.html  # stored sanitized

    def item_link(self, item: Post) -> str:
        return item.get_absolute_url()

    def item_author_name(self, item: Post) -> str:
        return item.author.get_username()

    def item_pubdate(self, item: Post):
        return item.created_at

    def item_updateddate(self, item: Post):
        return item.edited_at or item.created_at


class ForumSitemap(SiteSitemap):
    """Public categories and the topics anyone may read, most recently active first."""

    changefreq = "daily"

    def items(self):
        categories = list(q.readable_categories(ANONYMOUS).only("slug"))
        topics = q.latest_topics(ANONYMOUS).select_related(None).only("pk", "last_post_at")
        topics = topics[:45000]  # a sitemap file holds 50,000 addresses at most
        return [*categories, *topics]

    def location(self, item) -> str:
        return item.get_absolute_url()

    def lastmod(self, item):
        return getattr(item, "last_post_at", None)


def feed_links() -> list[tuple[str, str]]:
    links = [(str(LatestTopicsFeed.title), reverse("forum:feed"))]
    for category in q.readable_categories(ANONYMOUS).only("slug", "name"):
        title = gettext("Estuary forum: %(name)s") % {"name": category.name}
        links.append((title, reverse("forum:category_feed", args=[category.slug])))
    return links
