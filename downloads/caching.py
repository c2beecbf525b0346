"""One generation number for the whole catalogue (see portal.caching).

Every kept catalogue part (API answers, the home page's boards, the catalogue's rendered pages)
carries it in its key; the services that change what the public sees (adding files, publishing,
withdrawing) bump it, now and again after their transaction commits.
"""

from __future__ import annotations

from portal.caching import Generation, digest, kept_key

CATALOGUE = Generation("downloads")
PAGE_TIMEOUT = 600


def generation() -> int:
    return CATALOGUE.current()


def bump_generation_on_commit() -> None:
    CATALOGUE.bump_on_commit()


def page_key(name: str, *parts: object, manager: bool = False) -> str:
    """The key of a catalogue page's kept parts: the language (see kept_key), whether the reader
    is a release manager and what the page depends on, under the catalogue's generation."""
    return kept_key(f"downloads:{name}:{int(manager)}:{digest(*parts)}", generation())
