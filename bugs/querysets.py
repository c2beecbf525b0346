"""Reads of the tracker. Every list, search, feed, CSV, API answer, report, dependency tree and
duplicate suggestion starts from `visible_to(user)`, so a security bug cannot leak through a
forgotten filter: there is no other way in."""

from __future__ import annotations

import html
import re
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Exists,
    Expression,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)

from bugs.models import (
    OPEN_STATUSES,
    Attachment,
    Bug,
    BugChange,
    Comment,
    Component,
    Product,
    SavedSearch,
    Severity,
    Status,
)
from bugs.workflow import SECURITY, group_names
from portal.search import (
    SNIPPET_TEXT,
    DocumentRows,
    FacetFields,
    SearchFilters,
    SearchQueryOnce,
    SectionCounts,
    SectionSQL,
    candidates,
    count_facets,
    cut_at_word,
    day,
    documents_part,
    documents_sql,
    kept_exists,
    kept_search,
    marked_snippet,
    narrow,
)

SEARCH_CONFIG = "english"


def sees_all_security_bugs(user: AbstractBaseUser | AnonymousUser) -> bool:
    return user.is_authenticated and (user.is_superuser or SECURITY in group_names(user))


def _visibility(user: AbstractBaseUser | AnonymousUser | None) -> str | None:
    """Which rule visible_to applies: "public", "all", or None for the one naming the reader."""
    if user is None or not user.is_authenticated or not user.is_active:
        return "public"
    return "all" if sees_all_security_bugs(user) else None


def visible_to(user: AbstractBaseUser | AnonymousUser | None) -> QuerySet[Bug]:
    bugs = Bug.objects.all()
    rule = _visibility(user)
    if rule == "public":
        return bugs.filter(is_security=False)
    if rule == "all":
        return bugs
    cc = Bug.cc.through.objects.filter(bug_id=OuterRef("pk"), user_id=user.pk)
    return bugs.filter(
        Q(is_security=False) | Q(reporter_id=user.pk) | Q(assignee_id=user.pk) | Q(Exists(cc))
    )


def sees_a_security_bug(user: AbstractBaseUser | AnonymousUser | None) -> Expression:
    """SQL for "visible_to(user) holds some security bug". A reader outside the security group
    sees those they report, are assigned or are on the CC of: one probe of each role's index,
    however many security bugs there are (`visible_to(user).filter(is_security=True)` read
    every one of them to find none: 1.4 ms for the site bench's 400, on each signed-in bug
    page, bug list and search)."""
    rule = _visibility(user)
    if rule == "public":
        return Value(False)
    security = Bug.objects.filter(is_security=True)
    if rule == "all":
        return Exists(security)
    return _in_a_role(user.pk)


def _in_a_role(pk: int) -> ExpressionWrapper:
    """Whether the user of key `pk` reports, is assigned or is on the CC of a security bug."""
    security = Bug.objects.filter(is_security=True)
    on_cc = Bug.cc.through.objects.filter(user_id=pk, bug__is_security=True)
    roles = (
        Q(Exists(security.filter(reporter_id=pk)))
        | Q(Exists(security.filter(assignee_id=pk)))
        | Q(Exists(on_cc))
    )
    return ExpressionWrapper(roles, output_field=BooleanField())


def _any_bug_if_in_a_role(pk: int) -> QuerySet[Bug]:
    # Any bug row carries the answer: where the user sees a security bug, there is one.
    return Bug.objects.alias(seen=_in_a_role(pk)).filter(seen=True)


def sees_only_public(user: AbstractBaseUser | AnonymousUser | None) -> bool:
    """Does this reader see exactly what an anonymous one sees? Then pages kept for anonymous
    readers serve them too. One indexed query for a signed-in reader."""
    if user is None or not user.is_authenticated or not user.is_active:
        return True
    if sees_all_security_bugs(user):
        return False
    return not kept_exists("bugs.in_a_role", _any_bug_if_in_a_role, user.pk)


def search_rights(user: AbstractBaseUser | AnonymousUser | None) -> str | None:
    """What of the reader decides which bugs a search finds for them (SearchProvider.rights):
    "public" for whoever sees no security bug, "all", or None for a reader who sees some (the
    ones they report, are assigned or are CC'd on: theirs alone)."""
    rule = _visibility(user)
    if rule is not None:
        return rule
    return "public" if sees_only_public(user) else None


