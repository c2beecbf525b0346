"""The news as an Atom feed."""

from __future__ import annotations

from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext_lazy as _

from portal.models import NewsItem
from portal.querysets import published_news

FEED_LENGTH = 20


class NewsFeed(Feed):
    feed_type = Atom1Feed
    title = _("Estuary news")
    subtitle = _("Announcements of the Estuary project.")

    def link(self) -> str:
        return reverse("news_list")

    def items(self):
        return published_news()[:FEED_LENGTH]

    def item_title(self, item: NewsItem) -> str:
        return item.title

    def item_description(self, item: NewsItem) -> str:
        return item.body_html

    def item_pubdate(self, item: NewsItem):
        return item.published_at
