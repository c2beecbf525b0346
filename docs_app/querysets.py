"""Reads of the docs: every view, feed, sitemap and search goes through these."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Case, F, Func, Q, QuerySet, TextField, Value, When
from django.utils import timezone
from django.utils.html import escape

from docs_app.models import LATEST, Page, PageRevision, Section
from downloads.models import Board, Release
from portal.search import (
    CANDIDATES,
    ELLIPSIS,
    PERIODS,
    SNIPPET_TEXT,
    FacetFields,
    SearchFilters,
    SearchQueryOnce,
    SectionCounts,
    SectionSQL,
    candidates,
    cut_at_word,
    facet_columns,
    kept_search,
    narrow,
    tally,
    whole_words,
)

SEARCH_CONFIG = "english"
# A board's guide has the board's slug (quick-start/d02); a page of a release, its version.
SEARCH_FACETS = FacetFields(date="updated_at", board="slug", release="release__version")
# Unlikely characters that mark matches in headlines before the text is escaped.
_START, _STOP = "\x02", "\x03"
# A hit's headline is made from its whole page up to SNIPPET_TEXT bytes (as the other sections'
# are from their documents' first SNIPPET_TEXT characters), and from SNIPPET_WINDOW characters of
# a longer one, starting SNIPPET_LEAD before the place its headline is likely to be: PostgreSQL
# parses every character it is given (about 0.25 µs each), and a board's manual runs to tens of
# thousands.
SNIPPET_WINDOW = 1200
SNIPPET_LEAD = 200


def sections() -> QuerySet[Section]:
    return Section.objects.all()


def public_pages() -> QuerySet[Page]:
    """Pages anyone may read: the "latest" pages and those of published releases. A page written
    for a draft (or withdrawn) release reaches no reader, feed, sitemap or search through here."""
    return Page.objects.filter(
        Q(release__isnull=True) | Q(release__status=Release.Status.PUBLISHED)
    )


@dataclass(frozen=True)
class Version:
    version: str
    is_prerelease: bool


def published_versions() -> list[Version]:
    """Published releases, newest first (one query)."""
    rows = (
        Release.objects.filter(status=Release.Status.PUBLISHED)
        .order_by("-published_at", "-pk")
        .values_list("version", "is_prerelease")
    )
    return [Version(version=v, is_prerelease=p) for v, p in rows]


def latest_version(versions: list[Version]) -> str | None:
    return next((v.version for v in versions if not v.is_prerelease), None)


def _release_filter(version: str) -> Q:
    """Pages that serve `version`: its own and the latest pages."""
    if version == LATEST:
        return Q(release__isnull=True)
    return Q(release__isnull=True) | Q(release__version=version)


def _preference(page: Page, *, version: str, language: str) -> tuple[int, int]:
    own_release = 0 if (page.release_id is not None) == (version != LATEST) else 1
    own_language = 0 if page.language == language else 1
    return (own_language, own_release)


def find_page(*, section: str, slug: str, version: str, language: str) -> Page | None:
    """The page a reader of `version` in `language` sees, falling back to "latest" and English.

    One query: the candidates (at most four) are fetched together and the best one is kept.
    """
    languages = {language, Page.Language.ENGLISH}
    candidates = list(
        public_pages()
        .filter(_release_filter(version), section__slug=section, slug=slug)
        .filter(language__in=languages)
        .select_related("section", "release", "parent__section", "parent__parent__section")
        .order_by()
    )
    if not candidates:
        return None
    return min(candidates, key=lambda p: _preference(p, version=version, language=language))


def _best_per_slug(pages: list[Page], *, version: str, language: str) -> list[Page]:
    best: dict[tuple[int, str], Page] = {}
    for page in pages:
        key = (page.section_id, page.slug)
        current = best.get(key)
        if current is None or _preference(page, version=version, language=language) < (
            _preference(current, version=version, language=language)
        ):
            best[key] = page
    return sorted(best.values(), key=lambda p: (p.section.order, p.order, p.title))


def pages_for(*, version: str, language: str, section: Section | None = None) -> list[Page]:
    """The table of contents for a version: one page per slug, in order (one query)."""
    pages = (
        public_pages()
        .filter(_release_filter(version))
        .filter(language__in={language, Page.Language.ENGLISH})
    )
    if section is not None:
        pages = pages.filter(section=section)
    pages = pages.select_related("section").only(
        "section__slug", "section__title", "section__title_zh", "section__order",
        "section__description", "slug",
        "title", "order", "tags", "language", "release_id", "parent_id",
    )  # fmt: skip
    return _best_per_slug(list(pages), version=version, language=language)


def page_revisions(page: Page) -> QuerySet[PageRevision]:
    return page.revisions.select_related("author")


def recently_changed(limit: int = 30) -> QuerySet[Page]:
    return (
        public_pages()
        .select_related("section", "release", "updated_by")
        .order_by("-updated_at")[:limit]
    )


def sitemap_pages() -> QuerySet[Page]:
    return (
        public_pages()
        .select_related("section", "release")
        .order_by("section__order", "order", "pk")
    )


def pages_with_references() -> QuerySet[Page]:
    return (
        Page.objects.exclude(artifact_refs=[])
        .select_related("section", "release")
        .order_by("section__order", "order", "pk")
    )


@dataclass(frozen=True)
class DocHit:
    page: Page
    snippet: str  # safe HTML: the text escaped, matches in <mark>


def _safe_headline(text: str) -> str:
    return escape(text).replace(_START, "<mark>").replace(_STOP, "</mark>")


def _one_per_page(pages: list[Page], *, version: str, language: str) -> list[Page]:
    """One hit per page, in rank order: the version's own page and the reader's language first."""
    best: dict[tuple[int, str], Page] = {}
    for page in pages:
        key = (page.section_id, page.slug)
        if key not in best or _preference(page, version=version, language=language) < (
            _preference(best[key], version=version, language=language)
        ):
            best[key] = page
    return [page for page in pages if best[(page.section_id, page.slug)] is page]


def _ranked(pages: QuerySet[Page], query: str, limit: int) -> QuerySet[Page]:
    """The best `limit` of at most CANDIDATES pages the query matches, the latest first (see
    candidates: a common word costs what a rare one does), each with its rank, and the window
    of its text a headline is made from with that headline (PostgreSQL makes them for these
    pages only)."""
    search_query = SearchQuery(query, search_type="websearch", config=SEARCH_CONFIG)
    return (
        candidates(pages.filter(search_vector=search_query), SEARCH_FACETS)
        .annotate(rank=SearchRank(F("search_vector"), search_query))
        .annotate(
            headline_window=HeadlineWindow("text", query),
            headline=SearchHeadline(
                HeadlineWindow("text", query),
                search_query,
                config=SEARCH_CONFIG,
                start_sel=_START,
                stop_sel=_STOP,
                max_words=35,
                min_words=15,
            ),
        )
        .order_by("-rank", "title")[:limit]
    )


# Where in a text (SQL, {text}) the query's rarest word first begins a word (its stem, so that
# "booting" finds "boot"), or 1 where none does: the window of a headline starts near it, so the
# word that sets the page apart is marked, and commoner ones are likely near (the window around
# the first "disk" of a guide may not reach "seagate"). Its parameters: the search config and
# the query as typed. Each word's characters are escaped for the pattern.
_FIRST_MATCH_SQL = (
    "coalesce((SELECT at FROM ("
    "SELECT regexp_instr({text}, pattern, 1, 1, 0, 'i') AS at,"
    " regexp_count({text}, pattern, 1, 'i') AS times FROM ("
    "SELECT '\\m' || regexp_replace(word, '([^[:alnum:]])', '\\\\\\1', 'g') AS pattern"
    " FROM unnest(tsvector_to_array(to_tsvector(%s::regconfig, %s))) AS word) AS words"
    ") AS found WHERE at > 0 ORDER BY times, at LIMIT 1), 1)"
)


def _whole_sql(text: str) -> str:
    """SQL: whether the page's text (SQL) is headlined whole. By its bytes, which PostgreSQL
    knows without reading a compressed text: each time a row's text is read, it is unpacked."""
    return f"octet_length({text}) <= {SNIPPET_TEXT}"


