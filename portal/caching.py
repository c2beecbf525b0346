"""Generation numbers: how cached fragments learn that what they show has changed.

A section keeps one number in the cache; every cached fragment of it carries the number in its
key. The services that change what readers see bump it, now and again once their transaction
commits (a page rendered in between from the old rows cannot outlive the commit). No read has
to know which fragments a change touched, and stale keys simply expire. A part that depends on
one row only may carry that row's own counter instead (read with the row, in the same request).

This is the one way every section keeps rendered page parts: `kept_key` names a part by what
it depends on, `render_fragments` renders several parts of a page with one round trip each way,
and `kept` keeps any other built value (a dict of rendered parts, say) the same way.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils.translation import get_language

from portal.registry import registry

# How long a kept fragment lives at most; generations make it stale long before, as a rule.
FRAGMENT_TIMEOUT = 3600
# The whole pages kept for signed-out readers (portal/page_cache.py) show every section at once:
# any section's change makes them all stale.
PAGES_KEY = "generation:pages"


class Generation:
    """`shown` says whether what it versions shows on the pages kept whole (portal/page_cache):
    a reader's own state does not, and moves no page when it changes."""

    def __init__(self, name: str, *, shown: bool = True) -> None:
        self.key = f"generation:{name}"
        self.shown = shown

    def current(self) -> int:
        value = cache.get(self.key)
        if value is None:
            value = time.time_ns()
            if not cache.add(self.key, value, timeout=None):
                value = cache.get(self.key, value)
        return value

    def bump(self) -> None:
        now = time.time_ns()
        cache.set_many({self.key: now, **({PAGES_KEY: now} if self.shown else {})}, timeout=None)

    def bump_on_commit(self) -> None:
        self.bump()
        transaction.on_commit(self.bump)


NEWS = Generation("news")
PAGES = Generation("pages")
# Moved (with PAGES) by what takes something away from readers: a row deleted, a bug made a
# security bug, a post hidden, a release withdrawn. A whole page kept before it is never served
# again, not even while one request renders it anew (portal/page_cache.py).
WITHDRAWALS = Generation("withdrawals")


def stamp(*generations: Generation) -> str:
    """The numbers of several generations in one round trip: a version for a part that depends
    on all of them."""
    found = cache.get_many([g.key for g in generations])
    return ".".join(str(found.get(g.key) or g.current()) for g in generations)


def digest(*parts: object) -> str:
    """Parts of a key that may hold any character (a slug or version from the address), folded
    into a short one."""
    joined = "\x1f".join(str(part) for part in parts)
    return hashlib.blake2b(joined.encode(), digest_size=16).hexdigest()


def kept[T](
    key: str | None, build: Callable[[], T | None], *, timeout: int = FRAGMENT_TIMEOUT
) -> T | None:
    """The value kept under `key` (see kept_key), or `build()` kept there now. A None key keeps
    nothing (the reader gets it fresh); a None value is not kept. `build` may raise (Http404):
    nothing is kept then."""
    if key is not None:
        found = cache.get(key)
        if found is not None:
            return found
    value = build()
    if key is not None and value is not None:
        cache.set(key, value, timeout=timeout)
    return value


@dataclass(frozen=True)
class Fragment:
    """A page part to render: kept in the cache under `key`, or rendered fresh when key is None.

    `get_context()` returns the template's context, or None for a part that shows nothing.
    `mark` names the part on a page shared by the signed-in readers of one kind
    (portal/page_cache.py): made for this reader (key None), it is left there as a reader mark
    and rendered for each reader by fragment_parts. A part with neither key nor mark makes the
    page this reader's own.
    """

    key: str | None
    template: str
    get_context: Callable[[], dict[str, Any] | None]
    mark: str = ""


