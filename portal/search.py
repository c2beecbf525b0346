"""Search across sections: each registers a provider (AppConfig.ready); this page asks them all.

Providers do their own ranking (PostgreSQL full text where available) and their own visibility
filtering through their querysets, so nothing private reaches this page.
"""

from __future__ import annotations

import datetime
import hashlib
import html
import json
import re
from collections import Counter
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.models import AnonymousUser
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.db import connection, connections, router
from django.db.migrations import RunPython
from django.db.models import (
    Case,
    Count,
    DateTimeField,
    ExpressionWrapper,
    F,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.expressions import CombinedExpression
from django.db.models.functions import Coalesce, Now
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from portal import prepared
from portal.page_cache import not_kept_for_signed_out
from portal.ratelimits import rate_limited
from portal.registry import registry

MAX_QUERY_LENGTH = 200
# All sections at once: each one's best few, with its count and a link to see more of it
# ("More in Docs"), which narrows the page to that section and shows more of it. Sections that
# are not shown are asked for their counts only.
OVERVIEW_HITS = 5
SECTION_HITS = 20
ELLIPSIS = "…"
# Ranking and counting read at most this many matches of a section: a word found in half the
# forum then costs what a rare one does (the counts say "250+", as other sites' searches say
# "1k+"). 1,000 made the bench's p95 half again as slow (bench_search.py).
CANDIDATES = 250
# How many of a section's latest rows candidates() looks at first (see there).
RECENT = 2 * CANDIDATES
# Something a full-text or file-name search can use: a letter or a digit.
_SEARCHABLE = re.compile(r"\w")
_FACET_VALUE = re.compile(r"^[\w.+-]{1,100}$")
PERIODS = {
    "week": (datetime.timedelta(days=7), gettext_lazy("Past week")),
    "month": (datetime.timedelta(days=31), gettext_lazy("Past month")),
    "year": (datetime.timedelta(days=366), gettext_lazy("Past year")),
}


@dataclass(frozen=True)
class SearchFilters:
    """What the facets narrow to: a board's slug, a release's version, a period of PERIODS."""

    board: str = ""
    release: str = ""
    period: str = ""

    def since(self) -> CombinedExpression | None:
        """The period's start, counted from the database's clock: the SQL then holds no time of
        its own, and kept_search keeps it."""
        return Now() - Value(PERIODS[self.period][0]) if self.period in PERIODS else None


NO_FILTERS = SearchFilters()


@dataclass(frozen=True)
class FacetFields:
    """Where a section's rows keep their date, board slug and release version (lookup paths);
    None where the section has no such thing (a board filter then leaves it out)."""

    date: str
    board: str | None = None
    release: str | None = None


@dataclass
class SectionCounts:
    """A section's matches counted by facet, over at most CANDIDATES of them."""

    total: int = 0
    capped: bool = False
    boards: Counter = field(default_factory=Counter)
    releases: Counter = field(default_factory=Counter)
    # Cumulative: "year" includes "month", which includes "week".
    periods: Counter = field(default_factory=Counter)


class SearchQueryOnce(SearchQuery):
    """A SearchQuery that PostgreSQL makes once per statement (an InitPlan). The search page's
    query is a prepared statement, which PostgreSQL soon runs on its generic plan: there the
    words are a parameter, and a query made of them in a rank or a hit's row was parsed again
    for each row (the mailing lists' share of a search: p95 6.2 ms parsed per row, 3.4 ms
    once). Docs, forum and bugs keep a plain SearchQuery in their filters: the index reads it
    once, and a custom plan sees the words. The lists' filter takes this one too: beside a rank
    made once, its plain filter planned worse (a mean of 9 ms against 0.6 over 80 queries)."""

    def as_sql(self, compiler, connection, **kwargs):  # type: ignore[override]
        sql, params = super().as_sql(compiler, connection, **kwargs)
        return f"(SELECT {sql})", params


def narrow(queryset: QuerySet, fields: FacetFields, filters: SearchFilters | None) -> QuerySet:
    """A section's matches narrowed to the chosen board, release and period."""
    if filters is None:
        return queryset
    for wanted, path in ((filters.board, fields.board), (filters.release, fields.release)):
        if wanted:
            if path is None:
                return queryset.none()
            queryset = queryset.filter(**{path: wanted})
    since = filters.since()
    if since is not None:
        queryset = queryset.filter(**{f"{fields.date}__gte": since})
    return queryset


# What candidates() compares dates with when a table holds fewer than RECENT rows, and adds to a
# date to keep it out of the index's conditions.
_BEGINNING = datetime.datetime(1, 1, 1, tzinfo=datetime.UTC)
_NO_TIME = Value(datetime.timedelta(0))


def candidates(matches: QuerySet, fields: FacetFields) -> QuerySet:
    """At most CANDIDATES of the matching rows (no ranking yet), the latest first by the
    section's date (`fields.date`: a topic's last post, a thread's last message, a bug filed),
    as a fresh queryset of the model to rank, count or annotate.

    The full-text index gives a word's matches in the table's order, oldest first: the first
    CANDIDATES of a common word were its oldest. So the matches among the RECENT latest rows
    come first, latest first, and older matches fill what they leave. Each section's index
    holds the date beside the document (search_index), so "among the latest" is part of the
    index's scan, and so is a period the search is narrowed to: a common word costs a few
    hundred entries, not all of its matches."""
    model = matches.model
    date = fields.date
    if matches.query.is_empty():  # narrowed to nothing (narrow)
        return model.objects.none()
    if connections[matches.db].vendor != "postgresql":
        # SQLite reads every row for a word anyway (no full-text index), and takes no LIMIT
        # inside a UNION: the latest matches, simply.
        return model.objects.filter(
            pk__in=matches.order_by(F(date).desc(nulls_last=True)).values("pk")[:CANDIDATES]
        )
    # The RECENTth latest date of the table, read from the date's own index; the beginning of
    # time when the table holds fewer rows. Rows of that very date count as older: many rows
    # may share a date (docs imported with their sources' dates), and the latest part sorts
    # what it reads.
    nth_latest = (
        model._base_manager.filter(**{f"{date}__isnull": False})
        .order_by(F(date).desc())
        .values(date)[RECENT - 1 : RECENT]
    )
    recent_after = Coalesce(Subquery(nth_latest), Value(_BEGINNING))
    recent = (
        matches.filter(**{f"{date}__gt": recent_after})
        .order_by(F(date).desc())
        .values("pk")[:CANDIDATES]
    )
    # "+ 0": a filter on the rows the word's scan reads, not a range of dates the index would
    # walk entry by entry (PostgreSQL makes an index condition of a plain `date <= ...`).
    older = (
        matches.alias(older_date=ExpressionWrapper(F(date) + _NO_TIME, DateTimeField()))
        .filter(older_date__lte=recent_after)
        .order_by()
        .values("pk")[:CANDIDATES]
    )
    return model.objects.filter(pk__in=recent.union(older, all=True).order_by()[:CANDIDATES])


def search_index(table: str, name: str, columns: str, reverse_columns: str) -> RunPython:
    """A migration's operation: `name`, the GIN index of `table`, made anew over `columns` (the
    search document, then what candidates() asks for beside it), and over `reverse_columns`
    when the migration is reversed (PostgreSQL only; a date or a key in a GIN index needs
    btree_gin, which portal's migration 0007 creates)."""

    def make(columns: str) -> Callable:
        def run(apps, schema_editor) -> None:
            if schema_editor.connection.vendor == "postgresql":
                schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
                schema_editor.execute(f"CREATE INDEX {name} ON {table} USING gin ({columns})")

        return run

    return RunPython(make(columns), make(reverse_columns))


def _age(fields: FacetFields) -> Case:
    """0 for the past week, 1 the past month, 2 the past year, 3 older (see PERIODS). Counted
    from the database's clock: the SQL then holds no time of its own (kept_sql keeps it)."""
    return Case(
        *(
            When(**{f"{fields.date}__gte": Now() - Value(span)}, then=Value(rank))
            for rank, (span, _label) in enumerate(PERIODS.values())
        ),
        default=Value(len(PERIODS)),
    )


def facet_columns(fields: FacetFields) -> dict:
    """A match's board, release and age (_age) as tally counts them."""
    return {
        "facet_board": F(fields.board) if fields.board else Value(""),
        "facet_release": F(fields.release) if fields.release else Value(""),
        "facet_age": _age(fields),
    }


def tally(rows: Iterable[dict]) -> SectionCounts:
    """SectionCounts of grouped candidates: rows of facet_board, facet_release, facet_age, n."""
    counts = SectionCounts()
    names = list(PERIODS)
    for row in rows:
        n = row["n"]
        counts.total += n
        if row["facet_board"]:
            counts.boards[row["facet_board"]] += n
        if row["facet_release"]:
            counts.releases[row["facet_release"]] += n
        for name in names[row["facet_age"] :]:
            counts.periods[name] += n
    counts.capped = counts.total >= CANDIDATES
    return counts


def facet_rows(matches: QuerySet, fields: FacetFields) -> QuerySet:
    """The candidates grouped by board, release and age: the rows tally counts."""
    return (
        candidates(matches, fields)
        .values(**facet_columns(fields))
        .annotate(n=Count("pk"))
        .order_by()
    )


def count_facets(matches: QuerySet, fields: FacetFields) -> SectionCounts:
    """One query: the candidates grouped by board, release and age."""
    return tally(facet_rows(matches, fields))


# Where a section ranks documents of many rows (a topic's posts, a thread's messages), one query
# answers it: at most CANDIDATES matches, the latest first (candidates), counted by
# facet, and the best `limit` of them by rank, each with the first of its rows the query
# matches (or its first row) and a headline cut from at most SNIPPET_TEXT of that row. The
# rows' own index on (document, order) serves the lateral part.
SNIPPET_TEXT = 3000
_START, _STOP = "\x02", "\x03"
_DOCUMENTS_SQL = """WITH found AS MATERIALIZED ({found}),
counted AS (
    SELECT facet_board, facet_release, facet_age, count(*) AS n FROM found GROUP BY 1, 2, 3
)
SELECT (SELECT json_agg(counted) FROM counted) AS counts, best.*
FROM (SELECT 1) AS one LEFT JOIN LATERAL (
    SELECT r.*, c.*,
        ts_headline(%s::regconfig, left(c.{text}, {cut}), {tsquery}, %s) AS headline
    FROM (SELECT * FROM found ORDER BY rank DESC, {order} DESC LIMIT {limit}) r
    LEFT JOIN LATERAL (
        SELECT {columns} FROM {table} c
        WHERE c.{parent} = r.id AND {condition}
        ORDER BY (c.{vector} @@ {tsquery}) DESC, c.{row_order}
        LIMIT 1
    ) c ON TRUE
) best ON TRUE
ORDER BY best.rank DESC, best.{order} DESC
"""


@dataclass(frozen=True)
class DocumentRows:
    """The rows a section's documents are made of, as _DOCUMENTS_SQL reads them: `table` (its
    alias is c), the column naming the document, the search vector, the order, the text the
    headline is cut from, the columns to return (named apart from the document's) and an SQL
    condition (rows the reader may see, or "TRUE")."""

    table: str
    parent: str
    vector: str
    order: str
    text: str
    columns: str
    condition: str = "TRUE"


@dataclass(frozen=True)
class SectionSQL:
    """A section's part of the search page's one query: `sql` gives one JSON value (None when
    nothing can match) from `params`; `read(value)` makes it (SectionCounts, hits)."""

    sql: str
    params: list
    read: Callable[[Any], tuple[SectionCounts, list]]


def json_rows(sql: str, order: str = "") -> str:
    """The rows of `sql` as one JSON array (NULL when none), in `order` (SQL over alias r)."""
    ordered = f" ORDER BY {order}" if order else ""
    return f"SELECT json_agg(r{ordered}) FROM ({sql}) r"  # noqa: S608  # compiled SQL  # nosec B608


def json_value(value: Any) -> Any:
    """A JSON value as the driver hands it: parsed already, or text."""
    return json.loads(value) if isinstance(value, str) else value


def day(value: Any) -> str:
    """YYYY-MM-DD of a UTC datetime or of its ISO text (dates read through JSON)."""
    return str(value)[:10]


def fetch_json(parts: list[tuple[str, list]], *, generic: bool = True) -> list[Any]:
    """The JSON value of each (SQL, parameters), all in one query (one round trip), on the
    query's generic plan unless told otherwise (see prepared.execute)."""
    if not parts:
        return []
    sql = "SELECT " + ", ".join(f"({part})" for part, _params in parts)
    params = [param for _sql, params in parts for param in params]
    # Where a read-only request reads (portal.replica), as the sections' querysets did.
    with connections[router.db_for_read(None)].cursor() as cursor:
        prepared.execute(cursor, sql, params, generic=generic)
        return [json_value(value) for value in cursor.fetchone()]


def json_of(queryset: QuerySet, order: str = "") -> tuple[str, list]:
    """A queryset's rows as one JSON value (json_rows), with its parameters."""
    sql, params = queryset.query.sql_with_params()
    return json_rows(sql, order), list(params)


def fetch_sections(parts: list[SectionSQL], filters: SearchFilters) -> list[Any]:
    """Every section's JSON value in one query: one round trip for the whole search page. A
    period is a range of dates whose share of the rows only a plan for those dates knows (the
    past week of a years-old archive: a generic plan read every match to keep none)."""
    return fetch_json([(part.sql, part.params) for part in parts], generic=not filters.period)


# SQL kept per process by kept_sql: the querysets are built and compiled once per key (a
# section and the shape of a query), each search then only fills in its words. Bounded: keys
# come from what readers type (how many words, which are long).
_KEPT_SQL: dict[tuple, Any] = {}
_KEPT_SQL_LIMIT = 256
_MARK = "\x01"


def _marker(index: int) -> str:
    return f"{_MARK}{index}{_MARK}"


def _fits(sql: str, params: list, markers: list[str]) -> bool:
    """Whether the words reach the SQL only as parameters (then filling them in is safe)."""
    if _MARK in sql:
        return False
    texts = [p for p in params if isinstance(p, str)]
    if any(_MARK in str(p) for p in params if not isinstance(p, str)):
        return False
    return all(any(m in p for p in texts) for m in markers)


def _fill(param: Any, markers: list[str], values: list[str]) -> Any:
    if not isinstance(param, str) or _MARK not in param:
        return param
    for marker, value in zip(markers, values, strict=True):
        if param == marker:
            return value
    # Inside a pattern (a LIKE of icontains, "%word%"): escaped as the lookup escapes it.
    for marker, value in zip(markers, values, strict=True):
        param = param.replace(marker, connection.ops.prep_for_like_query(value))
    return param


def kept_sql(
    key: tuple | None,
    build: Callable[[list[str]], tuple[str, list] | None],
    values: list[str],
) -> tuple[str, list] | None:
    """`build(values)`'s SQL and parameters, built once per `key` with markers for the values
    (None: built each time, as for signed-in readers, whose rights shape the SQL). `key` must
    name everything but `values` that the SQL depends on."""
    if key is None:
        return build(values)
    kept = _KEPT_SQL.get(key)
    markers = [_marker(i) for i in range(len(values))]
    if kept is None:
        built = build(markers)
        kept = ("built", built) if built is None or _fits(*built, markers) else ("each time",)
        if len(_KEPT_SQL) < _KEPT_SQL_LIMIT:
            _KEPT_SQL[key] = kept
    if kept[0] == "each time":
        return build(values)
    if kept[1] is None:
        return None
    sql, params = kept[1]
    return sql, [_fill(param, markers, values) for param in params]


# No row's key: what kept_exists compiles a reader's question with, in place of their key.
_SOMEONE = -(2**31) + 7


def kept_exists(key: str, build: Callable[[int], QuerySet], pk: int) -> bool:
    """Whether `build(pk)` holds a row: the queryset built and compiled once per process and
    database, with _SOMEONE where the reader's key goes, then run with `pk`. For what every
    signed-in request asks of its reader (their rights), which the ORM took longer to build
    than the database to answer (the bug tracker's: 1.5 of 1.9 ms)."""
    database = router.db_for_read(None)  # where a read-only request reads (fetch_json)
    kept = _KEPT_SQL.get((key, database))
    if kept is None:
        query = build(_SOMEONE).using(database).order_by().values("pk")[:1].query
        sql, params = query.sql_with_params()
        # Kept only where the key reaches the SQL as a parameter, which is then safe to swap.
        fits = _SOMEONE in params and str(_SOMEONE) not in sql
        kept = _KEPT_SQL[(key, database)] = ("kept", sql, list(params)) if fits else ("each time",)
    if kept[0] == "each time":
        return build(pk).exists()
    _kept, sql, params = kept
    with connections[database].cursor() as cursor:
        cursor.execute(sql, [pk if param == _SOMEONE else param for param in params])
        return cursor.fetchone() is not None


def kept_search(
    key: tuple,
    reader: Hashable | None,
    filters: SearchFilters | None,
    build: Callable[[list[str], SearchFilters], tuple[str, list] | None],
    words: list[str],
) -> tuple[str, list] | None:
    """A section's part of the search page, `build(words, filters)`, through kept_sql: the
    words and the board and release it is narrowed to (what readers type) reach the SQL as
    values, so one SQL serves every search of a shape. `key` names the section and whatever
    else its SQL depends on; `reader`, what of the reader shapes it (their groups, say), or
    None where the SQL names the reader (then it is built each time)."""
    filters = filters or NO_FILTERS
    typed = [value for value in (filters.board, filters.release) if value]
    shape = (*key, reader, filters.period, bool(filters.board), bool(filters.release))

    def narrowed(values: list[str]) -> tuple[str, list] | None:
        given = iter(values[len(words) :])
        return build(
            values[: len(words)],
            SearchFilters(
                board=next(given) if filters.board else "",
                release=next(given) if filters.release else "",
                period=filters.period,
            ),
        )

    return kept_sql(None if reader is None else shape, narrowed, [*words, *typed])


def documents_part(
    built: tuple[str, list] | None, hits: Callable[[list[dict]], list]
) -> SectionSQL:
    """A section's SectionSQL from documents_sql's SQL: its counts, and `hits(rows)`."""
    if built is None:
        return SectionSQL("SELECT NULL", [], lambda value: (SectionCounts(), []))

    def read(value: Any) -> tuple[SectionCounts, list]:
        counts, rows = read_documents(value)
        return counts, hits(rows)

    return SectionSQL(built[0], built[1], read)


def documents_sql(
    matches: QuerySet,
    fields: FacetFields,
    rows: DocumentRows,
    *,
    document: str,
    search: SearchQuery,
    values: list[str],
    order: str,
    tsquery: str,
    query: str,
    config: str,
    limit: int,
    max_words: int = 35,
    min_words: int = 15,
) -> tuple[str, list] | None:
    """A section's counts and best hits as one JSON value (see read_documents), or None when
    narrowed to nothing. `matches` are the documents the reader may see that the query matches
    (narrowed), `document` their search vector column, `values` what a hit shows of them (with
    "id"), `order` the column that breaks ties of rank (newest first). `tsquery` is the SQL of
    the query taking one parameter, `query`."""
    found = (
        candidates(matches, fields)
        .annotate(rank=SearchRank(F(document), search), **facet_columns(fields))
        .values(*values, order, "rank", "facet_board", "facet_release", "facet_age")
        .order_by()
    )
    try:
        found_sql, found_params = found.query.sql_with_params()
    except EmptyResultSet:  # narrowed to nothing (a board filter where there are no boards)
        return None
    sql = _DOCUMENTS_SQL.format(
        found=found_sql,
        text=rows.text,
        cut=SNIPPET_TEXT,
        # Made once per statement (see SearchQueryOnce), not for each row of each hit.
        tsquery=f"(SELECT {tsquery})",
        order=order,
        limit=int(limit),
        columns=rows.columns,
        table=rows.table,
        parent=rows.parent,
        condition=rows.condition,
        vector=rows.vector,
        row_order=rows.order,
    )
    options = f"StartSel={_START}, StopSel={_STOP}, MaxWords={max_words}, MinWords={min_words}"
    return (
        json_rows(sql, f"r.rank DESC, r.{order} DESC"),
        [*found_params, config, query, options, query],
    )


def read_documents(value: Any) -> tuple[SectionCounts, list[dict]]:
    """documents_sql's value: the counts, and each hit as a dict of the values, the rows'
    columns and a `headline` (the query marked with _START/_STOP; dates as ISO text)."""
    answer = value or []
    counted = json_value(answer[0]["counts"]) if answer else None
    return tally(counted or []), [hit for hit in answer if hit["id"] is not None]


def marked_snippet(headline: str, text: str) -> str:
    """A headline of raw text as safe HTML: grown to whole words, escaped, matches in <mark>."""
    headline = whole_words(headline, text, start=_START, stop=_STOP)
    return html.escape(headline).replace(_START, "<mark>").replace(_STOP, "</mark>")


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def query_text(request: HttpRequest, *, limit: int = MAX_QUERY_LENGTH) -> str:
    """The `q` a reader typed, as every search takes it: control characters (a NUL, which
    PostgreSQL refuses in any string) dropped, blanks trimmed, at most `limit` characters."""
    return _clean(request.GET.get("q", ""), limit=limit)[0]


def _longest_found(text: str, candidates: list[str], start: int = 0) -> tuple[int, str]:
    for piece in candidates:
        at = text.find(piece, start)
        if at >= 0:
            return at, piece
    return -1, ""


def whole_words(headline: str, text: str, *, start: str, stop: str) -> str:
    """A search headline grown to whole words, with "…" where the text goes on.

    PostgreSQL's ts_headline cuts at token boundaries, which fall inside words such as
    `aarch64-linux-gnu-` or `d02/grub.cfg`; a snippet shown to people starts and ends at spaces.
    `start`/`stop` are the match markers inside headline; text is what it was taken from (the
    headline may have dropped parts of it, such as `<board>`, so only its two ends are sought).
    """
    plain = headline.replace(start, "").replace(stop, "")
    if not plain.strip():
        return headline
    longest = min(len(plain), 60)
    begin, head = _longest_found(text, [plain[:k] for k in range(longest, 0, -1)])
    if begin < 0:
        return headline
    at_end, tail = _longest_found(text, [plain[-k:] for k in range(longest, 0, -1)], start=begin)
    end = at_end + len(tail) if at_end >= 0 else begin + len(head)
    left = begin
    while left > 0 and not text[left - 1].isspace():
        left -= 1
    right = end
    while right < len(text) and not text[right].isspace():
        right += 1
    return (
        (ELLIPSIS if left > 0 else "")
        + text[left:begin]
        + headline
        + text[end:right]
        + (ELLIPSIS if right < len(text) else "")
    )


def cut_at_word(text: str, limit: int) -> str:
    """At most about limit characters of text, ending at a space, with "…" if cut."""
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(None, 1)[0] if " " in text[:limit] else text[:limit]
    return cut.rstrip() + ELLIPSIS


def _clean(query: str, *, limit: int = MAX_QUERY_LENGTH) -> tuple[str, list[str]]:
    """The query as searched, and what the reader should know about how it was taken."""
    notes = []
    query = " ".join(_CONTROL.sub("", query).split())
    if len(query) > limit:
        query = query[:limit].strip()
        notes.append(
            _("Only the first %(count)d characters of your search were used.") % {"count": limit}
        )
    return query, notes


def _facet_value(request: HttpRequest, name: str) -> str:
    value = request.GET.get(name, "").strip()
    return value if _FACET_VALUE.match(value) else ""


def _link(params: dict[str, str], **changes: str) -> str:
    merged = {**params, **changes}
    return "?" + urlencode({k: v for k, v in merged.items() if v})


def _count_label(count: int, capped: bool) -> str:
    """A section's count as shown: "+" when it counted only its CANDIDATES latest matches."""
    return f"{count}+" if capped else str(count)


# Free text: endless addresses, each read once; search has its own limits.
@not_kept_for_signed_out
@rate_limited("search")
def search_view(request: HttpRequest) -> HttpResponse:
    query, notes = _clean(request.GET.get("q", ""))
    providers = registry.sorted_search_providers()
    names = {p.name for p in providers}
    wanted = request.GET.get("section", "")
    wanted = wanted if wanted in names else ""
    filters = SearchFilters(
        board=_facet_value(request, "board"),
        release=_facet_value(request, "release"),
        period=request.GET.get("date", "") if request.GET.get("date", "") in PERIODS else "",
    )
    params = {
        "q": query,
        "section": wanted,
        "board": filters.board,
        "release": filters.release,
        "date": filters.period,
    }
    searchable = bool(query) and bool(_SEARCHABLE.search(query))
    if query and not searchable:
        notes.append(
            _("There is nothing to search for in that: type a word, a file name or a checksum.")
        )
    elif not query and "q" in request.GET:
        notes.append(_("Type what you are looking for: a word, a file name or a checksum."))
    sections, facets = [], []
    if searchable:
        sections, facets = _answer(request, providers, query, wanted, filters, params)
    section_options = [
        {"value": s["name"], "label": s["label"], "count": s["count"], "selected": s["selected"]}
        for s in sections
    ]
    section_facet = _fieldset_html(
        _("Section"), "section", _("All sections"), wanted, section_options
    )
    return render(
        request,
        "portal/search.html",
        {
            "query": query,
            "notes": notes,
            "sections": sections,
            "section_choices_html": _choices_html(providers, wanted),
            "sections_html": mark_safe("".join(s["html"] for s in sections)),  # noqa: S308  # nosec B308 B703
            "facets_html": mark_safe(section_facet + "".join(f["html"] for f in facets)),  # noqa: S308  # nosec B308 B703
            "filters": filters,
            "facets": facets,
            "total": sum(len(s["hits"]) for s in sections if s["shown"]),
            "narrowed": any((wanted, filters.board, filters.release, filters.period)),
            "clear_link": _link({"q": query}),
        },
    )


# How long a kept answer lives at most: the sections' generations make it stale at their first
# change; this bounds what no generation tells (a list made private in the admin, "past week").
ANSWER_TIMEOUT = 300
# Changed with what a kept answer holds, so that no process reads an answer of another shape.
ANSWER_FORMAT = 2


def _answer_keys(
    providers: list, query: str, wanted: str, filters: SearchFilters, rights: list
) -> list:
    """The kept answer's key (the query, the narrowing, the readers' rights, the language and
    every section's generation) and the facets' names' key (_catalogue_names): one round trip
    to the cache."""
    from downloads.caching import CATALOGUE

    generations = {p.generation.key: p.generation for p in providers if p.generation}
    generations[CATALOGUE.key] = CATALOGUE
    known = cache.get_many(list(generations))
    versions = {key: str(known.get(key) or g.current()) for key, g in generations.items()}
    what = "\x1f".join([query, wanted, filters.board, filters.release, filters.period])
    what += "\x1f" + repr(rights)
    digest = hashlib.sha256(what.encode()).hexdigest()[:32]
    sections = ".".join(versions[p.generation.key] for p in providers if p.generation)
    key = f"search:{ANSWER_FORMAT}:{get_language()}:{digest}:{sections}"
    return [key, _names_key(versions[CATALOGUE.key])]


_SIGNED_OUT = AnonymousUser()


def _rights(provider: Any, user: Any) -> Hashable | None:
    """What of the reader decides what the section finds for them (SearchProvider.rights): all
    signed-out readers find the same."""
    if provider.rights is None:
        return None if user.is_authenticated else "signed out"
    return provider.rights(user)


def _answer(
    request: HttpRequest,
    providers: list,
    query: str,
    wanted: str,
    filters: SearchFilters,
    params: dict[str, str],
) -> tuple[list, list]:
    """The sections' hits and counts and the facets, kept for every reader of the same rights:
    a section is asked as a signed-out reader by whoever has a signed-out reader's rights in it
    (then its SQL is theirs too), as the reader otherwise. A reader whose answer is theirs
    alone in some section (a security bug they reported) is answered anew each time."""
    user = request.user
    rights = [_rights(p, user) for p in providers]
    if any(right is None for right in rights):
        return _ask(providers, query, wanted, filters, params, readers=[user] * len(providers))
    signed_out = [_rights(p, _SIGNED_OUT) for p in providers]
    readers = [
        _SIGNED_OUT if mine == theirs else user
        for mine, theirs in zip(rights, signed_out, strict=True)
    ]
    key, names_key = _answer_keys(providers, query, wanted, filters, rights)
    found = cache.get_many([key, names_key])  # the facets' names come along for a new answer
    kept = found.get(key)
    if kept is None:
        names = found.get(names_key)
        kept = _ask(providers, query, wanted, filters, params, readers=readers, names=names)
        cache.set(key, kept, ANSWER_TIMEOUT)
    return kept


def _ask(
    providers: list,
    query: str,
    wanted: str,
    filters: SearchFilters,
    params: dict[str, str],
    *,
    readers: list,
    names: dict | None = None,
) -> tuple[list, list]:
    """Every section's counts and hits, each asked as its reader in `readers`."""
    sections = []
    boards: Counter = Counter()
    releases: Counter = Counter()
    periods: Counter = Counter()
    asks = {
        p.name: {"query": query, "user": reader, "filters": filters}
        for p, reader in zip(providers, readers, strict=True)
    }
    limits = {p.name: _hits_shown(p.name, wanted) for p in providers}
    # Every section that can answers in the one query; the others on their own.
    parts = {
        p.name: p.sql(limit=limits[p.name], **asks[p.name]) if p.sql else None for p in providers
    }
    asked = [part for part in parts.values() if part is not None]
    values = dict(zip([id(part) for part in asked], fetch_sections(asked, filters), strict=True))
    for provider in providers:
        ask = asks[provider.name]
        shown = not wanted or provider.name == wanted
        part = parts[provider.name]
        if part is not None:
            counts, hits = part.read(values[id(part)])
            hits = list(hits) if shown else []
        elif provider.answer:
            counts, hits = provider.answer(limit=limits[provider.name], **ask)
            hits = list(hits) if shown else []
        else:
            counts = provider.facets(**ask) if provider.facets else None
            hits = []
            if shown and (counts is None or counts.total):
                hits = list(provider.search(limit=limits[provider.name], **ask))
        if counts is not None:
            boards.update(counts.boards)
            releases.update(counts.releases)
            periods.update(counts.periods)
        total = counts.total if counts is not None else len(hits)
        section = {
            "name": provider.name,
            "label": str(provider.label),
            "hits": hits,
            "count": _count_label(total, counts is not None and counts.capped),
            "total": total,
            "shown": shown,
            "link": _link(params, section=provider.name),
            "selected": provider.name == wanted,
            "more": bool(hits) and total > len(hits) and not wanted,
        }
        sections.append(section | {"html": _section_html(section)})
    return sections, _facets(params, boards, releases, periods, names)


def _hits_shown(section: str, wanted: str) -> int:
    """How many of a section's hits the page shows: a few of each, more of the one wanted."""
    if not wanted:
        return OVERVIEW_HITS
    return SECTION_HITS if section == wanted else 0


# The page's repeated parts are built here, not by the template's loops, and kept with the
# answer: a page of fifty hits spent about a quarter of its time in the loop over them, and
# the sections, facets and choices were a third of what a search took to render.


def _section_html(section: dict) -> str:
    """A section's block of hits as the page shows it; nothing when it shows none."""
    if not (section["shown"] and section["hits"]):
        return ""
    name, label = html.escape(section["name"]), html.escape(section["label"])
    more = ""
    if section["more"]:
        words = _("More in %(label)s") % {"label": label}
        more = f'\n      <p><a href="{html.escape(section["link"])}">{words}</a></p>'
    return f"""
    <section class="search-section" aria-labelledby="search-{name}">
      <h2 id="search-{name}">{label} <span class="count">{html.escape(section["count"])}</span></h2>
      <ol class="search-hits">
      {_hits_html(section["hits"])}
      </ol>{more}
    </section>"""


def _choices_html(providers: list, wanted: str) -> SafeString:
    """The search form's choice of section."""
    return mark_safe(  # noqa: S308  # every part escaped  # nosec B308 B703
        "".join(
            f'<option value="{html.escape(p.name)}"{" selected" if p.name == wanted else ""}>'
            f"{html.escape(str(p.label))}</option>"
            for p in providers
        )
    )


def _hits_html(hits: list) -> str:
    """A section's list of hits as the page shows it."""
    items = []
    for hit in hits:
        meta = f' <span class="meta">{html.escape(hit.meta)}</span>' if hit.meta else ""
        snippet = f'\n          <p class="snippet">{hit.snippet}</p>' if hit.snippet else ""
        items.append(
            f'<li><a href="{html.escape(hit.url)}">{html.escape(hit.title)}</a>{meta}{snippet}</li>'
        )
    return "\n".join(items)


def _names_key(catalogue: object) -> str:
    return f"search:names:{catalogue}"


def _catalogue_names() -> dict:
    """Every board's name by slug and the published versions, kept under the catalogue's
    generation: the facets name only these (a draft's version must not show through a count)."""
    from downloads.caching import CATALOGUE
    from downloads.models import Board, Release

    key = _names_key(CATALOGUE.current())
    names = cache.get(key)
    if names is not None:
        return names
    published = Release.objects.filter(status=Release.Status.PUBLISHED)
    if connection.vendor == "postgresql":  # both in one query: a search costs at most two
        boards, versions = fetch_json(
            [
                json_of(Board.objects.values("slug", "name").order_by()),
                json_of(published.values("version").order_by()),
            ]
        )
        names = {
            "boards": {row["slug"]: row["name"] for row in boards or []},
            "published": {row["version"] for row in versions or []},
        }
    else:
        names = {
            "boards": dict(Board.objects.values_list("slug", "name")),
            "published": set(published.values_list("version", flat=True)),
        }
    cache.set(key, names, ANSWER_TIMEOUT)
    return names


def _facets(
    params: dict[str, str],
    boards: Counter,
    releases: Counter,
    periods: Counter,
    names: dict | None = None,
) -> list:
    """The board, release and date facets: only boards and published releases anyone may see
    are named (a draft's version must not show through a count); no query while the catalogue
    is unchanged."""
    facets = []
    if not (boards or releases or params["board"] or params["release"]):
        names = {}
    elif names is None:
        names = _catalogue_names()
    if boards or params["board"]:
        wanted = {*boards, params["board"]}
        named = {slug: name for slug, name in names["boards"].items() if slug in wanted}
        options = [
            (slug, named[slug], boards.get(slug, 0))
            for slug in sorted(named, key=lambda s: (-boards.get(s, 0), named[s].lower()))
        ][:12]
        facets.append(_facet(_("Board"), "board", params, options))
    if releases or params["release"]:
        published = names["published"] & {*releases, params["release"]}
        options = [
            (v, v, releases.get(v, 0))
            for v in sorted(published, key=lambda v: (-releases.get(v, 0), v))
        ][:12]
        facets.append(_facet(_("Release"), "release", params, options))
    options = [(name, str(label), periods.get(name, 0)) for name, (_s, label) in PERIODS.items()]
    facets.append(_facet(_("Date"), "date", params, options))
    return facets


def _facet(label: str, key: str, params: dict[str, str], options: list) -> dict:
    options = [
        {"value": value, "label": name, "count": count, "selected": params[key] == value}
        for value, name, count in options
    ]
    return {
        "label": label,
        "key": key,
        "options": options,
        "html": _fieldset_html(label, key, _("Any"), params[key], options),
    }


def _fieldset_html(legend: str, key: str, anything: str, chosen: str, options: list[dict]) -> str:
    """A facet as the page shows it: its options (value, label, count, selected) as radio
    buttons after the one that narrows nothing (`anything`), checked when nothing is chosen."""
    name = html.escape(key)
    radios = "".join(
        f'\n      <label><input type="radio" name="{name}" value="{html.escape(str(o["value"]))}"'
        f"{' checked' if o['selected'] else ''}> {html.escape(str(o['label']))} "
        f'<span class="count">{html.escape(str(o["count"]))}</span></label>'
        for o in options
    )
    unchosen = f'<input type="radio" name="{name}" value=""{"" if chosen else " checked"}>'
    return f"""
    <fieldset>
      <legend>{html.escape(legend)}</legend>
      <label>{unchosen} {html.escape(anything)}</label>{radios}
    </fieldset>"""
