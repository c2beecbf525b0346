"""The forum's search documents: one per topic, so the site search ranks 10,000 topics instead
of half a million posts (a common word's posting list in the posts' index alone costs 30 ms).

A topic's document is its title (weight A, with positions) and every lexeme of its visible
posts (stripped: no positions, so it stays small however long the topic runs). Hidden posts
are left out: their words must not make the topic match for readers who may not see them.
PostgreSQL only; SQLite searches the text itself.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection

# `{where}` picks the topics: "t.id = ANY(%s)" for some, "TRUE" for all of them.
DOCUMENT_SQL = """
UPDATE forum_topic t SET search_document =
    setweight(to_tsvector('english', t.title), 'A')
    || coalesce((
        SELECT array_to_tsvector(array_agg(DISTINCT lexeme))
        FROM forum_post p, unnest(tsvector_to_array(p.search_vector)) AS lexeme
        WHERE p.topic_id = t.id AND NOT p.is_hidden
    ), ''::tsvector)
WHERE {where}
"""


def index_topics(topic_ids: Iterable[int]) -> None:
    """Rebuild the search documents of these topics from their title and visible posts."""
    ids = sorted({i for i in topic_ids if i})
    if not ids or connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(DOCUMENT_SQL.format(where="t.id = ANY(%s)"), [ids])


def index_all_topics(cursor) -> None:
    """Every topic's document, in one statement (migrations and generated data)."""
    cursor.execute(DOCUMENT_SQL.format(where="TRUE"))
