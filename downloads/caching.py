"""One generation number for the whole catalogue (see portal.caching).

Every kept catalogue part (API answers, the home page's boards, the catalogue's rendered pages)
carries it in its key; the services that change what the public sees (adding files, publishing,
withdrawing) bump it, now and again after their transaction commits.
"""

from __future__ import annotations

from portal.caching import Generation

CATALOGUE = Generation("downloads")
PAGE_TIMEOUT = 600


def generation() -> int:
    return CATALOGUE.current()


def bump_generation_on_commit() -> None:
    CATALOGUE.bump_on_commit()
