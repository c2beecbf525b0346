"""What the sections register with the site, the way the admin discovers admin.py.

`portal` never imports a section: each app calls these functions from its AppConfig.ready(),
and the home page, the search page, the feeds index and `seed_demo` iterate what was registered.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest


@dataclass(frozen=True)
class HomeBlock:
    """A block on the home page: a template and a function giving its context.

    `cache_version(request)` makes the rendered block cacheable: it returns what the block
    depends on (a generation number, say), or None where this reader must get it fresh (a
    signed-in reader who may see private topics, for instance).
    """

    name: str
    template: str
    get_context: Callable[[HttpRequest], dict[str, Any]]
    order: int = 100
    cache_version: Callable[[HttpRequest], object | None] | None = None


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
    """One section's search: `search(query=, user=, limit=)` returns SearchHits the user may see."""

    name: str
    label: str
    search: Callable[..., Iterable[Any]]
    order: int = 100


@dataclass(frozen=True)
class ProfileSection:
    """A block on a person's profile page: `get_context(request, person)` must show only what
    the viewer may read."""

    name: str
    template: str
    get_context: Callable[[HttpRequest, Any], dict[str, Any]]
    order: int = 100


@dataclass(frozen=True)
class PagePanel:
    """A block a section adds to another section's page (`page`: "board" keyed by the board's
    slug, "release" keyed by the version, "manage-release" and "manage" for release managers).

    `get_context(request, key)` returns None where the panel shows nothing; `cache_version`
    as for HomeBlock.
    """

    name: str
    page: str
    template: str
    get_context: Callable[[HttpRequest, str], dict[str, Any] | None]
    order: int = 100
    cache_version: Callable[[HttpRequest, str], object | None] | None = None


@dataclass
class Registry:
    home_blocks: dict[str, HomeBlock] = field(default_factory=dict)
    seeders: dict[str, Seeder] = field(default_factory=dict)
    search_providers: dict[str, SearchProvider] = field(default_factory=dict)
    profile_sections: dict[str, ProfileSection] = field(default_factory=dict)
    page_panels: dict[str, PagePanel] = field(default_factory=dict)

    def sorted_home_blocks(self) -> list[HomeBlock]:
        return sorted(self.home_blocks.values(), key=lambda b: (b.order, b.name))

    def sorted_seeders(self) -> list[Seeder]:
        return sorted(self.seeders.values(), key=lambda s: (s.order, s.name))

    def sorted_search_providers(self) -> list[SearchProvider]:
        return sorted(self.search_providers.values(), key=lambda p: (p.order, p.name))

    def sorted_profile_sections(self) -> list[ProfileSection]:
        return sorted(self.profile_sections.values(), key=lambda p: (p.order, p.name))

    def panels_for(self, page: str) -> list[PagePanel]:
        panels = [p for p in self.page_panels.values() if p.page == page]
        return sorted(panels, key=lambda p: (p.order, p.name))


registry = Registry()


def register_home_block(block: HomeBlock) -> None:
    registry.home_blocks[block.name] = block


def register_seeder(seeder: Seeder) -> None:
    registry.seeders[seeder.name] = seeder


def register_search_provider(provider: SearchProvider) -> None:
    registry.search_providers[provider.name] = provider


def register_profile_section(section: ProfileSection) -> None:
    registry.profile_sections[section.name] = section


def register_page_panel(panel: PagePanel) -> None:
    registry.page_panels[panel.name] = panel


def render_page_panels(request: HttpRequest, page: str, key: str) -> list[str]:
    """The HTML of the panels registered for a page, in order (those with no context left out)."""
    from django.core.cache import cache
    from django.template.loader import render_to_string
    from django.utils.translation import get_language

    html = []
    for panel in registry.panels_for(page):
        version = panel.cache_version(request, key) if panel.cache_version else None
        cache_key = f"panel:{panel.name}:{key}:{get_language()}:{version}"
        if version is not None and (kept := cache.get(cache_key)) is not None:
            html.append(kept)
            continue
        context = panel.get_context(request, key)
        rendered = "" if context is None else render_to_string(panel.template, context, request)
        if version is not None:
            cache.set(cache_key, rendered)
        html.append(rendered)
    return [h for h in html if h]