def reader_bug(user: AbstractBaseUser, pk: int) -> Bug | None:
    """What a shared bug page needs to know of one signed-in reader, in one query: the bug's
    roles and status, whether the reader is on its CC (`on_cc`) and whether they see any
    security bug (`sees_private`: then the page kept for their kind is not theirs)."""
    cc = Bug.cc.through.objects.filter(bug_id=OuterRef("pk"), user_id=user.pk)
    return (
        Bug.objects.filter(pk=pk)
        .annotate(on_cc=Exists(cc), sees_private=sees_a_security_bug(user))
        .only("id", "status", "is_security", "reporter_id", "assignee_id")
        .first()
    )


def may_see(user: AbstractBaseUser | AnonymousUser | None, bug: Bug) -> bool:
    return visible_to(user).filter(pk=bug.pk).exists()


def open_bugs(user: AbstractBaseUser | AnonymousUser | None) -> QuerySet[Bug]:
    return visible_to(user).filter(status__in=OPEN_STATUSES)


# What a row of the list shows. Each table joined multiplies PostgreSQL's planning: with the
# release too (which only the CSV shows), the list's query took 3 ms to plan and 0.3 to run.
_LIST_RELATED = ("product", "component", "board", "assignee")
_LIST_FIELDS = (
    "id", "summary", "status", "resolution", "severity", "priority", "is_security",
    "updated_at", "created_at", "comment_count",
    "product__name", "component__name", "board__slug", "board__name", "assignee__username",
)  # fmt: skip


def for_list(bugs: QuerySet[Bug], *, release: bool = False) -> QuerySet[Bug]:
    """What a row of the list shows (and its release's version), in one query whatever the
    number of bugs."""
    if release:
        return bugs.select_related(*_LIST_RELATED, "release").only(
            *_LIST_FIELDS, "release__version"
        )
    return bugs.select_related(*_LIST_RELATED).only(*_LIST_FIELDS)


def products() -> QuerySet[Product]:
    return Product.objects.all()


def components() -> QuerySet[Component]:
    return Component.objects.select_related("product")


BUG_LINK_FIELDS = ("depends_on", "blocks", "duplicates", "duplicate_of")
_BUG_NUMBER = re.compile(r"#(\d+)")


def _hidden_links(user, changes: list[BugChange]) -> set[int]:
    """Numbers of linked bugs this reader may not see (a security bug is not even a number)."""
    linked = {
        int(n)
        for c in changes
        if c.field in BUG_LINK_FIELDS
        for n in _BUG_NUMBER.findall(f"{c.old_value} {c.new_value}")
    }
    if not linked:
        return set()
    return linked - set(visible_to(user).filter(pk__in=linked).values_list("pk", flat=True))


def timeline(
    bug: Bug, user: AbstractBaseUser | AnonymousUser | None = None
) -> list[dict[str, Any]]:
    """Comments and field changes as one list, oldest first; changes by one person at one
    moment are one entry. A few queries whatever the length of the history."""
    comments = list(
        Comment.objects.filter(bug=bug).select_related("author").order_by("created_at", "id")
    )
    files: dict[int, list[Attachment]] = {}
    for attachment in Attachment.objects.filter(bug=bug, comment__isnull=False):
        files.setdefault(attachment.comment_id, []).append(attachment)
    entries: list[dict[str, Any]] = [
        {"kind": "comment", "at": c.created_at, "comment": c, "files": files.get(c.pk, [])}
        for c in comments
    ]
    changes = list(
        BugChange.objects.filter(bug=bug).select_related("actor").order_by("created_at", "id")
    )
    hidden = _hidden_links(user, changes)
    for change in changes:
        if hidden and change.field in BUG_LINK_FIELDS:
            numbers = {
                int(n) for n in _BUG_NUMBER.findall(f"{change.old_value} {change.new_value}")
            }
            if numbers & hidden:
                continue
        last = entries[-1] if entries and entries[-1]["kind"] == "changes" else None
        if last and last["actor_id"] == change.actor_id and last["at"] == change.created_at:
            last["changes"].append(change)
        else:
            entries.append(
                {
                    "kind": "changes",
                    "at": change.created_at,
                    "actor": change.actor,
                    "actor_id": change.actor_id,
                    "changes": [change],
                }
            )
    entries.sort(key=lambda e: (e["at"], 0 if e["kind"] == "changes" else 1))
    return entries