def _window_start_sql(text: str) -> str:
    """SQL of where the headline window of `text` (SQL) starts; two parameters, the search
    config and the query as typed."""
    first = _FIRST_MATCH_SQL.format(text=text)
    return f"CASE WHEN {_whole_sql(text)} THEN 1 ELSE greatest(1, {first} - {SNIPPET_LEAD}) END"


def _window_sql(text: str, start: str) -> str:
    """SQL of the headline window of `text` (SQL) that starts at `start` (SQL): the whole text,
    or SNIPPET_WINDOW characters and one more when the text goes on (see _snippet)."""
    length = f"CASE WHEN {_whole_sql(text)} THEN {SNIPPET_TEXT} ELSE {SNIPPET_WINDOW + 1} END"
    return f"substr({text}, {start}, {length})"


class HeadlineWindow(Func):
    """The part of a page's text (a column) its headline is made from (_window_start_sql)."""

    output_field = TextField()

    def __init__(self, column: str, query: str) -> None:
        super().__init__(F(column))
        self.query = query

    def as_sql(self, compiler, connection, **extra):  # type: ignore[override]
        text, _params = compiler.compile(self.source_expressions[0])  # a column: no parameters
        return _window_sql(text, _window_start_sql(text)), [SEARCH_CONFIG, self.query]


