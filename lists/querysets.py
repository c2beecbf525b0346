"""Reads of the archive. Every page, search, feed, export, count and profile section goes
through `visible_lists(user)` and what is built on it, so that a private list's mail cannot leak
through a forgotten filter: a private list is read by its members (and superusers) only.
"""

from __future__ import annotations

import datetime
import html
import re
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import BinaryField, Case, Count, F, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Left, TruncMonth
from django.http import Http404
from django.urls import reverse
from django.utils.safestring import mark_safe

from lists.models import Attachment, MailingList, Message, Thread, ThreadNode
from lists.parsing import decode_bytes
from lists.rendering import render_attachment_text
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
    facet_rows,
    json_of,
    kept_exists,
    kept_search,
    marked_snippet,
    narrow,
    tally,
)

User = AbstractBaseUser | AnonymousUser
# Mark the query's words in headlines before the text is escaped.
_START, _STOP = "\x02", "\x03"

# Fields a page shows of a message: never the original bytes (read by /raw and exports only).
MESSAGE_PAGE_FIELDS = (
    "id", "mailing_list_id", "thread_id", "parent_id", "message_id", "references",
    "sender_name", "sender_email", "date", "date_source", "date_header", "subject", "text",
    "has_patch", "note",
)  # fmt: skip


def _visibility(user: User) -> str | None:
    """Which rule visible_lists applies: "public", "all", or None for the one naming the
    reader (the public lists and the private ones they are a member of)."""
    if not user.is_authenticated:
        return "public"
    return "all" if user.is_superuser else None


def visible_lists(user: User) -> QuerySet[MailingList]:
    rule = _visibility(user)
    if rule == "all":
        return MailingList.objects.all()
    public = Q(is_private=False)
    if rule is None:
        public |= Q(
            pk__in=MailingList.members.through.objects.filter(user_id=user.pk).values(
                "mailinglist_id"
            )
        )
    return MailingList.objects.filter(public)


def search_rights(user: User) -> str | None:
    """What of the reader decides which lists a search finds in (SearchProvider.rights):
    "public" for whoever is a member of no private list, "all", or None for a member of some
    (theirs alone)."""
    rule = _visibility(user)
    if rule is not None:
        return rule
    member = kept_exists(
        "lists.private_member",
        lambda pk: MailingList.objects.filter(is_private=True, members=pk),
        user.pk,
    )
    return None if member else "public"


def list_for(user: User, name: str) -> MailingList:
    """The list of that name if the user may read it; 404 otherwise (a private list's name
    answers exactly as a list that does not exist)."""
    found = visible_lists(user).filter(name=name).first()
    if found is None:
        raise Http404("no such list")
    return found


def visible_threads(user: User) -> QuerySet[Thread]:
    return Thread.objects.filter(
        mailing_list__in=visible_lists(user).values("pk"), message_count__gt=0
    )


def visible_messages(user: User) -> QuerySet[Message]:
    return Message.objects.filter(mailing_list__in=visible_lists(user).values("pk"))


def message_counts() -> dict[int, int]:
    """Messages per list id, every list: callers show the counts of the lists they may see."""
    rows = Thread.objects.values("mailing_list").annotate(total=Sum("message_count"))
    return {row["mailing_list"]: row["total"] or 0 for row in rows.order_by()}


def list_threads(mailing_list: MailingList) -> QuerySet[Thread]:
    """A list's threads, latest activity first (the list was checked by list_for)."""
    return Thread.objects.filter(mailing_list=mailing_list, message_count__gt=0).order_by(
        "-last_activity", "-pk"
    )


def month_threads(mailing_list: MailingList, year: int, month: int) -> QuerySet[Thread]:
    start, end = month_range(year, month)
    return Thread.objects.filter(
        mailing_list=mailing_list,
        message_count__gt=0,
        started_at__gte=start,
        started_at__lt=end,
    ).order_by("started_at", "pk")