def dependency_tree(
    user: AbstractBaseUser | AnonymousUser | None, bug: Bug, *, max_depth: int = 8
) -> list[dict[str, Any]]:
    """What `bug` depends on, level by level (one query per level), visible bugs only."""
    visible = visible_to(user)
    seen = {bug.pk}
    through = Bug.depends_on.through

    def level(parent_ids: list[int]) -> dict[int, list[Bug]]:
        links = list(
            through.objects.filter(from_bug_id__in=parent_ids).values_list(
                "from_bug_id", "to_bug_id"
            )
        )
        child_ids = {child for _parent, child in links}
        found = {b.pk: b for b in for_list(visible.filter(pk__in=child_ids))}
        result: dict[int, list[Bug]] = {}
        for parent, child in links:
            if child in found:
                result.setdefault(parent, []).append(found[child])
        return result

    root: dict[str, Any] = {"bug": bug, "children": []}
    frontier = [root]
    for _depth in range(max_depth):
        children_of = level([n["bug"].pk for n in frontier])
        next_frontier = []
        for node in frontier:
            for child in sorted(children_of.get(node["bug"].pk, []), key=lambda b: b.pk):
                entry = {"bug": child, "children": [], "repeated": child.pk in seen}
                node["children"].append(entry)
                if child.pk not in seen:
                    seen.add(child.pk)
                    next_frontier.append(entry)
        frontier = next_frontier
        if not frontier:
            break
    return root["children"]


_WORD = re.compile(r"\w{3,}", re.UNICODE)


def text_search(bugs: QuerySet[Bug], query: str) -> QuerySet[Bug]:
    """Bugs matching a free-text query (all words: web search syntax), best first."""
    query = query.strip()
    if not query:
        return bugs
    if query.lstrip("#").isdigit():
        return bugs.filter(pk=int(query.lstrip("#")))
    if connection.vendor != "postgresql":
        return bugs.filter(Q(summary__icontains=query) | Q(description__icontains=query))
    search = SearchQuery(query, search_type="websearch", config=SEARCH_CONFIG)
    return bugs.filter(search_vector=search)


def likely_duplicates(
    user: AbstractBaseUser | AnonymousUser | None, text: str, *, limit: int = 5
) -> list[Bug]:
    """Open bugs sharing words with `text`, best match first: any word counts, rank decides."""
    words = sorted({w.lower() for w in _WORD.findall(text)})[:20]
    if not words:
        return []
    bugs = open_bugs(user)
    if connection.vendor != "postgresql":
        condition = Q()
        for word in words:
            condition |= Q(summary__icontains=word)
        return list(bugs.filter(condition).order_by("-id")[:limit])
    search = SearchQuery(" or ".join(words), search_type="websearch", config=SEARCH_CONFIG)
    return list(
        for_list(bugs.filter(search_vector=search))
        .annotate(rank=SearchRank(F("search_vector"), search))
        .filter(rank__gte=0.05)
        .order_by("-rank", "-id")[:limit]
    )


# A bug's board and affected release narrow the site search; it is dated by its filing.
SEARCH_FACETS = FacetFields(date="created_at", board="board__slug", release="release__version")


def matching_bugs(
    *,
    query: str,
    user: AbstractBaseUser | AnonymousUser | None,
    filters: SearchFilters | None = None,
) -> QuerySet[Bug]:
    """Visible bugs a site search matches (bug_search serves the match)."""
    bugs = visible_to(user)
    if connection.vendor == "postgresql":
        bugs = bugs.filter(
            search_vector=SearchQuery(query, search_type="websearch", config=SEARCH_CONFIG)
        )
    else:
        bugs = bugs.filter(Q(summary__icontains=query) | Q(description__icontains=query))
    return narrow(bugs, SEARCH_FACETS, filters)


def search_facets(
    *,
    query: str,
    user: AbstractBaseUser | AnonymousUser | None,
    filters: SearchFilters | None = None,
) -> SectionCounts:
    return count_facets(matching_bugs(query=query, user=user, filters=filters), SEARCH_FACETS)


