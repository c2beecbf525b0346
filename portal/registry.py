"""What the sections register with the site, the way the admin discovers admin.py.

`portal` never imports a section: each app calls these functions from its AppConfig.ready(),
and the home page, the search page, the feeds index and `seed_demo` iterate what was registered.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any

from django.http import HttpRequest


@dataclass(frozen=True)
class HomeBlock:
    """A block on the home page: a template and a function giving its context.

    `cache_version(request)` makes the rendered block cacheable: it returns what the block
    depends on (a generation number, say), or None where this reader must get it fresh (a
    signed-in reader who may see private topics, for instance). Such a block is a reader mark
    on the page shared by the signed-in readers of one kind, rendered for each reader until
    their reader_state or the page moves (portal.caching.fragment_parts): what it shows must
    change with a save of a site model or of the reader's state. A version that moves must move
    with a Generation's bump: signed-out readers get whole pages kept under the site-wide
    generation every bump moves.
    """

    name: str
    template: str
    get_context: Callable[[HttpRequest], dict[str, Any]]
    order: int = 100
    cache_version: Callable[[HttpRequest], object | None] | None = None


@dataclass(frozen=True)
class PagePanel:
    """A block a section adds to another section's page, below that page's own body.

    `page` names the page: "board" (its key is the board's slug) or "release" (the version);
    for release managers, "manage" (key "") and "manage-release" (the version).
    `get_context(request, key)` returns the template's context, or None to show nothing;
    `cache_version(request, key)` works as HomeBlock's does: a panel made for each reader (a
    watch button, the bugs they may read) is a reader mark on the shared signed-in board and
    release pages, filled for each reader; a form in it prints `{% csrf_token %}` as usual.
    """

    name: str
    page: str
    template: str
    get_context: Callable[[HttpRequest, str], dict[str, Any] | None]
    order: int = 100
    cache_version: Callable[[HttpRequest, str], object | None] | None = None


@dataclass(frozen=True)
class FeedGroup:
    """A section's Atom feeds for the feeds page: `feeds()` returns (title, URL) pairs of feeds
    anyone may read (feed readers come without a session)."""

    name: str
    label: str
    feeds: Callable[[], Iterable[tuple[str, str]]]
    order: int = 100


@dataclass(frozen=True)
class Seeder:
    """Demo data of one section; `seed_demo` runs them by order, each idempotent."""

    name: str
    run: Callable[[Callable[[str], None]], None]
    order: int = 100


@dataclass(frozen=True)
class SearchHit:
    """One result on the search page; `snippet` is safe HTML (matches wrapped in <mark>)."""

    title: str
    url: str
    snippet: str = ""
    meta: str = ""


@dataclass(frozen=True)
class SearchProvider:
    """One section's search: `search(query=, user=, limit=, filters=)` returns SearchHits the user
    may see; `facets(query=, user=, filters=)` counts them (a portal.search.SectionCounts) in one
    query, for the search page's facets. `filters` is a portal.search.SearchFilters or None.
    `answer(query=, user=, limit=, filters=)`, where given, returns both (counts, hits) at
    once, in fewer queries than the two apart. `sql(query=, user=, limit=, filters=)`, where
    given, returns a portal.search.SectionSQL (or None where it cannot): the search page asks
    every section's in one query. `generation` is the section's
    portal.caching.Generation, bumped by every change of what its
    search finds: the search page keeps its answers under it. `rights(user)` names what of the
    reader decides what the section finds for them: readers of equal rights find the same, so
    the search page keeps one answer for them all, and asks the section as a signed-out reader
    for whoever has a signed-out reader's rights. None (or no `rights`): what this reader finds
    is theirs alone, asked each time."""

    name: str
    label: str
    search: Callable[..., Iterable[Any]]
    order: int = 100
    facets: Callable[..., Any] | None = None
    answer: Callable[..., tuple[Any, Iterable[Any]]] | None = None
    generation: Any = None
    sql: Callable[..., Any] | None = None
    rights: Callable[[Any], Hashable | None] | None = None


@dataclass(frozen=True)
class ProfileSection:
    """A block on a person's profile page: `get_context(request, person)` must show only what
    the viewer may read."""

    name: str
    template: str
    get_context: Callable[[HttpRequest, Any], dict[str, Any]]
    order: int = 100


@dataclass(frozen=True)
class TimelineItem:
    """One thing a person did, for their profile's timeline."""

    date: Any  # an aware datetime
    kind: str  # what it was, as the reader sees it: "started a topic", "filed a bug"
    title: str
    url: str
    where: str = ""  # the category, list or board it happened in


@dataclass(frozen=True)
class TimelineSource:
    """A section's part of a profile's timeline: `items(viewer=, person=, limit=)` returns at
    most `limit` TimelineItems, newest first, only those `viewer` may read, in one or two
    queries (the profile merges every source and pages through the result)."""

    name: str
    items: Callable[..., Iterable[TimelineItem]]


@dataclass(frozen=True)
class PublishCheck:
    """A section's word before a release is published: `check(release)` returns what a person
    must knowingly accept (a failed boot test, say), or nothing. Publishing asks first, and the
    release's notes keep what was accepted."""

    name: str
    check: Callable[[Any], list[str]]