def _snippet(page: Page) -> str:
    """A hit's headline (made from its window) as safe HTML, with "…" where the page goes on:
    before the window when it starts past the first character, after it when `headline_more`."""
    snippet = whole_words(page.headline, page.headline_window, start=_START, stop=_STOP)
    if page.headline_from > 1 and not snippet.startswith(ELLIPSIS):
        snippet = ELLIPSIS + snippet
    if page.headline_more and not snippet.endswith(ELLIPSIS):
        snippet += ELLIPSIS
    return _safe_headline(snippet)


def _hits(pages: list[Page], *, version: str, language: str) -> list[DocHit]:
    found = _one_per_page(pages, version=version, language=language)
    return [DocHit(page=p, snippet=_snippet(p)) for p in found]


def search_pages(
    *,
    query: str,
    version: str = LATEST,
    section: str = "",
    language: str = "",
    limit: int = 20,
    filters: SearchFilters | None = None,
) -> list[DocHit]:
    """Pages matching `query`, best first: PostgreSQL full text, or a plain match elsewhere.
    `filters` (the site search's facets): a release's pages, a board's guide, recent changes."""
    query = query.strip()
    if not query:
        return []
    if filters is not None:
        version = filters.release or version
        filters = SearchFilters(board=filters.board, period=filters.period)
    pages = public_pages().select_related("section", "release").filter(_release_filter(version))
    pages = narrow(pages, SEARCH_FACETS, filters)
    if section:
        pages = pages.filter(section__slug=section)
    if language:
        # The reader's language and English; a page in both shows once (see _one_per_page).
        pages = pages.filter(language__in={language, Page.Language.ENGLISH})
    pages = pages.defer("source", "html", "toc")
    if connection.vendor == "postgresql":
        hits = _ranked(pages, query, limit).select_related("section", "release")
        found = list(hits.defer("source", "html", "toc"))
        for page in found:  # where its window lies in its text, which is here (see _snippet)
            page.headline_from = page.text.find(page.headline_window) + 1
            page.headline_more = page.headline_from - 1 + len(page.headline_window) < len(page.text)
        return _hits(found, version=version, language=language or "en")
    words = query.split()
    condition = Q()
    for word in words:
        condition &= Q(title__icontains=word) | Q(text__icontains=word)
    found = list(pages.filter(condition).order_by("title")[:limit])
    # Pages with more of the words in their title first (sort is stable: then by title).
    found.sort(key=lambda p: -sum(w.lower() in p.title.lower() for w in words))
    found = _one_per_page(found, version=version, language=language or "en")
    return [DocHit(page=p, snippet=escape(cut_at_word(p.text, 200))) for p in found]