def search_bugs(
    *,
    query: str,
    user: AbstractBaseUser | AnonymousUser | None,
    limit: int,
    filters: SearchFilters | None = None,
) -> list:
    """The site search's provider: visible bugs, ranked, with a highlighted snippet."""
    from portal.registry import SearchHit

    matches = matching_bugs(query=query, user=user, filters=filters)
    if connection.vendor != "postgresql":
        found = matches.select_related("product").order_by("-id")[:limit]
        return [
            SearchHit(
                title=str(b),
                url=b.get_absolute_url(),
                snippet=html.escape(cut_at_word(b.description, 200)),
                meta=f"{b.product.name} · {b.get_status_display()}",
            )
            for b in found
        ]
    search = SearchQuery(query, search_type="websearch", config=SEARCH_CONFIG)
    start, stop = "\x02", "\x03"
    found = (
        candidates(matches, SEARCH_FACETS)
        .annotate(
            rank=SearchRank(F("search_vector"), search),
            headline=SearchHeadline(
                "description",
                search,
                config=SEARCH_CONFIG,
                start_sel=start,
                stop_sel=stop,
                max_words=30,
                min_words=12,
            ),
        )
        .select_related("product")
        .order_by("-rank", "-id")[:limit]
    )
    return [
        SearchHit(
            title=str(bug),
            url=bug.get_absolute_url(),
            snippet=html.escape(bug.headline).replace(start, "<mark>").replace(stop, "</mark>"),
            meta=f"{bug.product.name} · {bug.get_status_display()} · {bug.created_at:%Y-%m-%d}",
        )
        for bug in found
    ]


# The bug itself is the row its hit shows (its document is its own search vector).
_BUG_ROW = DocumentRows(
    table="bugs_bug",
    parent="id",
    vector="search_vector",
    order="id",
    text="description",
    columns="c.summary, c.status, c.created_at AS filed, c.description, "
    "(SELECT p.name FROM bugs_product p WHERE p.id = c.product_id) AS product",
)


def search_sql(
    *,
    query: str,
    user: AbstractBaseUser | AnonymousUser | None,
    limit: int,
    filters: SearchFilters | None = None,
) -> SectionSQL | None:
    """The site search's counts and hits as the search page's one query takes them
    (PostgreSQL; None elsewhere)."""
    if connection.vendor != "postgresql":
        return None

    def build(values: list[str], filters: SearchFilters) -> tuple[str, list] | None:
        return documents_sql(
            matching_bugs(query=values[0], user=user, filters=filters),
            SEARCH_FACETS,
            _BUG_ROW,
            document="search_vector",
            search=SearchQueryOnce(values[0], search_type="websearch", config=SEARCH_CONFIG),
            values=["id"],
            order="created_at",
            tsquery=f"websearch_to_tsquery('{SEARCH_CONFIG}', %s)",
            query=values[0],
            config=SEARCH_CONFIG,
            limit=limit,
            max_words=30,
            min_words=12,
        )

    built = kept_search(("bugs", limit), _visibility(user), filters, build, [query])
    return documents_part(built, _bug_hits)


def _bug_hits(rows: list[dict]) -> list:
    from django.urls import reverse

    from portal.registry import SearchHit

    statuses = dict(Status.choices)
    return [
        SearchHit(
            title=f"#{row['id']} {row['summary']}",
            url=reverse("bugs:detail", args=[row["id"]]),
            snippet=marked_snippet(row["headline"], row["description"][:SNIPPET_TEXT]),
            meta=f"{row['product']} · {statuses.get(row['status'], row['status'])} · "
            f"{day(row['filed'])}",
        )
        for row in rows
    ]


def saved_searches(user: AbstractBaseUser | AnonymousUser) -> QuerySet[SavedSearch]:
    if not user.is_authenticated:
        return SavedSearch.objects.none()
    return SavedSearch.objects.filter(user=user)


def fixed_in_release(user: AbstractBaseUser | AnonymousUser | None, version: str) -> QuerySet[Bug]:
    return for_list(visible_to(user).filter(fixed_in__version=version)).order_by("id")


def severity_rank() -> Case:
    """Blocker first, enhancement last (the choices' order), as a sortable number."""
    return Case(
        *(When(severity=value, then=Value(rank)) for rank, value in enumerate(Severity.values)),
        default=Value(len(Severity.values)),
    )


def open_on_board(user: AbstractBaseUser | AnonymousUser | None, slug: str) -> QuerySet[Bug]:
    """A board's open bugs, the most severe first, the newest first within a severity."""
    return for_list(open_bugs(user).filter(board__slug=slug)).order_by(severity_rank(), "-id")


def fixed_in_public(release: Any) -> QuerySet[Bug]:
    """Bugs a release fixes that anyone may read (an announcement names no security bug)."""
    return visible_to(None).filter(fixed_in=release).only("id", "summary").order_by("id")
