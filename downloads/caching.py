"""One generation number for the whole catalogue (see portal.caching), and the catalogue's
rendered pages kept in the cache under it.

Every cached catalogue fragment (pages, API answers, the home page's boards) carries it in its
key; the services that change what the public sees (adding files, publishing, withdrawing) bump
it after their transaction commits.
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
    """The key of a rendered catalogue page part: the generation, the language and whether the
    reader is a release manager are always in it, then what the page itself depends on."""
    tail = ":".join(str(part) for part in parts)
    return f"downloads:page:{name}:{generation()}:{get_language()}:{int(manager)}:{tail}"


def cached_page(key: str, build: Callable[[], dict[str, Any] | None]) -> dict[str, Any] | None:
    """The page part stored under key, built (and stored) on a miss; None is not stored."""
    page = cache.get(key)
    if page is None:
        page = build()
        if page is not None:
            cache.set(key, page, timeout=PAGE_TIMEOUT)
    return page