def month_range(year: int, month: int) -> tuple[datetime.datetime, datetime.datetime]:
    start = datetime.datetime(year, month, 1, tzinfo=datetime.UTC)
    end = datetime.datetime(year + month // 12, month % 12 + 1, 1, tzinfo=datetime.UTC)
    return start, end


def month_messages(mailing_list: MailingList, year: int, month: int) -> QuerySet[Message]:
    start, end = month_range(year, month)
    return Message.objects.filter(mailing_list=mailing_list, date__gte=start, date__lt=end)


def month_counts(mailing_list: MailingList) -> list[dict]:
    """Messages per month of a list, newest first: the browse-by-month navigation."""
    rows = (
        Message.objects.filter(mailing_list=mailing_list)
        .annotate(month=TruncMonth("date"))
        .values("month")
        .annotate(count=Count("pk"))
        .order_by("-month")
    )
    return [{"month": r["month"], "count": r["count"]} for r in rows]


def thread_for(mailing_list: MailingList, pk: int) -> Thread:
    thread = Thread.objects.filter(mailing_list=mailing_list, pk=pk, message_count__gt=0).first()
    if thread is None:
        raise Http404("no such thread")
    return thread


def thread_messages(thread: Thread) -> list[Message]:
    return list(
        Message.objects.filter(thread=thread).only(*MESSAGE_PAGE_FIELDS).order_by("date", "pk")
    )


def thread_nodes(thread: Thread) -> list[tuple[str, str, int | None]]:
    return list(
        ThreadNode.objects.filter(thread=thread).values_list("msgid", "parent_ref", "message_id")
    )


def attachments_of(message_pks: list[int]) -> dict[int, list[Attachment]]:
    found: dict[int, list[Attachment]] = {}
    rows = (
        Attachment.objects.filter(message_id__in=message_pks)
        .defer("data")
        .order_by("message_id", "position")
    )
    for attachment in rows:
        found.setdefault(attachment.message_id, []).append(attachment)
    return found


TEXT_SHOWN_MAX = 256 * 1024  # bytes of a text attachment shown in the page; beyond, a download


def attachments_with_text(message: Message) -> list[Attachment]:
    """A message's attachments, the text ones with `shown_text` (escaped, highlighted HTML) to
    view in the page; in one query that reads the bytes of small attachments only."""
    rows = (
        Attachment.objects.filter(message=message)
        .defer("data")
        .annotate(
            small_data=Case(
                When(size__lte=TEXT_SHOWN_MAX, then=F("data")),
                default=Value(None, output_field=BinaryField()),
            )
        )
        .order_by("position")
    )
    found = []
    for attachment in rows:
        attachment.shown_text = None
        data = bytes(attachment.small_data) if attachment.small_data is not None else None
        if attachment.is_text and data is not None and b"\x00" not in data:
            text = decode_bytes(data, None)[0].replace("\r\n", "\n")
            attachment.shown_text = mark_safe(render_attachment_text(text))  # noqa: S308 - escaped there  # nosec B308 B703
        found.append(attachment)
    return found


def message_for(mailing_list: MailingList, message_id: str, *, with_raw: bool = False) -> Message:
    queryset = Message.objects.filter(mailing_list=mailing_list, message_id=message_id)
    if not with_raw:
        queryset = queryset.only(*MESSAGE_PAGE_FIELDS)
    message = queryset.first()
    if message is None:
        raise Http404("no such message")
    return message


def threads_naming_board(slug: str, limit: int) -> list[Thread]:
    """The latest threads of public lists with a message whose subject names the board (its
    name or its slug), found through the search index; in one query. Without PostgreSQL's
    index (the embedded SQLite default), by the subjects' whole words; in two."""
    from django.contrib.postgres.search import SearchVectorField
    from django.db.models import Func, Subquery
    from django.db.models.functions import Coalesce

    from downloads.models import Board

    public = Message.objects.filter(mailing_list__is_private=False)
    spaced = slug.replace("-", " ")
    if connection.vendor == "postgresql":
        name = Coalesce(Subquery(Board.objects.filter(slug=slug).values("name")[:1]), Value(slug))
        words = SearchQuery(name, search_type="phrase", config="english") | SearchQuery(
            spaced, search_type="phrase", config="english"
        )
        in_subject = Func(
            F("search_vector"),
            template="ts_filter(%(expressions)s, '{a}')",
            output_field=SearchVectorField(),
        )
        naming = (
            public.annotate(subject_vector=in_subject)
            .filter(search_vector=words, subject_vector=words)  # the index, then the subject
            .values("thread_id")
        )
    else:
        name = Board.objects.filter(slug=slug).values_list("name", flat=True).first() or slug
        phrases = "|".join(re.escape(phrase) for phrase in sorted({name, spaced}))
        naming = public.filter(subject__iregex=rf"\b({phrases})\b").values("thread_id")
    return list(
        Thread.objects.filter(mailing_list__is_private=False, message_count__gt=0, pk__in=naming)
        .select_related("mailing_list")
        .only("subject", "message_count", "last_activity", "mailing_list__name")
        .order_by("-last_activity", "-pk")[:limit]
    )


def latest_threads(user: User) -> QuerySet[Thread]:
    return visible_threads(user).select_related("mailing_list").order_by("-last_activity", "-pk")


def messages_from(user: User, addresses: list[str]) -> QuerySet[Message]:
    """Messages sent from these addresses (a person's verified ones) that the user may read."""
    if not addresses:
        return Message.objects.none()
    return (
        visible_messages(user)
        .filter(sender_email__in=[a.lower() for a in addresses])
        .select_related("mailing_list")
        .only("message_id", "subject", "date", "mailing_list__name", "mailing_list__title")
        .order_by("-date")
    )


# --- Search -----------------------------------------------------------------------------------

TERM = re.compile(r'(?:(?P<prefix>[sfbd]):)?(?:"(?P<phrase>[^"]*)"?|(?P<word>\S+))')
WEIGHTS = {"s": "A", "f": "B", "b": "C"}


@dataclass
class ParsedQuery:
    tsquery: str = ""  # for PostgreSQL's to_tsquery
    plain: list[str] = field(default_factory=list)  # words for the fallback without full text
    subject: list[str] = field(default_factory=list)
    senders: list[str] = field(default_factory=list)
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.tsquery or self.plain or self.senders or self.date_from or self.date_to)


