"""What the lab registers with the site: its panels on board and release pages, its sitemaps,
demo data.

No home block: the home page keeps its query budget (tests/portal/test_pages.py), and the
lab is one click away in the header."""

from django.utils.translation import gettext_lazy

from portal import notifications
from portal.registry import (
    PagePanel,
    Seeder,
    register_page_panel,
    register_seeder,
    register_sitemap,
)


def _board_panel(request, key):
    from lab.panels import board_panel

    return board_panel(request, key)


def _release_panel(request, key):
    from lab.panels import release_panel

    return release_panel(request, key)


def _version(request, key):
    from lab.panels import panel_version

    return panel_version(request, key)


def _seed(say):
    from lab.seeds import seed_lab

    seed_lab(say)


register_page_panel(
    PagePanel(
        name="lab.caliper",
        page="board",
        template="lab/_board_panel.html",
        get_context=_board_panel,
        order=60,
        cache_version=_version,
    )
)
register_page_panel(
    PagePanel(
        name="lab.caliper",
        page="release",
        template="lab/_release_panel.html",
        get_context=_release_panel,
        order=60,
        cache_version=_version,
    )
)
register_seeder(Seeder(name="lab", run=_seed, order=80))


def _register_sitemaps() -> None:
    from lab.sitemaps import CaliperRunSitemap, LabSitemap

    register_sitemap("lab", LabSitemap)
    register_sitemap("caliper-runs", CaliperRunSitemap)


_register_sitemaps()


# A slot cancelled because its board went out of service: "<staff> cancelled your reservation".
notifications.register_kind("lab", gettext_lazy("Your Open Lab reservations"), order=60)
notifications.register_verb("lab_cancelled", gettext_lazy("cancelled"), kind="lab")
