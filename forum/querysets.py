"""Reads of the forum. Every view, feed, search and profile section goes through these, so a
private category's topics cannot leak through a forgotten filter."""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.contrib.contenttypes.models import ContentType
from django.contrib.postgres.expressions import ArraySubquery
from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank
from django.db import connection, connections, router
from django.db.models import F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import JSONObject, Left

from forum.models import Access, Category, CategoryRead, Like, Post, Topic, TopicRead
from portal.notifications import level_subquery
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
    kept_search,
    marked_snippet,
    narrow,
)
from portal.users import group_names, groups

MODERATORS = "moderators"


def group_ids(user: AbstractBaseUser | AnonymousUser) -> frozenset[int]:
    return frozenset(pk for pk, _name in groups(user))


def is_moderator(user: AbstractBaseUser | AnonymousUser) -> bool:
    if not user.is_authenticated:
        return False
    return user.is_superuser or MODERATORS in group_names(user)


def reader_kind(user: AbstractBaseUser | AnonymousUser) -> str:
    """Who sees the same lists: anonymous readers, and members by what their groups let them
    read (superusers read everything), moderators apart (they also see hidden topics)."""
    if not user.is_authenticated:
        return "anonymous"
    if user.is_superuser:
        return "superuser"
    groups = ",".join(str(pk) for pk in sorted(group_ids(user)))
    return f"{'moderator' if is_moderator(user) else 'member'}:{groups}"


def _access_q(user: AbstractBaseUser | AnonymousUser, *, field: str, group_field: str) -> Q:
    allowed = Q(**{field: Access.EVERYONE})
    if user.is_authenticated:
        allowed |= Q(**{field: Access.MEMBERS})
        ids = group_ids(user)
        if ids:
            allowed |= Q(**{field: Access.GROUP, f"{group_field}__in": ids})
    return allowed


def readable_q(user: AbstractBaseUser | AnonymousUser, prefix: str = "") -> Q:
    """Categories the user may read: its own rule, and its parent's when it has one."""
    if user.is_authenticated and user.is_superuser:
        return Q()
    own = _access_q(user, field=f"{prefix}read_access", group_field=f"{prefix}read_group")
    parent = _access_q(
        user, field=f"{prefix}parent__read_access", group_field=f"{prefix}parent__read_group"
    )
    return own & (Q(**{f"{prefix}parent__isnull": True}) | parent)


def _allows(user: AbstractBaseUser | AnonymousUser, access: str, group_id: int | None) -> bool:
    if access == Access.EVERYONE:
        return True
    if not user.is_authenticated:
        return False
    return access == Access.MEMBERS or (access == Access.GROUP and group_id in group_ids(user))


def may_read(user: AbstractBaseUser | AnonymousUser, category: Category) -> bool:
    """readable_q for one category already in hand (its parent loaded): no query to build."""
    if user.is_authenticated and user.is_superuser:
        return True
    if not _allows(user, category.read_access, category.read_group_id):
        return False
    parent = category.parent
    return parent is None or _allows(user, parent.read_access, parent.read_group_id)


def readable_categories(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Category]:
    return Category.objects.filter(readable_q(user))


def with_category_reader_state(
    categories: QuerySet[Category], user: AbstractBaseUser | AnonymousUser
) -> QuerySet[Category]:
    """The signed-in reader's own state in the categories' query: when they marked it all read
    (reader_marked, None when never) and their watch level (reader_watch)."""
    if not user.is_authenticated:
        return categories
    marked = CategoryRead.objects.filter(user=user, category=OuterRef("pk"))
    return categories.annotate(
        reader_marked=Subquery(marked.values("marked_at")[:1]),
        reader_watch=level_subquery(user=user, model=Category),
    )


def may_post_in(user: AbstractBaseUser | AnonymousUser, category: Category) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if is_moderator(user):
        return True
    if category.post_access == Access.MEMBERS:
        return True
    return category.post_access == Access.GROUP and category.post_group_id in group_ids(user)


def visible_topics(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Topic]:
    return _unless_hidden(Topic.objects.filter(readable_q(user, prefix="category__")), user)


def _unless_hidden(
    topics: QuerySet[Topic], user: AbstractBaseUser | AnonymousUser
) -> QuerySet[Topic]:
    """The topics, hidden ones only for moderators."""
    return topics if is_moderator(user) else topics.filter(is_hidden=False)


def visible_posts(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Post]:
    """Posts the user may read in lists (search, profiles): hidden ones only for moderators."""
    posts = Post.objects.filter(readable_q(user, prefix="topic__category__"))
    if not is_moderator(user):
        posts = posts.filter(is_hidden=False, topic__is_hidden=False)
    return posts


