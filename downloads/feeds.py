"""Atom feeds of published releases, site-wide and per board; the catalogue's sitemaps."""

from __future__ import annotations

from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from downloads import querysets as q
from downloads.models import Board, Release
from portal.feeds import AtomFeed
from portal.sitemaps import SiteSitemap

FEED_LENGTH = 30


class ReleaseFeed(Feed):
    feed_type = AtomFeed
    title = _("Estuary releases")
    subtitle = _("New releases of Estuary: firmware, kernels and distributions for ARM64 boards.")

    def link(self) -> str:
        return reverse("downloads:releases")

    def items(self):
        return q.published_releases()[:FEED_LENGTH]

    def item_title(self, item: Release) -> str:
        title = f"Estuary {item.version}"
        return f"{title}: {item.title}" if item.title else title

    def item_description(self, item: Release) -> str:
        return item.notes_html

    def item_pubdate(self, item: Release):
        return item.published_at

    def item_updateddate(self, item: Release):
        return item.published_at


class BoardReleaseFeed(ReleaseFeed):
    def get_object(self, request, slug: str) -> Board:
        return get_object_or_404(q.boards(), slug=slug)

    def title(self, obj: Board) -> str:
        return _("Estuary releases for %(board)s") % {"board": obj.name}

    def link(self, obj: Board) -> str:
        return obj.get_absolute_url()

    def items(self, obj: Board):
        return q.releases_for_board(obj)[:FEED_LENGTH]


class BoardSitemap(SiteSitemap):
    changefreq = "weekly"
    priority = 0.8

    def items(self):
        return q.boards()

    def location(self, item: Board) -> str:
        return item.get_absolute_url()


class ReleaseSitemap(SiteSitemap):
    changefreq = "monthly"

    def items(self):
        return q.published_releases()

    def location(self, item: Release) -> str:
        return item.get_absolute_url()

    def lastmod(self, item: Release):
        return item.published_at


def feed_links() -> list[tuple[str, str]]:
    """The catalogue's feeds for the feeds page: all releases, then each board's."""
    links = [(str(_("Estuary releases")), reverse("downloads:feed"))]
    for board in q.boards().only("slug", "name"):
        title = _("Releases for %(name)s") % {"name": board.name}
        links.append((str(title), reverse("downloads:board_feed", args=[board.slug])))
    return links
