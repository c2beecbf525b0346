"""Search across sections: each registers a provider (AppConfig.ready); this page asks them all.

Providers do their own ranking (PostgreSQL full text where available) and their own visibility
filtering through their querysets, so nothing private reaches this page.
"""

from __future__ import annotations

import re

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from portal.ratelimits import rate_limited
from portal.registry import registry

MAX_QUERY_LENGTH = 200
HITS_PER_SECTION = 10
ELLIPSIS = "…"


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def query_text(request: HttpRequest, *, limit: int = MAX_QUERY_LENGTH) -> str:
    """The `q` a reader typed, as every search takes it: control characters (a NUL, which
    PostgreSQL refuses in any string) dropped, blanks trimmed, at most `limit` characters."""
    return " ".join(_CONTROL.sub("", request.GET.get("q", "")).split())[:limit]


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


@rate_limited("search")
def search_view(request: HttpRequest) -> HttpResponse:
    query = query_text(request)
    wanted = request.GET.get("section", "")
    providers = registry.sorted_search_providers()
    sections = []
    if query:
        for provider in providers:
            if wanted and provider.name != wanted:
                continue
            hits = list(provider.search(query=query, user=request.user, limit=HITS_PER_SECTION))
            sections.append({"name": provider.name, "label": provider.label, "hits": hits})
    return render(
        request,
        "portal/search.html",
        {
            "query": query,
            "sections": sections,
            "providers": providers,
            "wanted": wanted,
            "total": sum(len(s["hits"]) for s in sections),
        },
    )