def _board_tags() -> ArraySubquery:
    """The post's topic's boards as [{slug, name}] in the posts' own query (no second one)."""
    from downloads.models import Board

    boards = Board.objects.filter(forum_topics=OuterRef("topic_id")).order_by("order", "name")
    return ArraySubquery(boards.values(tag=JSONObject(slug="slug", name="name")))


def with_reader_state(
    topics: QuerySet[Topic], user: AbstractBaseUser | AnonymousUser, *, first: int, last: int
) -> QuerySet[Topic]:
    """The signed-in reader's own state in the topics' query: how far they read (reader_read,
    None when never), their watch level (reader_watch) and which of the posts numbered first to
    last they like (reader_likes)."""
    if not user.is_authenticated:
        return topics
    likes = Like.objects.filter(
        user=user, post__topic=OuterRef("pk"), post__number__gte=first, post__number__lte=last
    )
    read = TopicRead.objects.filter(user=user, topic=OuterRef("pk"))
    topics = topics.annotate(
        reader_read=Subquery(read.values("last_read_number")[:1]),
        reader_watch=level_subquery(user=user, model=Topic),
    )
    if connection.vendor == "postgresql":
        return topics.annotate(reader_likes=ArraySubquery(likes.values("post_id")))
    return topics


def _reader_state_row(
    user: AbstractBaseUser,
    *,
    own: tuple[str, str, str, int],
    watched: tuple[type, int],
    many: tuple[str, str, str, list[int]],
) -> tuple:
    """The reader's own state in one row of raw SQL (these run on every signed-in page read from
    the cache, where building the equivalent querysets cost more than the query): `own`, one
    value of the reader's row (column, table, key column, key); their watch level of `watched`
    (model, pk); `many`, an array of their rows' values (expression, table, key column, keys)."""
    from portal.models import Subscription

    column, table, key, value = own
    expression, many_table, many_key, values = many
    sql = (
        f"SELECT (SELECT {column} FROM {table} WHERE user_id = %s AND {key} = %s), "  # noqa: S608
        f"(SELECT level FROM {Subscription._meta.db_table} "  # nosec B608
        "WHERE user_id = %s AND content_type_id = %s AND object_id = %s), "
        f"ARRAY(SELECT {expression} FROM {many_table} WHERE user_id = %s AND {many_key} = ANY(%s))"
    )
    content_type = ContentType.objects.get_for_model(watched[0])
    params = [user.pk, value, user.pk, content_type.pk, watched[1], user.pk, values]
    with connections[router.db_for_read(TopicRead)].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def topic_reader_state(
    user: AbstractBaseUser, pk: int, *, first: int, last: int, post_ids: list[int]
) -> tuple[int, str | None, set[int]]:
    """How far the reader read the topic, their watch level and which of its posts post_ids
    (numbered first to last) they like, in one query where the database makes arrays: for a
    page kept for every reader (forum.views.topic_reader_parts)."""
    if connection.vendor != "postgresql":
        topics = with_reader_state(Topic.objects.filter(pk=pk), user, first=first, last=last)
        found = topics.only("pk").first()
        if found is None:
            return 0, None, set()
        liked = reader_likes(found, user, first=first, last=last)
        return found.reader_read or 0, found.reader_watch, liked
    read, level, liked = _reader_state_row(
        user,
        own=("last_read_number", TopicRead._meta.db_table, "topic_id", pk),
        watched=(Topic, pk),
        many=("post_id", Like._meta.db_table, "post_id", post_ids),
    )
    return read or 0, level, set(liked)


def category_reader_state(
    user: AbstractBaseUser, pk: int, topic_ids: list[int]
) -> tuple[datetime | None, str | None, dict[int, int]]:
    """When the reader marked the category read, their watch level and how far they read each
    of topic_ids: one query where the database makes arrays."""
    if connection.vendor != "postgresql":
        categories = with_category_reader_state(Category.objects.filter(pk=pk), user)
        found = categories.values_list("reader_marked", "reader_watch").first() or (None, None)
        return *found, read_states(user, topic_ids)
    marked, level, reads = _reader_state_row(
        user,
        own=("marked_at", CategoryRead._meta.db_table, "category_id", pk),
        watched=(Category, pk),
        many=("ARRAY[topic_id, last_read_number]", TopicRead._meta.db_table, "topic_id", topic_ids),
    )
    return marked, level, {topic: number for topic, number in reads}


