"""Search across sections: each registers a provider (AppConfig.ready); this page asks them all.

Providers do their own ranking (PostgreSQL full text where available) and their own visibility
filtering through their querysets, so nothing private reaches this page.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from portal.ratelimits import rate_limited
from portal.registry import registry

MAX_QUERY_LENGTH = 200
HITS_PER_SECTION = 10


@rate_limited("search")
def search_view(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:MAX_QUERY_LENGTH]
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
