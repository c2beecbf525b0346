"""Generation numbers: how cached fragments learn that what they show has changed.

A section keeps one number in the cache; every cached fragment of it carries the number in its
key. The services that change what readers see bump it, now and again once their transaction
commits (a page rendered in between from the old rows cannot outlive the commit). No read has
to know which fragments a change touched, and stale keys simply expire.
"""

from __future__ import annotations

import time

from django.core.cache import cache
from django.db import transaction


class Generation:
    def __init__(self, name: str) -> None:
        self.key = f"generation:{name}"

    def current(self) -> int:
        value = cache.get(self.key)
        if value is None:
            value = time.time_ns()
            if not cache.add(self.key, value, timeout=None):
                value = cache.get(self.key, value)
        return value

    def bump(self) -> None:
        cache.set(self.key, time.time_ns(), timeout=None)

    def bump_on_commit(self) -> None:
        self.bump()
        transaction.on_commit(self.bump)


NEWS = Generation("news")
