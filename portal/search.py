"""Search across sections: each registers a provider (AppConfig.ready); this page asks them all.

Providers do their own ranking (PostgreSQL full text where available) and their own visibility
filtering through their querysets, so nothing private reaches this page.
"""

from __future__ import annotations

import datetime
import re
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.db.models import Case, Count, F, QuerySet, Value, When
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.page_cache import not_kept_for_signed_out
from portal.ratelimits import rate_limited
from portal.registry import registry

MAX_QUERY_LENGTH = 200
HITS_PER_SECTION = 10
ELLIPSIS = "…"
# Ranking and counting read at most this many matches of a section: a word found in half the
# forum then costs what a rare one does (the counts say "250+", as other sites' searches say
# "1k+"). 1,000 made the bench's p95 half again as slow (bench_search.py).
CANDIDATES = 250
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

    def since(self) -> datetime.datetime | None:
        return timezone.now() - PERIODS[self.period][0] if self.period in PERIODS else None


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


def candidates(matches: QuerySet) -> QuerySet:
    """At most CANDIDATES of the matching rows (the GIN index finds them, no ranking yet), as a
    fresh queryset of the model to rank, count or annotate."""
    return matches.model.objects.filter(pk__in=matches.order_by().values("pk")[:CANDIDATES])


def count_facets(matches: QuerySet, fields: FacetFields) -> SectionCounts:
    """One query: the candidates grouped by board, release and age."""
    now = timezone.now()
    age = Case(
        *(
            When(**{f"{fields.date}__gte": now - span}, then=Value(rank))
            for rank, (span, _label) in enumerate(PERIODS.values())
        ),
        default=Value(len(PERIODS)),
    )
    rows = (
        candidates(matches)
        .values(
            facet_board=F(fields.board) if fields.board else Value(""),
            facet_release=F(fields.release) if fields.release else Value(""),
            facet_age=age,
        )
        .annotate(n=Count("pk"))
        .order_by()
    )
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
    return f"{CANDIDATES}+" if capped and count >= CANDIDATES else str(count)


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
    sections = []
    boards: Counter = Counter()
    releases: Counter = Counter()
    periods: Counter = Counter()
    if searchable:
        for provider in providers:
            counts = (
                provider.facets(query=query, user=request.user, filters=filters)
                if provider.facets
                else None
            )
            if counts is not None:
                boards.update(counts.boards)
                releases.update(counts.releases)
                periods.update(counts.periods)
            hits = []
            if (not wanted or provider.name == wanted) and (counts is None or counts.total):
                hits = list(
                    provider.search(
                        query=query, user=request.user, limit=HITS_PER_SECTION, filters=filters
                    )
                )
            total = counts.total if counts is not None else len(hits)
            sections.append(
                {
                    "name": provider.name,
                    "label": provider.label,
                    "hits": hits,
                    "count": _count_label(total, counts is not None and counts.capped),
                    "total": total,
                    "shown": not wanted or provider.name == wanted,
                    "link": _link(params, section=provider.name),
                    "selected": provider.name == wanted,
                    "more": bool(hits) and total > len(hits) and not wanted,
                }
            )
    facets = _facets(params, boards, releases, periods) if searchable else []
    return render(
        request,
        "portal/search.html",
        {
            "query": query,
            "notes": notes,
            "sections": sections,
            "providers": providers,
            "wanted": wanted,
            "filters": filters,
            "facets": facets,
            "total": sum(len(s["hits"]) for s in sections if s["shown"]),
            "narrowed": any((wanted, filters.board, filters.release, filters.period)),
            "clear_link": _link({"q": query}),
        },
    )


def _facets(params: dict[str, str], boards: Counter, releases: Counter, periods: Counter) -> list:
    """The board, release and date facets: only boards and published releases anyone may see
    are named (a draft's version must not show through a count), at most two queries."""
    from downloads.models import Board, Release

    facets = []
    if boards or params["board"]:
        named = dict(
            Board.objects.filter(slug__in=[*boards, params["board"]]).values_list("slug", "name")
        )
        options = [
            (slug, named[slug], boards.get(slug, 0))
            for slug in sorted(named, key=lambda s: (-boards.get(s, 0), named[s].lower()))
        ][:12]
        facets.append(_facet(_("Board"), "board", params, options))
    if releases or params["release"]:
        published = set(
            Release.objects.filter(
                status=Release.Status.PUBLISHED, version__in=[*releases, params["release"]]
            ).values_list("version", flat=True)
        )
        options = [
            (v, v, releases.get(v, 0))
            for v in sorted(published, key=lambda v: (-releases.get(v, 0), v))
        ][:12]
        facets.append(_facet(_("Release"), "release", params, options))
    options = [(name, str(label), periods.get(name, 0)) for name, (_s, label) in PERIODS.items()]
    facets.append(_facet(_("Date"), "date", params, options))
    return facets


def _facet(label: str, key: str, params: dict[str, str], options: list) -> dict:
    return {
        "label": label,
        "key": key,
        "any_selected": not params[key],
        "options": [
            {"value": value, "label": name, "count": count, "selected": params[key] == value}
            for value, name, count in options
        ],
    }