def reader_likes(
    topic: Topic, user: AbstractBaseUser | AnonymousUser, *, first: int, last: int
) -> set[int]:
    """Which of the posts numbered first to last the reader likes: from the topic's own query
    (with_reader_state) where the database makes arrays, else asked here."""
    if not user.is_authenticated:
        return set()
    found = getattr(topic, "reader_likes", None)
    if found is not None:
        return set(found)
    likes = Like.objects.filter(
        user=user, post__topic=topic, post__number__gte=first, post__number__lte=last
    )
    return set(likes.values_list("post_id", flat=True))


def visible_topic(
    user: AbstractBaseUser | AnonymousUser,
    pk: int,
    *,
    related: Sequence[str] = (),
    reader_posts: tuple[int, int] | None = None,
) -> Topic | None:
    """One topic the user may read, or None: a primary-key lookup with its category and the
    category's parent joined, the rights checked on them (the same rule as visible_topics).
    With `reader_posts` (first, last), the reader's state comes along (with_reader_state)."""
    topics = Topic.objects.select_related("category", "category__parent", *related).filter(pk=pk)
    if reader_posts is not None:
        topics = with_reader_state(topics, user, first=reader_posts[0], last=reader_posts[1])
    found = list(topics[:1])
    if not found:
        return None
    topic = found[0]
    if topic.is_hidden and not is_moderator(user):
        return None
    return topic if may_read(user, topic.category) else None


def category_topics(category: Category, user: AbstractBaseUser | AnonymousUser):
    """A category's list: pinned first, then by last activity (index topic_category_list)."""
    topics = Topic.objects.filter(category=category)
    if not is_moderator(user):
        topics = topics.filter(is_hidden=False)
    return topics.select_related("author", "last_poster").order_by(
        "-is_pinned", "-last_post_at", "-id"
    )


def latest_topics(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Topic]:
    return (
        visible_topics(user)
        .select_related("category", "last_poster")
        .order_by("-last_post_at", "-id")
    )


def topic_page_posts(topic: Topic, *, page: int, per_page: int) -> QuerySet[Post]:
    """One page of a topic by post number: an index range, no OFFSET however long it is. Each
    post carries its topic's boards (board_tags): they are shown with the posts, and asked only
    when the posts are."""
    first = (page - 1) * per_page + 1
    posts = (
        Post.objects.filter(topic=topic, number__gte=first, number__lt=first + per_page)
        .select_related("author", "author__profile")
        .prefetch_related("attachments")
        .order_by("number")
    )
    if connection.vendor == "postgresql":
        posts = posts.annotate(board_tags=_board_tags())
    return posts


def board_tags(topic: Topic, posts: list[Post]) -> list[dict[str, str]]:
    """The topic's boards as [{slug, name}]: from its posts' query (topic_page_posts) where the
    database makes arrays, else asked here."""
    if posts and hasattr(posts[0], "board_tags"):
        return posts[0].board_tags
    return list(topic.boards.order_by("order", "name").values("slug", "name"))


def read_states(user: AbstractBaseUser | AnonymousUser, topic_ids: list[int]) -> dict[int, int]:
    if not user.is_authenticated or not topic_ids:
        return {}
    return dict(
        TopicRead.objects.filter(user=user, topic_id__in=topic_ids).values_list(
            "topic_id", "last_read_number"
        )
    )


# Posts have a date only: no board or release of their own (a board filter leaves them out).
SEARCH_FACETS = FacetFields(date="created_at")
# A topic is dated by its last post: "past week" finds the topics talked about this week.
TOPIC_FACETS = FacetFields(date="last_post_at")
_START, _STOP = "\x02", "\x03"


