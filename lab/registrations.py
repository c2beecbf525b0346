"""What the lab registers with the site: its panels on board and release pages, its sitemaps,
demo data.

No home block: the home page keeps its query budget (tests/portal/test_pages.py), and the
lab is one click away in the header."""

from django.utils.translation import gettext_lazy

from portal import notifications
from portal.registry import (
    PagePanel,
    Seeder,
    deferred,
    register_page_panel,
    register_seeder,
    register_sitemap,
)

register_page_panel(
    PagePanel(
        name="lab.caliper",
        page="board",
        template="lab/_board_panel.html",
        get_context=deferred("lab.panels.board_panel"),
        order=60,
        cache_version=deferred("lab.panels.panel_version"),
    )
)
register_page_panel(
    PagePanel(
        name="lab.caliper",
        page="release",
        template="lab/_release_panel.html",
        get_context=deferred("lab.panels.release_panel"),
        order=60,
        cache_version=deferred("lab.panels.panel_version"),
    )
)
register_seeder(Seeder(name="lab", run=deferred("lab.seeds.seed_lab"), order=80))


def _register_sitemaps() -> None:
    from lab.sitemaps import CaliperRunSitemap, LabSitemap

    register_sitemap("lab", LabSitemap)
    register_sitemap("caliper-runs", CaliperRunSitemap)


_register_sitemaps()


# A slot cancelled because its board went out of service: "<staff> cancelled your reservation".
notifications.register_kind("lab", gettext_lazy("Your Open Lab reservations"), order=60)
notifications.register_verb("lab_cancelled", gettext_lazy("cancelled"), kind="lab")