def _date(value: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        return None


def parse_query(query: str) -> ParsedQuery:
    """lore's prefixes: s: subject, f: from, b: body, d:YYYY-MM-DD..YYYY-MM-DD; plain words
    and "phrases" anywhere. Words become to_tsquery operands of letters and digits only, so no
    input can make a syntax error."""
    parsed = ParsedQuery()
    parts = []
    for match in TERM.finditer(query):
        prefix, phrase, word = match.group("prefix"), match.group("phrase"), match.group("word")
        text = phrase if phrase is not None else (word or "")
        if prefix == "d":
            start, _sep, end = text.partition("..")
            parsed.date_from = _date(start) if start else None
            parsed.date_to = _date(end) if end else (parsed.date_from if not _sep else None)
            if (start and not parsed.date_from) or (end and not parsed.date_to):
                parsed.errors.append(f"d:{text}")
            continue
        if prefix == "f" and ("@" in text or "." in text):
            parsed.senders.append(text.lower())
            continue
        words = re.findall(r"\w+", text)
        if not words:
            continue
        weight = WEIGHTS.get(prefix or "", "")
        operands = [f"{w.lower()}:{weight}" if weight else w.lower() for w in words]
        parts.append(
            "(" + " <-> ".join(operands) + ")" if phrase is not None else " & ".join(operands)
        )
        parsed.plain.extend(words)
        if prefix == "s":
            parsed.subject.extend(words)
    parsed.tsquery = " & ".join(parts)
    return parsed


def _midnight(day: datetime.date) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, tzinfo=datetime.UTC)