def _by_topic(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Whether the search ranks topics by their documents (forum.indexing): everyone but the
    moderators, whose search also finds hidden posts (left out of the documents)."""
    return connection.vendor == "postgresql" and not is_moderator(user)


def _search_query(query: str, kind: type[SearchQuery] = SearchQuery) -> SearchQuery:
    return kind(query, search_type="websearch", config="english")


def matching_topics(
    *, query: str, user: AbstractBaseUser | AnonymousUser, filters: SearchFilters | None = None
) -> QuerySet[Topic]:
    """The topics a search matches that the user may read (topic_search serves the match).
    The readable categories as a subquery, not a join: joined, the categories led and each
    scanned every match, so a common word's older matches were all read before the first was
    kept (portal.search.candidates stops at CANDIDATES)."""
    readable = readable_categories(user).values("id")
    topics = Topic.objects.filter(category__in=readable, search_document=_search_query(query))
    return narrow(_unless_hidden(topics, user), TOPIC_FACETS, filters)


def matching_posts(
    *, query: str, user: AbstractBaseUser | AnonymousUser, filters: SearchFilters | None = None
) -> QuerySet[Post]:
    """The posts a search matches that the user may read (post_search serves the match)."""
    posts = visible_posts(user)
    if connection.vendor == "postgresql":
        posts = posts.filter(search_vector=_search_query(query))
    else:
        posts = posts.filter(Q(source__icontains=query) | Q(topic__title__icontains=query))
    return narrow(posts, SEARCH_FACETS, filters)


def search_facets(
    *, query: str, user: AbstractBaseUser | AnonymousUser, filters: SearchFilters | None = None
) -> SectionCounts:
    if _by_topic(user):
        return count_facets(matching_topics(query=query, user=user, filters=filters), TOPIC_FACETS)
    return count_facets(matching_posts(query=query, user=user, filters=filters), SEARCH_FACETS)


def search_posts(
    *,
    query: str,
    user: AbstractBaseUser | AnonymousUser,
    limit: int,
    filters: SearchFilters | None = None,
) -> list[Any]:
    """The site search's hits: the best of at most CANDIDATES matches (candidates), one query."""
    from portal.registry import SearchHit

    matches = matching_posts(query=query, user=user, filters=filters)
    if connection.vendor != "postgresql":
        posts = matches.select_related("topic").order_by("-created_at")[:limit]
        return [
            SearchHit(
                title=p.topic.title,
                url=p.get_absolute_url(),
                snippet=html.escape(cut_at_word(p.source, 200)),
                meta=f"#{p.number}",
            )
            for p in posts
        ]
    search = _search_query(query)
    posts = (
        candidates(matches, SEARCH_FACETS)
        .annotate(
            rank=SearchRank(F("search_vector"), search),
            headline=SearchHeadline(
                Left("source", SNIPPET_TEXT),
                search,
                config="english",
                start_sel=_START,
                stop_sel=_STOP,
                max_words=35,
                min_words=15,
            ),
        )
        .select_related("topic", "author")
        .order_by("-rank", "-created_at")[:limit]
    )
    return [
        SearchHit(
            title=post.topic.title,
            url=post.get_absolute_url(),
            snippet=marked_snippet(post.headline, post.source[:SNIPPET_TEXT]),
            meta=f"#{post.number} · {post.author.get_username()} · {post.created_at:%Y-%m-%d}",
        )
        for post in posts
    ]


# A topic's rows for its hit: the first visible post the query matches, and who wrote it.
_TOPIC_POSTS = DocumentRows(
    table="forum_post",
    parent="topic_id",
    vector="search_vector",
    order="number",
    text="source",
    columns="c.id AS post_id, c.number, c.created_at, c.source, "
    "(SELECT u.username FROM auth_user u WHERE u.id = c.author_id) AS author",
    condition="NOT c.is_hidden",
)


def search_sql(
    *,
    query: str,
    user: AbstractBaseUser | AnonymousUser,
    limit: int,
    filters: SearchFilters | None = None,
) -> SectionSQL | None:
    """For readers, the site search's counts and hits over the topics' documents, as the
    search page's one query takes them; None for moderators (see _by_topic)."""
    if not _by_topic(user):
        return None

    def build(values: list[str], filters: SearchFilters) -> tuple[str, list] | None:
        return documents_sql(
            matching_topics(query=values[0], user=user, filters=filters),
            TOPIC_FACETS,
            _TOPIC_POSTS,
            document="search_document",
            search=_search_query(values[0], SearchQueryOnce),
            values=["id", "title"],
            order="last_post_at",
            tsquery="websearch_to_tsquery('english', %s)",
            query=values[0],
            config="english",
            limit=limit,
        )

    built = kept_search(("forum", limit), reader_kind(user), filters, build, [query])
    return documents_part(built, _topic_hits)


def _topic_hits(rows: list[dict]) -> list[Any]:
    from django.urls import reverse

    from portal.registry import SearchHit

    hits = []
    for row in rows:
        if row["post_id"] is None:  # every post hidden: the title matched
            hits.append(SearchHit(title=row["title"], url=reverse("forum:topic", args=[row["id"]])))
            continue
        hits.append(
            SearchHit(
                title=row["title"],
                url=reverse("forum:post", args=[row["post_id"]]),
                snippet=marked_snippet(row["headline"], row["source"][:SNIPPET_TEXT]),
                meta=f"#{row['number']} · {row['author']} · {day(row['created_at'])}",
            )
        )
    return hits