def render_fragments(
    request: HttpRequest,
    fragments: list[Fragment],
    *,
    timeout: int = FRAGMENT_TIMEOUT,
    shared: bool = False,
) -> list[str]:
    """Render each fragment, or take it from the cache: one round trip reads every kept one and
    one writes those rendered now. An empty string stands for a part that shows nothing.
    `shared`: the page is kept for the reader's kind and its view names what fills the marks
    (marks_in, fragment_parts); the reader's own parts are left as marks."""
    from portal.page_cache import reader_mark

    keys = [f.key for f in fragments if f.key]
    cached = cache.get_many(keys) if keys else {}
    fresh: dict[str, str] = {}
    html: list[str] = []
    for fragment in fragments:
        if fragment.key in cached:
            html.append(cached[fragment.key])
            continue
        if not fragment.key and shared and fragment.mark:
            html.append(reader_mark(fragment.mark))
            continue
        if not fragment.key:  # made for this reader: so is the page (portal/page_cache.py)
            request.made_for_this_reader = True
        context = fragment.get_context()
        rendered = "" if context is None else render_to_string(fragment.template, context, request)
        if fragment.key:
            fresh[fragment.key] = rendered
        html.append(rendered)
    if fresh:
        cache.set_many(fresh, timeout=timeout)
    return html


def kept_key(name: str, version: object | None) -> str | None:
    """The cache key of a fragment that depends on `version` (and the language), or None when
    the reader must get it fresh."""
    return None if version is None else f"{name}:{get_language()}:{version}"


def marks_in(parts: list[str]) -> tuple[str, ...]:
    """The names of the parts render_fragments left as reader marks (what the view's parts
    function is to fill)."""
    from portal.page_cache import mark_name

    return tuple(name for html in parts if (name := mark_name(html)))


def fragment_parts(
    request: HttpRequest, fragments: list[Fragment], marks: tuple[str, ...]
) -> dict[str, str] | None:
    """One reader's parts of a shared page: the fragments left on it as `marks`, rendered for
    them (their form tokens marks too). None when a fragment the page shows kept must be made
    for this reader: they get the page rendered for them."""
    from portal.page_cache import csrf_mark

    if any(not f.key and f.mark not in marks for f in fragments):
        return None
    parts: dict[str, str] = {}
    for fragment in fragments:
        if fragment.mark in marks:
            context = fragment.get_context()
            parts[fragment.mark] = (
                ""
                if context is None
                else render_to_string(
                    fragment.template, {**context, "csrf_token": csrf_mark()}, request
                )
            )
    return parts


def _panel_fragments(request: HttpRequest, page: str, key: str) -> list[Fragment]:
    return [
        Fragment(
            key=kept_key(
                f"panel:{page}:{panel.name}:{key}",
                panel.cache_version(request, key) if panel.cache_version else None,
            ),
            template=panel.template,
            get_context=lambda panel=panel: panel.get_context(request, key),
            mark=f"panel-{panel.name}",
        )
        for panel in registry.panels_for(page)
    ]


def page_panels(request: HttpRequest, page: str, key: str, *, shared: bool = False) -> list[str]:
    """The panels other sections registered for one page (see registry.PagePanel), rendered.
    `shared`: the page is kept for the reader's kind, and its view names panel_parts with
    shared_panels; a panel made for each reader is left as a mark."""
    fragments = _panel_fragments(request, page, key)
    return [html for html in render_fragments(request, fragments, shared=shared) if html]


def panel_parts(
    request: HttpRequest, page: str, key: str, marks: tuple[str, ...]
) -> dict[str, str] | None:
    """A reader's own panels on a shared page (see page_panels)."""
    return fragment_parts(request, _panel_fragments(request, page, key), marks)


def shared_panels(response: HttpResponse, page: str, key: str, panels: list[str]) -> HttpResponse:
    """Keep a page with panels for every signed-in reader of its kind: the panels left as marks
    are filled for each reader (panel_parts)."""
    from portal.page_cache import shared_with_readers

    return shared_with_readers(response, "portal.caching.panel_parts", page, key, marks_in(panels))