def search_messages(
    user: User, query: str | ParsedQuery, *, mailing_list: MailingList | None = None
) -> QuerySet[Message]:
    """Messages matching a query, newest first."""
    parsed = parse_query(query) if isinstance(query, str) else query
    queryset = visible_messages(user)
    if mailing_list is not None:
        queryset = queryset.filter(mailing_list=mailing_list)
    if parsed.empty:
        return queryset.none()
    if parsed.date_from:
        queryset = queryset.filter(date__gte=_midnight(parsed.date_from))
    if parsed.date_to:
        queryset = queryset.filter(date__lt=_midnight(parsed.date_to + datetime.timedelta(days=1)))
    for sender in parsed.senders:
        queryset = queryset.filter(sender_email__icontains=sender)
    if connection.vendor != "postgresql":
        for word in parsed.plain:
            queryset = queryset.filter(Q(subject__icontains=word) | Q(text__icontains=word))
        return queryset.order_by("-date")
    if not parsed.tsquery:
        return queryset.order_by("-date")
    # Newest first, as lore answers: the date index then stops after a page of hits even when
    # a common word matches half the archive, where ranking would read every match.
    search = SearchQuery(parsed.tsquery, search_type="raw", config="english")
    return queryset.filter(search_vector=search).order_by("-date", "-pk")


def search_threads(user: User, query: str, *, mailing_list: MailingList | None = None):
    matching = search_messages(user, query, mailing_list=mailing_list).order_by()
    return (
        visible_threads(user)
        .filter(pk__in=matching.values("thread_id")[:5000])
        .select_related("mailing_list")
        .order_by("-last_activity")
    )


# Messages have a date only (a board filter leaves the archive out).
SEARCH_FACETS = FacetFields(date="date")
# A thread is dated by its last message: "past week" finds the threads talked about this week.
THREAD_FACETS = FacetFields(date="last_activity")
# A thread's rows for its hit: the first message the query matches (threads carry the list's
# visibility already).
_THREAD_MESSAGES = DocumentRows(
    table="lists_message",
    parent="thread_id",
    vector="search_vector",
    order="date",
    text="text",
    columns="c.message_id, c.subject AS message_subject, c.sender_name, c.date, c.text",
)


def _by_thread(parsed: ParsedQuery) -> bool:
    """Whether the site search ranks threads by their documents (lists.documents): words only;
    a sender or a date range asks about single messages."""
    return (
        connection.vendor == "postgresql"
        and bool(parsed.tsquery)
        and not (parsed.senders or parsed.date_from or parsed.date_to)
    )


def _thread_matches(user: User, tsquery: str, filters: SearchFilters | None) -> QuerySet:
    search = SearchQueryOnce(tsquery, search_type="raw", config="english")
    threads = visible_threads(user).filter(search_document=search)
    return narrow(threads, THREAD_FACETS, filters)


def _site_matches(user: User, parsed: ParsedQuery, filters: SearchFilters | None) -> QuerySet:
    return narrow(search_messages(user, parsed), SEARCH_FACETS, filters)


def search_facets(*, query: str, user: User, filters: SearchFilters | None = None) -> SectionCounts:
    parsed = parse_query(query)
    if _by_thread(parsed):
        return count_facets(_thread_matches(user, parsed.tsquery, filters), THREAD_FACETS)
    return count_facets(_site_matches(user, parsed, filters), SEARCH_FACETS)


def search_sql(
    *, query: str, user: User, limit: int, filters: SearchFilters | None = None
) -> SectionSQL | None:
    """For words, the site search's counts and hits over the threads' documents, as the search
    page's one query takes them; None for a sender or a date range (see _by_thread)."""
    parsed = parse_query(query)
    if connection.vendor != "postgresql":
        return None
    if not _by_thread(parsed):
        return _messages_sql(user, parsed, filters, limit)

    def build(values: list[str], filters: SearchFilters) -> tuple[str, list] | None:
        return documents_sql(
            _thread_matches(user, values[0], filters),
            THREAD_FACETS,
            _THREAD_MESSAGES,
            document="search_document",
            search=SearchQueryOnce(values[0], search_type="raw", config="english"),
            values=["id", "subject", "mailing_list__name"],
            order="last_activity",
            tsquery="to_tsquery('english', %s)",
            query=values[0],
            config="english",
            limit=limit,
            max_words=30,
            min_words=12,
        )

    built = kept_search(("lists", limit), _visibility(user), filters, build, [parsed.tsquery])
    return documents_part(built, _thread_hits)


