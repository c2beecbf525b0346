"""What the builds section registers with the site: its demo recipes."""

from portal.registry import PagePanel, Seeder, register_page_panel, register_seeder


def _seed(say):
    from builds.seeds import seed_recipes

    seed_recipes(say)


# After the catalogue (order 10): recipes belong to its boards.
register_seeder(Seeder(name="builds", run=_seed, order=15))


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
