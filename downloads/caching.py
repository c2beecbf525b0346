"""One generation number for the whole catalogue (see portal.caching), and the catalogue's
rendered pages kept in the cache under it.

Every cached catalogue fragment (API answers, the home page's boards) carries it in its key, and
every cached page part in its value, checked on each read; the services that change what the
public sees (adding files, publishing, withdrawing) bump it after their transaction commits.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django.utils.translation import get_language

from portal.caching import Generation

CATALOGUE = Generation("downloads")
PAGE_TIMEOUT = 600


def generation() -> int:
    return CATALOGUE.current()


def bump_generation_on_commit() -> None:
    CATALOGUE.bump_on_commit()


def page_key(name: str, *parts: object, manager: bool = False) -> str:
    """The key of a rendered catalogue page part: the language and whether the reader is a
    release manager are always in it, then what the page itself depends on. The generation is
    kept in the value (see cached_page), so that one round trip fetches both."""
    tail = ":".join(str(part) for part in parts)
    return f"downloads:page:{name}:{get_language()}:{int(manager)}:{tail}"


def cached_page(key: str, build: Callable[[], dict[str, Any] | None]) -> dict[str, Any] | None:
    """The page part stored under key if it was rendered in the current generation, else built
    (and stored with the generation read before building); None is not stored."""
    found = cache.get_many([CATALOGUE.key, key])
    current = found.get(CATALOGUE.key)
    if current is None:
        current = generation()
    stored = found.get(key)
    if stored is not None and stored[0] == current:
        return stored[1]
    page = build()
    if page is not None:
        cache.set(key, (current, page), timeout=PAGE_TIMEOUT)
    return page
