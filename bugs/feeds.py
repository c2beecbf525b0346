"""An Atom feed of any bug query: the list's parameters, the list's visibility."""

from __future__ import annotations

from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext_lazy as _

from bugs.filters import filtered
from bugs.models import Bug

FEED_LENGTH = 50


class BugQueryFeed(Feed):
    feed_type = Atom1Feed
    title = _("Estuary bugs")
    subtitle = _("Bugs matching a query, most recently changed first.")

    def get_object(self, request, *args, **kwargs):
        self.request = request
        return request

    def link(self, request) -> str:
        query = request.GET.urlencode()
        return reverse("bugs:index") + (f"?{query}" if query else "")

    def items(self, request):
        _filter, bugs = filtered(request.GET or None, request.user)
        return bugs.order_by("-updated_at", "-id")[:FEED_LENGTH]

    def item_title(self, item: Bug) -> str:
        return f"#{item.pk} [{item.status}] {item.summary}"

    def item_description(self, item: Bug) -> str:
        return f"{item.product.name} / {item.component.name} · {item.get_severity_display()}"

    def item_pubdate(self, item: Bug):
        return item.created_at

    def item_updateddate(self, item: Bug):
        return item.updated_at
