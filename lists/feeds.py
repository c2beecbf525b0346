"""Atom feeds of a list and of a thread. Feed readers come without a session, so a feed shows
what anyone may read: a private list's feeds answer 404, through the same querysets."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext

from lists import querysets as q
from lists.models import MailingList, Message, Thread
from portal.sitemaps import SiteSitemap

ANONYMOUS = AnonymousUser()
ITEMS = 30
SUMMARY_CHARS = 1200


class ListFeed(Feed):
    feed_type = Atom1Feed

    def get_object(self, request, list_name: str) -> MailingList:
        return q.list_for(ANONYMOUS, list_name)

    def title(self, obj: MailingList) -> str:
        return gettext("%(list)s archive") % {"list": obj.title or obj.name}

    def subtitle(self, obj: MailingList) -> str:
        return obj.description

    def link(self, obj: MailingList) -> str:
        return obj.get_absolute_url()

    def items(self, obj: MailingList):
        return (
            Message.objects.filter(mailing_list=obj)
            .select_related("mailing_list")
            .only("message_id", "subject", "sender_name", "date", "text", "mailing_list__name")
            .order_by("-date", "-pk")[:ITEMS]
        )

    def item_title(self, item: Message) -> str:
        return item.subject or item.message_id

    def item_description(self, item: Message) -> str:
        return item.text[:SUMMARY_CHARS]

    def item_link(self, item: Message) -> str:
        return item.get_absolute_url()

    def item_guid(self, item: Message) -> str:
        return f"urn:message-id:{item.message_id}"

    item_guid_is_permalink = False

    def item_author_name(self, item: Message) -> str:
        return item.sender_name

    def item_pubdate(self, item: Message):
        return item.date


class ThreadFeed(ListFeed):
    def get_object(self, request, list_name: str, pk: int) -> Thread:
        return q.thread_for(q.list_for(ANONYMOUS, list_name), pk)

    def title(self, obj: Thread) -> str:
        return obj.subject or gettext("Thread")

    def subtitle(self, obj: Thread) -> str:
        return obj.mailing_list.name

    def link(self, obj: Thread) -> str:
        return obj.get_absolute_url()

    def items(self, obj: Thread):
        return (
            Message.objects.filter(thread=obj)
            .select_related("mailing_list")
            .only("message_id", "subject", "sender_name", "date", "text", "mailing_list__name")
            .order_by("-date", "-pk")[:ITEMS]
        )


class ListsSitemap(SiteSitemap):
    """Public lists and their threads, most recently active first (a thread's page is the
    address that carries its messages)."""

    changefreq = "daily"

    def items(self):
        lists = list(q.visible_lists(ANONYMOUS).only("name"))
        threads = (
            q.latest_threads(ANONYMOUS)
            .only("pk", "last_activity", "mailing_list__name")
            .order_by("-last_activity")[:45000]  # a sitemap file holds 50,000 addresses at most
        )
        return [*lists, *threads]

    def location(self, item) -> str:
        return item.get_absolute_url()

    def lastmod(self, item):
        return getattr(item, "last_activity", None)


def feed_links() -> list[tuple[str, str]]:
    """The Atom feed of each public list, for the site's feeds page."""
    return [
        (
            gettext("%(list)s archive") % {"list": m.title or m.name},
            reverse("lists:list_feed", args=[m.name]),
        )
        for m in q.visible_lists(ANONYMOUS).only("name", "title")
    ]