def _facet_pages(*, query: str, language: str, filters: SearchFilters | None) -> QuerySet[Page]:
    """The pages the site search counts (at most CANDIDATES)."""
    return candidates(
        _matching_pages(query=query, language=language, filters=filters), SEARCH_FACETS
    )


def _matching_pages(*, query: str, language: str, filters: SearchFilters | None) -> QuerySet[Page]:
    """The pages the site search finds: the versions search_pages lists, in the reader's
    language and English; docs_page_search_gin serves the match."""
    version = (filters.release if filters else "") or LATEST
    narrowing = SearchFilters(board=filters.board, period=filters.period) if filters else None
    pages = public_pages().filter(
        _release_filter(version), language__in={language, Page.Language.ENGLISH}
    )
    if connection.vendor == "postgresql":
        search_query = SearchQuery(query, search_type="websearch", config=SEARCH_CONFIG)
        pages = pages.filter(search_vector=search_query)
    else:
        pages = pages.filter(Q(title__icontains=query) | Q(text__icontains=query))
    return narrow(pages, SEARCH_FACETS, narrowing)


_FACET_COLUMNS = ("section_id", "slug", "release__version", "updated_at")


def _count(rows: list) -> SectionCounts:
    """Counts of _facet_pages' rows: a page written in two languages counted once."""
    counts = SectionCounts()
    seen = set()
    now = timezone.now()
    for section_id, slug, release, updated_at in rows:
        if (section_id, slug) in seen:
            continue
        seen.add((section_id, slug))
        counts.total += 1
        counts.boards[slug] += 1  # the search page names only the slugs that are boards
        if release:
            counts.releases[release] += 1
        if isinstance(updated_at, str):  # read through JSON
            updated_at = datetime.datetime.fromisoformat(updated_at)
        for name, (span, _label) in PERIODS.items():
            if updated_at >= now - span:
                counts.periods[name] += 1
    counts.capped = len(rows) >= CANDIDATES
    return counts


def search_facets(*, query: str, language: str, filters: SearchFilters | None) -> SectionCounts:
    """The site search's counts of what search_pages would list: the same versions, and a page
    written in two languages counted once (one query over at most CANDIDATES matches)."""
    pages = _facet_pages(query=query, language=language, filters=filters)
    return _count(list(pages.values_list(*_FACET_COLUMNS)))


# The site search's docs in one pass over the matches (search_sql): at most CANDIDATES
# pages counted (candidates), the best `limit` of them with a headline.
_SEARCH_SQL = """WITH found AS MATERIALIZED ({found})
SELECT json_build_object(
    'counts', (  -- a page written in two languages counted once
        SELECT json_agg(counted) FROM (
            SELECT facet_board, facet_release, facet_age, count(*) AS n
            FROM (
                SELECT min(facet_board) AS facet_board, min(facet_release) AS facet_release,
                    min(facet_age) AS facet_age
                FROM found GROUP BY section_id, slug
            ) page GROUP BY 1, 2, 3
        ) counted
    ),
    'found', (SELECT count(*) FROM found),
    'hits', (SELECT json_agg(h ORDER BY h.rank DESC, h.title) FROM (
        SELECT f.*, s.slug AS section_slug, s.title AS section_title, w.headline_from,
            w.headline_whole, {window} AS headline_window,
            ts_headline(%s::regconfig, {window},
                (SELECT websearch_to_tsquery(%s::regconfig, %s)), %s) AS headline
        FROM (SELECT * FROM found ORDER BY rank DESC, title LIMIT {limit}) f
        JOIN {page} p ON p.id = f.id JOIN {section} s ON s.id = f.section_id
        CROSS JOIN LATERAL (  -- OFFSET 0: found once per page, not once per use
            SELECT {start} AS headline_from, {whole} AS headline_whole OFFSET 0
        ) w
    ) h)
)"""
_FOUND_COLUMNS = (
    "id", "section_id", "slug", "release_id", "language", "title", "updated_at",
    "release_version", "rank", "facet_board", "facet_release", "facet_age",
)  # fmt: skip


