"""The Atom feed type every section's feeds use, and the news as an Atom feed."""

from __future__ import annotations

import re

from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext_lazy as _
from django.utils.xmlutils import SimplerXMLGenerator

from portal.models import NewsItem
from portal.querysets import published_news

FEED_LENGTH = 20

# What XML 1.0 cannot carry at all; people can still post it (a vertical tab pasted from a log).
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_text(value: str) -> str:
    """The text with each character XML cannot carry replaced by U+FFFD, so it stays visible."""
    return _NOT_XML.sub("\ufffd", value)


class _XMLTextGenerator(SimplerXMLGenerator):
    def characters(self, content):
        super().characters(xml_text(content) if content else content)

    def startElement(self, name, attrs):
        super().startElement(
            name, {k: xml_text(v) if isinstance(v, str) else v for k, v in attrs.items()}
        )


class AtomFeed(Atom1Feed):
    """Atom that carries any text a person can post: Django's generator refuses (and the feed
    answers 500) on a control character in a single post."""

    def write(self, outfile, encoding):
        handler = _XMLTextGenerator(outfile, encoding, short_empty_elements=True)
        handler.startDocument()
        handler.startElement("feed", self.root_attributes())
        self.add_root_elements(handler)
        self.write_items(handler)
        handler.endElement("feed")


class NewsFeed(Feed):
    feed_type = AtomFeed
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
