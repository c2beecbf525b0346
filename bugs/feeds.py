"""An Atom feed of any bug query: the list's parameters, the list's visibility."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from bugs.filters import filtered
from bugs.models import Bug
from bugs.querysets import visible_to
from portal.sitemaps import SiteSitemap

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


def feed_links() -> list[tuple[str, str]]:
    """For the site's feeds page: the open bugs, and the open bugs of each board."""
    from downloads.models import Board

    links = [(gettext("Estuary: open bugs"), reverse("bugs:feed") + "?status=open")]
    for board in Board.objects.only("slug", "name").order_by("order", "name"):
        links.append(
            (
                gettext("Open bugs on %(board)s") % {"board": board.name},
                reverse("bugs:feed") + f"?board={board.slug}&status=open",
            )
        )
    return links


class BugSitemap(SiteSitemap):
    """The bugs anyone may read, most recently changed first."""

    changefreq = "daily"

    def items(self):
        bugs = visible_to(AnonymousUser()).only("pk", "updated_at").order_by("-updated_at")
        return bugs[:45000]  # a sitemap file holds 50,000 addresses at most

    def location(self, item: Bug) -> str:
        return item.get_absolute_url()

    def lastmod(self, item: Bug):
        return item.updated_at
