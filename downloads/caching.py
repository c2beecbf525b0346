"""One generation number for the whole catalogue, kept in the cache.

Every cached catalogue fragment (pages, API answers) carries the generation in its key. The
services that change what the public sees (adding files, publishing, withdrawing) bump it after
their transaction commits, so no page ever serves a stale list, and no read needs to know which
fragments a change touched.
"""

from __future__ import annotations

import time

from django.core.cache import cache
from django.db import transaction

GENERATION_KEY = "downloads:generation"


def generation() -> int:
    value = cache.get(GENERATION_KEY)
    if value is None:
        value = time.time_ns()
        if not cache.add(GENERATION_KEY, value, timeout=None):
            value = cache.get(GENERATION_KEY, value)
    return value


def bump_generation() -> None:
    cache.set(GENERATION_KEY, time.time_ns(), timeout=None)


def bump_generation_on_commit() -> None:
    """Bump now and again once the transaction commits: a page rendered in between from the
    old rows cannot outlive the commit."""
    bump_generation()
    transaction.on_commit(bump_generation)
