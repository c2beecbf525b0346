"""Fragments of docs pages kept in the cache (Redis) and dropped by the services that change them.

A section's navigation (every page title of a section, for a version and language) costs one
query and a loop over its pages; it is built once per change of the docs instead of per request.
All keys carry a generation number that docs_app.services bumps after every committed save.

A page and the docs' index are kept rendered too (`rendered`): their keys carry the docs'
generation and the catalogue's (downloads/caching.py, bumped whenever a release's files are
added, published or withdrawn), so an edit, a new release and a withdrawal each show at once.
Everything is kept through portal.caching, like every section's page parts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from docs_app import querysets
from docs_app.models import Section
from downloads.caching import CATALOGUE
from portal.caching import Generation, digest, kept, kept_key, stamp

DOCS = Generation("docs")
TIMEOUT = 24 * 3600


def generation() -> int:
    return DOCS.current()


def bump_generation_on_commit() -> None:
    DOCS.bump_on_commit()


# Bounds what no service announces (a section or a board renamed in the admin).
RENDERED_TIMEOUT = 600


def rendered(kind: str, vary: tuple[str, ...], build: Callable[[], dict]) -> dict:
    """Rendered parts of a page, built once per change of the docs or the catalogue.

    `vary` names everything else the parts depend on (version, language, page, the reader's
    role); it is hashed, as a version or slug from the address may hold any character.
    `build` may raise Http404: nothing is kept then.
    """
    key = kept_key(f"docs:{kind}:{digest(*vary)}", stamp(DOCS, CATALOGUE))
    return kept(key, build, timeout=RENDERED_TIMEOUT)


@dataclass(frozen=True)
class SectionNav:
    """A section's pages for a version and language: (slug, title) in order, and their list."""

    outline: list[tuple[str, str]]
    html: str
    base: str

    def marked(self, current: str) -> str:
        """The list with the current page marked."""
        link = f'href="{self.base}{current}/"'
        marked = self.html.replace(link, f'{link} aria-current="page"', 1)
        # Our own rendered list, with one fixed attribute added.
        return mark_safe(marked)  # noqa: S308  # nosec B308 B703

    def neighbours(self, current: str) -> tuple[tuple[str, str] | None, tuple[str, str] | None]:
        slugs = [slug for slug, _title in self.outline]
        if current not in slugs:
            return None, None
        index = slugs.index(current)
        previous = self.outline[index - 1] if index > 0 else None
        following = self.outline[index + 1] if index + 1 < len(self.outline) else None
        return previous, following


def section_nav(*, section: Section, version: str, language: str) -> SectionNav:
    key = kept_key(f"docs:nav:{section.pk}:{digest(version, language)}", generation())

    def build() -> SectionNav:
        pages = querysets.pages_for(version=version, language=language, section=section)
        outline = [(p.slug, p.title) for p in pages]
        base = reverse("docs_app:page", args=[version, section.slug, "x"])[: -len("x/")]
        items = format_html_join(
            "", '<li><a href="{}{}/">{}</a></li>', ((base, s, t) for s, t in outline)
        )
        return SectionNav(outline=outline, html=str(format_html("<ul>{}</ul>", items)), base=base)

    return kept(key, build, timeout=TIMEOUT)


INDEX_PAGES_PER_SECTION = 12
PAGES_PER_TAG = 20


@dataclass(frozen=True)
class SectionContents:
    slug: str
    title: str
    description: str
    pages: list[tuple[str, str]]  # (slug, title) of the first pages
    count: int  # all pages of the section


@dataclass(frozen=True)
class Contents:
    """What the docs' index shows of a version: the first pages of each section, by tag."""

    sections: list[SectionContents]
    by_tag: dict[str, list[tuple[str, str, str]]]  # tag -> (section slug, slug, title)


def contents(*, version: str, language: str) -> Contents:
    """The table of contents of a version in a language, sections in order (cached)."""
    key = kept_key(f"docs:contents:{digest(version, language)}", generation())

    def build() -> Contents:
        grouped: dict[str, tuple[Section, list[tuple[str, str]]]] = {}
        by_tag: dict[str, list[tuple[str, str, str]]] = {}
        for page in querysets.pages_for(version=version, language=language):
            section = page.section
            grouped.setdefault(section.slug, (section, []))[1].append((page.slug, page.title))
            for tag in {t.lower() for t in page.tags}:
                tagged = by_tag.setdefault(tag, [])
                if len(tagged) < PAGES_PER_TAG:
                    tagged.append((section.slug, page.slug, page.title))
        return Contents(
            sections=[
                SectionContents(
                    slug=slug,
                    title=section.title_in(language),
                    description=section.description,
                    pages=pages[:INDEX_PAGES_PER_SECTION],
                    count=len(pages),
                )
                for slug, (section, pages) in grouped.items()
            ],
            by_tag=by_tag,
        )

    return kept(key, build, timeout=TIMEOUT)
