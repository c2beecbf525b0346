"""Atom feeds of published releases, site-wide and per board."""

from __future__ import annotations

from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from downloads import querysets as q
from downloads.models import Board, Release
from portal.feeds import AtomFeed

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
