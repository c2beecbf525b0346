"""sitemap.xml: one index over every section's sitemap (each registers its own through the
registry), with addresses built from SITE_URL rather than the sites framework's placeholder."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from portal.models import NewsItem
from portal.querysets import published_news


class SiteSitemap(Sitemap):
    """Every sitemap of the site derives from this: the public address is SITE_URL's."""

    limit = 5000

    @property
    def protocol(self) -> str:  # type: ignore[override]
        return urlsplit(settings.SITE_URL).scheme or "https"

    def get_domain(self, site=None) -> str:
        return urlsplit(settings.SITE_URL).netloc


class PortalSitemap(SiteSitemap):
    """The site's own pages: home, news, the feeds and status pages."""

    changefreq = "daily"

    def items(self) -> list[str]:
        return ["home", "news_list", "feeds", "status"]

    def location(self, item: str) -> str:
        return reverse(item)


class NewsSitemap(SiteSitemap):
    changefreq = "monthly"

    def items(self):
        return published_news()

    def location(self, item: NewsItem) -> str:
        return item.get_absolute_url()

    def lastmod(self, item: NewsItem):
        return item.published_at