def _thread_hits(rows: list[dict]) -> list:
    from portal.registry import SearchHit

    hits = []
    for row in rows:
        name = row["mailing_list__name"]
        if row["message_id"] is None:  # a thread emptied since its document was made
            continue
        hits.append(
            SearchHit(
                title=row["message_subject"] or row["subject"] or row["message_id"],
                url=reverse("lists:message", args=[name, row["message_id"]]),
                snippet=marked_snippet(row["headline"], row["text"][:SNIPPET_TEXT]),
                meta=f"{name} · {row['sender_name']} · {day(row['date'])}",
            )
        )
    return hits


def _hit_messages(user: User, parsed: ParsedQuery, filters: SearchFilters | None) -> QuerySet:
    """The site search's messages, best first: for words, the best of at most CANDIDATES
    matches, the latest first (candidates; walking the date index newest first read the whole
    archive when a word was rare), each with a headline; newest first otherwise."""
    messages = _site_matches(user, parsed, filters)
    if connection.vendor == "postgresql" and parsed.tsquery:
        search = SearchQuery(parsed.tsquery, search_type="raw", config="english")
        messages = (
            candidates(messages, SEARCH_FACETS)
            .annotate(
                rank=SearchRank(F("search_vector"), search),
                headline=SearchHeadline(
                    Left("text", SNIPPET_TEXT), search, config="english", start_sel=_START,
                    stop_sel=_STOP, max_words=30, min_words=12,
                ),
            )
            .order_by("-rank", "-date", "-pk")
        )  # fmt: skip
    return messages


def _message_hit(
    *, message_id: str, subject: str, date: Any, sender_name: str, list_name: str, text: str,
    headline: str | None,
) -> Any:  # fmt: skip
    from portal.registry import SearchHit

    snippet = html.escape(headline or cut_at_word(text, 200))
    return SearchHit(
        title=subject or message_id,
        url=reverse("lists:message", args=[list_name, message_id]),
        snippet=snippet.replace(_START, "<mark>").replace(_STOP, "</mark>"),
        meta=f"{list_name} · {sender_name} · {day(date)}",
    )


def _messages_sql(
    user: User, parsed: ParsedQuery, filters: SearchFilters | None, limit: int
) -> SectionSQL:
    """A sender's or a date range's messages (not the threads' documents), counted and the
    best `limit` of them, as one JSON value of the search page's one query."""
    ranked = bool(parsed.tsquery)
    columns = ["id", "message_id", "subject", "date", "sender_name", "mailing_list__name", "text"]
    columns += ["headline", "rank"] if ranked else []
    try:
        counted = json_of(facet_rows(_site_matches(user, parsed, filters), SEARCH_FACETS))
        hits = json_of(
            _hit_messages(user, parsed, filters).values(*columns)[:limit],
            "r.rank DESC, r.date DESC, r.id DESC" if ranked else "r.date DESC, r.id DESC",
        )
    except EmptyResultSet:  # nothing to search for
        return documents_part(None, list)
    sql = f"SELECT json_build_object('counts', ({counted[0]}), 'hits', ({hits[0]}))"

    def read(value: dict | None) -> tuple[SectionCounts, list]:
        value = value or {}
        found = [
            _message_hit(
                message_id=row["message_id"], subject=row["subject"], date=row["date"],
                sender_name=row["sender_name"], list_name=row["mailing_list__name"],
                text=row["text"], headline=row.get("headline"),
            )
            for row in value.get("hits") or []
        ]  # fmt: skip
        return tally(value.get("counts") or []), found

    return SectionSQL(sql, [*counted[1], *hits[1]], read)


def search_hits(
    *, query: str, user: User, limit: int, filters: SearchFilters | None = None
) -> list:
    """Site-wide search: messages of the lists the user may read, with a highlighted snippet."""
    parsed = parse_query(query)
    messages = _hit_messages(user, parsed, filters).select_related("mailing_list")
    return [
        _message_hit(
            message_id=message.message_id, subject=message.subject, date=message.date,
            sender_name=message.sender_name, list_name=message.mailing_list.name,
            text=message.text, headline=getattr(message, "headline", None),
        )
        for message in messages.only(
            "message_id", "subject", "date", "sender_name", "mailing_list__name", "text"
        )[:limit]
    ]  # fmt: skip
