"""An Atom feed of changed pages and the docs' sitemap."""

from django.contrib.syndication.views import Feed
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from docs_app import querysets
from docs_app.models import Page
from portal.feeds import AtomFeed
from portal.sitemaps import SiteSitemap


class ChangedPagesFeed(Feed):
    feed_type = AtomFeed
    title = _("Estuary docs: changed pages")
    subtitle = _("Quick starts, board manuals and guides as editors change them.")
    link = reverse_lazy("docs_app:index")

    def items(self):
        return querysets.recently_changed(30)

    def item_title(self, item: Page) -> str:
        return f"{item.title} ({item.version}, {item.language})"

    def item_description(self, item: Page) -> str:
        return item.text[:400]

    def item_link(self, item: Page) -> str:
        return item.get_absolute_url()

    def item_guid(self, item: Page) -> str:
        return f"docs-page-{item.pk}-{item.updated_at.isoformat()}"

    item_guid_is_permalink = False

    def item_updateddate(self, item: Page):
        return item.updated_at

    def item_pubdate(self, item: Page):
        return item.created_at

    def item_author_name(self, item: Page) -> str:
        return item.updated_by.get_username() if item.updated_by else ""


class DocsSitemap(SiteSitemap):
    changefreq = "weekly"

    def items(self):
        return querysets.sitemap_pages()

    def location(self, item: Page) -> str:
        return item.get_absolute_url()

    def lastmod(self, item: Page):
        return item.updated_at

    def priority(self, item: Page) -> float:
        return 0.8 if item.release_id is None else 0.5
