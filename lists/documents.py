"""The archive's search documents: one per thread, so the site search ranks 10,000 threads
instead of 100,000 messages (a rare word made the planner walk the whole archive, a common one
fills a posting list of tens of thousands of messages).

A thread's document is its subject (weight A, with positions) and every lexeme of its messages
(stripped: no positions, so a 300-message thread stays small). The ingestion rebuilds the
documents of the threads each batch touched. PostgreSQL only; SQLite searches the text itself.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection

# `{where}` picks the threads: "t.id = ANY(%s)" for some, "TRUE" for all of them.
DOCUMENT_SQL = """
UPDATE lists_thread t SET search_document =
    setweight(to_tsvector('english', t.subject), 'A')
    || coalesce((
        SELECT array_to_tsvector(array_agg(DISTINCT lexeme))
        FROM lists_message m, unnest(tsvector_to_array(m.search_vector)) AS lexeme
        WHERE m.thread_id = t.id
    ), ''::tsvector)
WHERE {where}
"""


def index_threads(thread_ids: Iterable[int]) -> None:
    """Rebuild the search documents of these threads from their subject and messages."""
    ids = sorted({i for i in thread_ids if i})
    if not ids or connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(DOCUMENT_SQL.format(where="t.id = ANY(%s)"), [ids])


def index_all_threads(cursor) -> None:
    """Every thread's document, in one statement (the migration)."""
    cursor.execute(DOCUMENT_SQL.format(where="TRUE"))
