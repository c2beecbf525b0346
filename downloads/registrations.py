"""What the downloads section registers with the site (home block, demo data)."""

from portal.registry import HomeBlock, Seeder, register_home_block, register_seeder


def _boards_block(request):
    from downloads.querysets import boards

    return {"boards": list(boards())}


def _seed(say):
    from downloads.seeds import seed_catalogue

    seed_catalogue(say)


register_home_block(
    HomeBlock(
        name="downloads.boards",
        template="downloads/_home_boards.html",
        get_context=_boards_block,
        order=10,
    )
)
register_seeder(Seeder(name="downloads", run=_seed, order=10))
