"""One generation number for the whole catalogue (see portal.caching).

Every cached catalogue fragment (pages, API answers, the home page's boards) carries it in its
key; the services that change what the public sees (adding files, publishing, withdrawing) bump
it after their transaction commits.
"""

from portal.caching import Generation

CATALOGUE = Generation("downloads")


def generation() -> int:
    return CATALOGUE.current()


def bump_generation_on_commit() -> None:
    CATALOGUE.bump_on_commit()