@dataclass
class ReleaseEvent:
    """What the catalogue tells the site when a release is published or withdrawn.

    portal knows no Release: `release` is handed to the listeners as it is. `watched` are the
    objects whose watchers hear of it, most specific first (its boards, then "the releases").
    Listeners add to `links` (name -> URL, e.g. "topic") what later ones and the mail may show.
    """

    kind: str  # "published" or "withdrawn"
    release: Any
    title: str
    url: str
    notes: str  # Markdown: the release notes and the catalogue's own lines (boards, files)
    watched: list[Any]
    actor: Any | None = None
    reason: str = ""
    replacement: tuple[str, str] | None = None  # (title, URL)
    news: Any | None = None  # the news item, once made
    links: dict[str, str] = field(default_factory=dict)
    more: list[str] = field(default_factory=list)  # Markdown listeners add below the news


@dataclass(frozen=True)
class ReleaseListener:
    """A section's part in a release's story (the forum opens its topic, the docs and the
    tracker add their guides and fixed bugs to the announcement).

    `notes(release)` returns Markdown added to the announcement; `published(event)` and
    `withdrawn(event)` run inside the publishing transaction: raising undoes the whole publish.
    """

    name: str
    notes: Callable[[Any], str] | None = None
    published: Callable[[ReleaseEvent], None] | None = None
    withdrawn: Callable[[ReleaseEvent], None] | None = None
    order: int = 100


@dataclass
class Registry:
    home_blocks: dict[str, HomeBlock] = field(default_factory=dict)
    seeders: dict[str, Seeder] = field(default_factory=dict)
    search_providers: dict[str, SearchProvider] = field(default_factory=dict)
    profile_sections: dict[str, ProfileSection] = field(default_factory=dict)
    timeline_sources: dict[str, TimelineSource] = field(default_factory=dict)
    page_panels: dict[str, PagePanel] = field(default_factory=dict)
    publish_checks: dict[str, PublishCheck] = field(default_factory=dict)
    feed_groups: dict[str, FeedGroup] = field(default_factory=dict)
    release_listeners: dict[str, ReleaseListener] = field(default_factory=dict)
    # name -> a django.contrib.sitemaps Sitemap class listing the section's public pages
    sitemaps: dict[str, Any] = field(default_factory=dict)

    def sorted_home_blocks(self) -> list[HomeBlock]:
        return sorted(self.home_blocks.values(), key=lambda b: (b.order, b.name))

    def sorted_seeders(self) -> list[Seeder]:
        return sorted(self.seeders.values(), key=lambda s: (s.order, s.name))

    def sorted_search_providers(self) -> list[SearchProvider]:
        return sorted(self.search_providers.values(), key=lambda p: (p.order, p.name))

    def sorted_profile_sections(self) -> list[ProfileSection]:
        return sorted(self.profile_sections.values(), key=lambda p: (p.order, p.name))

    def sorted_feed_groups(self) -> list[FeedGroup]:
        return sorted(self.feed_groups.values(), key=lambda g: (g.order, g.name))

    def sorted_release_listeners(self) -> list[ReleaseListener]:
        return sorted(self.release_listeners.values(), key=lambda r: (r.order, r.name))

    def panels_for(self, page: str) -> list[PagePanel]:
        panels = (p for p in self.page_panels.values() if p.page == page)
        return sorted(panels, key=lambda p: (p.order, p.name))


registry = Registry()


# Every name deferred() was given: tests import each, so that a misspelt one fails there
# rather than on the page that first calls it.
DEFERRED: list[str] = []


def deferred(target: str) -> Callable[..., Any]:
    """The function `target` names ("forum.querysets.search_sql"), imported at its first call:
    a section's registrations (run by its AppConfig.ready()) name its services without
    importing them."""
    DEFERRED.append(target)
    module, _dot, name = target.rpartition(".")

    def call(*args: Any, **kwargs: Any) -> Any:
        return getattr(import_module(module), name)(*args, **kwargs)

    call.__name__ = call.__qualname__ = name
    return call


def register_home_block(block: HomeBlock) -> None:
    registry.home_blocks[block.name] = block


def register_seeder(seeder: Seeder) -> None:
    registry.seeders[seeder.name] = seeder


def register_search_provider(provider: SearchProvider) -> None:
    registry.search_providers[provider.name] = provider


def register_profile_section(section: ProfileSection) -> None:
    registry.profile_sections[section.name] = section


def register_timeline_source(source: TimelineSource) -> None:
    registry.timeline_sources[source.name] = source


def register_page_panel(panel: PagePanel) -> None:
    registry.page_panels[f"{panel.page}:{panel.name}"] = panel


def register_publish_check(check: PublishCheck) -> None:
    registry.publish_checks[check.name] = check


def publish_objections(release: Any) -> list[str]:
    """What the registered checks say against publishing `release` (empty: nothing)."""
    return [text for check in registry.publish_checks.values() for text in check.check(release)]


def register_release_listener(listener: ReleaseListener) -> None:
    registry.release_listeners[listener.name] = listener


def register_feeds(group: FeedGroup) -> None:
    registry.feed_groups[group.name] = group


def register_sitemap(name: str, sitemap: Any) -> None:
    registry.sitemaps[name] = sitemap
