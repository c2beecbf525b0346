"""What the builds section registers with the site: its demo recipes."""

from portal.registry import (
    PagePanel,
    PublishCheck,
    Seeder,
    deferred,
    register_page_panel,
    register_publish_check,
    register_seeder,
)

# After the catalogue (order 10): recipes belong to its boards.
register_seeder(Seeder(name="builds", run=deferred("builds.seeds.seed_recipes"), order=15))


def _manage_release_panel(request, version: str) -> dict | None:
    from builds.querysets import release_build_summary
    from downloads.models import Release

    release = Release.objects.filter(version=version).first()
    if release is None:
        return None
    return {"release": release, "summary": release_build_summary(release=release)}


# The release managers' pages of the catalogue show the builds (they reach them only through
# here: downloads knows nothing of builds).
register_page_panel(
    PagePanel(
        name="builds.manage-release",
        page="manage-release",
        template="builds/_manage_release_panel.html",
        get_context=_manage_release_panel,
        order=10,
    )
)
register_page_panel(
    PagePanel(
        name="builds.manage",
        page="manage",
        template="builds/_manage_panel.html",
        get_context=lambda request, key: {},
        order=10,
    )
)


def _board_boot_panel(request, slug: str) -> dict | None:
    from django.db.models import Subquery

    from builds.querysets import release_boot_tests
    from downloads import querysets as catalogue

    # The boot tests of the board's latest release (the catalogue's one rule), in one query.
    latest = catalogue.latest_releases_for_board(slug).values("pk")[:1]
    boot_tests = release_boot_tests(release=Subquery(latest), board_slug=slug)
    return {"boot_tests": boot_tests, "show_board": False} if boot_tests else None


def _release_boot_panel(request, version: str) -> dict | None:
    from django.db.models import Subquery

    from builds.querysets import release_boot_tests
    from downloads import querysets as catalogue

    # The release page has checked who may see it; this asks again, through the same rule.
    release = catalogue.visible_releases(request.user).filter(version=version).values("pk")[:1]
    boot_tests = release_boot_tests(release=Subquery(release))
    return {"boot_tests": boot_tests, "show_board": True} if boot_tests else None


# The public board and release pages say whether what they offer booted in QEMU.
register_page_panel(
    PagePanel(
        name="builds.boot",
        page="board",
        template="builds/_boot_panel.html",
        get_context=_board_boot_panel,
        order=20,
        cache_version=deferred("builds.caching.boot_panel_version"),
    )
)
register_page_panel(
    PagePanel(
        name="builds.boot",
        page="release",
        template="builds/_boot_panel.html",
        get_context=_release_boot_panel,
        order=20,
        cache_version=deferred("builds.caching.boot_panel_version"),
    )
)


# Publishing a release whose boot test failed asks first, wherever it is published from.
register_publish_check(
    PublishCheck(name="builds.boot", check=deferred("builds.services.boot_objections"))
)
