"""The lab in sitemap.xml: its pages, the boards of the Open Lab and the public Caliper runs."""

from __future__ import annotations

from django.urls import reverse

from lab import querysets as q
from portal.sitemaps import SiteSitemap


class LabSitemap(SiteSitemap):
    changefreq = "daily"

    def items(self) -> list[str]:
        pages = [reverse("lab:index"), reverse("lab:calendar"), reverse("lab:caliper")]
        pages += [lab_board.get_absolute_url() for lab_board in q.listed_lab_boards()]
        pages += [reverse("lab:caliper_board", args=[b.slug]) for b in q.boards_with_runs()]
        return pages

    def location(self, item: str) -> str:
        return item


class CaliperRunSitemap(SiteSitemap):
    changefreq = "monthly"

    def items(self):
        return q.public_runs().order_by("pk")

    def location(self, item) -> str:
        return item.get_absolute_url()

    def lastmod(self, item):
        return item.created_at
