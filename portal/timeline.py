"""A person's activity across the sections, newest first, in one paged timeline.

Each section registers a TimelineSource (portal/registry.py) that returns only what the
viewer may read. Page n asks every source for its newest n × PER_PAGE items and keeps the
slice for page n: each source costs its one or two queries whatever the page, and the
merge is exact (no item is skipped or repeated at a page boundary).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from portal.registry import TimelineItem, registry

PER_PAGE = 20
MAX_PAGE = 25  # deeper than this, each section's own pages list a person's work


@dataclass(frozen=True)
class TimelinePage:
    items: list[TimelineItem]
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1


def page_number(raw: str | None) -> int:
    """A page number from the query string; nonsense reads as the first page."""
    try:
        number = int(raw or 1)
    except ValueError:
        return 1
    return min(max(number, 1), MAX_PAGE)


def timeline(*, viewer: Any, person: Any, page: int = 1) -> TimelinePage:
    wanted = page * PER_PAGE
    items: list[TimelineItem] = []
    for source in sorted(registry.timeline_sources.values(), key=lambda s: s.name):
        items.extend(source.items(viewer=viewer, person=person, limit=wanted + 1))
    items.sort(key=lambda item: (item.date, item.url), reverse=True)
    start = (page - 1) * PER_PAGE
    return TimelinePage(
        items=items[start:wanted],
        number=page,
        has_next=len(items) > wanted and page < MAX_PAGE,
    )