def search_sql(
    *, query: str, language: str, limit: int, filters: SearchFilters | None, user=None
) -> SectionSQL | None:
    """The site search's counts and hits (search_facets and search_pages) as one JSON value
    of the search page's one query (PostgreSQL; None elsewhere)."""
    if connection.vendor != "postgresql" or not query.strip():
        return None
    version = (filters.release if filters else "") or LATEST

    def build(values: list[str], filters: SearchFilters) -> tuple[str, list] | None:
        # The matches search_facets counts (candidates: at most CANDIDATES, the latest first).
        found = candidates(
            _matching_pages(query=values[0], language=language, filters=filters), SEARCH_FACETS
        ).annotate(
            rank=SearchRank(
                F("search_vector"),
                SearchQueryOnce(values[0], search_type="websearch", config=SEARCH_CONFIG),
            ),
            release_version=F("release__version"),
            **facet_columns(SEARCH_FACETS) | {"facet_board": _board_slug()},
        )
        found = found.values(*_FOUND_COLUMNS).order_by()
        found_sql, found_params = found.query.sql_with_params()
        sql = _SEARCH_SQL.format(
            found=found_sql,
            limit=int(limit),
            page=Page._meta.db_table,
            section=Section._meta.db_table,
            window=_window_sql("p.text", "w.headline_from"),
            start=_window_start_sql("p.text"),
            whole=_whole_sql("p.text"),
        )
        options = f"StartSel={_START}, StopSel={_STOP}, MaxWords=35, MinWords=15"
        headline = [SEARCH_CONFIG, SEARCH_CONFIG, values[0], options]
        return sql, [*found_params, *headline, SEARCH_CONFIG, values[0]]

    try:
        built = kept_search(("docs", language, limit), "everyone", filters, build, [query])
    except EmptyResultSet:  # narrowed to nothing
        return None

    def read(value: dict | None) -> tuple[SectionCounts, list[DocHit]]:
        value = value or {}
        pages = [_page(row) for row in value.get("hits") or []]
        counts = tally(value.get("counts") or [])
        counts.capped = (value.get("found") or 0) >= CANDIDATES  # before two languages are one
        return counts, _hits(pages, version=version, language=language)

    return SectionSQL(built[0], built[1], read)


def _board_slug() -> Case:
    """A page's slug where it is a board's, else "": the board facet names only boards, and
    the counts then hold a row for each board, not one for each page (19 KB of them for a
    common word)."""
    boards = Board.objects.values("slug")
    return Case(When(slug__in=boards, then=F("slug")), default=Value(""))


def _page(row: dict) -> Page:
    """A hit's page from its JSON row, with the section and release its address names."""
    page = Page(**{name: row[name] for name in _FOUND_COLUMNS[:6]})
    for name in ("headline", "headline_from", "headline_window"):
        setattr(page, name, row[name])
    page.headline_more = not row["headline_whole"] and len(page.headline_window) > SNIPPET_WINDOW
    page.section = Section(
        id=row["section_id"], slug=row["section_slug"], title=row["section_title"]
    )
    if row["release_id"]:
        page.release = Release(id=row["release_id"], version=row["release_version"])
    return page


def start_here(limit: int = 6) -> list[Page]:
    """The home page's docs block: the latest English quick starts."""
    return list(
        Page.objects.filter(
            release__isnull=True,
            language=Page.Language.ENGLISH,
            section__slug="quick-start",
        )
        .select_related("section")
        .only("slug", "title", "section__slug")
        .order_by("order", "title")[:limit]
    )


def release_guides_markdown(release: Release, limit: int = 12) -> str:
    """Markdown links to the guides of a release's boards (pages tagged with a board's slug),
    as the release's own version of each page, for its announcement (one or two queries)."""
    from django.utils.translation import gettext

    slugs = set(release.artifacts.filter(board__isnull=False).values_list("board__slug", flat=True))
    pages = [
        page
        for page in pages_for(version=release.version, language=Page.Language.ENGLISH)
        if slugs & {str(t).lower() for t in page.tags}
    ][:limit]
    if not pages:
        return ""
    lines = ["## " + gettext("Guides"), ""]
    lines += [f"- [{p.title}]({p.get_absolute_url(version=release.version)})" for p in pages]
    return "\n".join(lines)
