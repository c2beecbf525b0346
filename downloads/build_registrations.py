"""What the builds part of the downloads section registers: its demo recipes and its admin."""

from portal.registry import Seeder, register_seeder


def _seed(say):
    from downloads.build_seeds import seed_recipes

    seed_recipes(say)


# After the catalogue (order 10): recipes belong to its boards.
register_seeder(Seeder(name="downloads.builds", run=_seed, order=15))

from downloads import build_admin  # noqa: E402, F401  (registers the build models' admin)
