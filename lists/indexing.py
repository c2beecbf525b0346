"""What a parsing process does besides parsing (lists/services/ingestion.py runs it there, and
in its own process for mail that comes alone): compute the search vectors and render the columns
of a message that do not depend on its batch as CSV for COPY. Imports nothing of Django's, as a
parsing process does not set Django up.
"""

from __future__ import annotations

import csv
import datetime
import io
import json

from lists.parsing import ParsedMessage, parse_entries

SEARCH_TEXT_LIMIT = 200_000  # characters of a body indexed (a tsvector holds at most 1 MB)

# The columns a parsing process renders (they do not depend on the batch) and those written
# here, once the batch has its ids, threads and notes.
TAIL_COLUMNS = [
    "header_message_id", "references", "in_reply_to", "sender_name", "sender_email", "date",
    "date_source", "date_header", "subject", "text", "has_patch", "raw", "sha256", "envelope",
    "search_vector",
]  # fmt: skip
HEAD_COLUMNS = [
    "id", "mailing_list_id", "thread_id", "parent_id", "message_id", "note", "archived_at"
]  # fmt: skip
# The search vector is computed by a query of its own (in the parsing process's connection when
# there is one), so that the one connection that writes only reads it back in its text form:
# stemming every word was half of that connection's time, and it is the import's bottleneck.
_VECTOR_QUERY = (
    "SELECT (setweight(to_tsvector('english', t.subject), 'A')"  # noqa: S608 - a fixed number  # nosec B608
    " || setweight(to_tsvector('simple', t.sender), 'B')"
    f" || setweight(to_tsvector('english', left(t.body, {SEARCH_TEXT_LIMIT})), 'C'))::text"
    " FROM unnest(%s::text[], %s::text[], %s::text[])"
    " WITH ORDINALITY AS t(subject, sender, body, n)"
    " ORDER BY t.n"
)


def _csv_value(value) -> str:
    if isinstance(value, bytes):
        return "\\x" + value.hex()
    if isinstance(value, list):
        return json.dumps(value)
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    return value


def csv_line(values: list) -> str:
    """One line of PostgreSQL's CSV, every value quoted (an empty string stays empty; the
    force_null columns of _copy turn empty into NULL), without its line end."""
    buffer = io.StringIO()
    csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="").writerow(
        [_csv_value(value) for value in values]
    )
    return buffer.getvalue()


def compute_vectors(cursor, parsed: list[ParsedMessage]) -> None:
    """Fill in the search vectors (and so the CSV tails) of parsed messages that lack them."""
    missing = [item for item in parsed if item.search_vector is None]
    if not missing:
        return
    cursor.execute(
        _VECTOR_QUERY,
        [
            [item.subject for item in missing],
            [f"{item.sender_name} {item.sender_email}" for item in missing],
            [item.text for item in missing],
        ],
    )
    for item, (vector,) in zip(missing, cursor.fetchall(), strict=True):
        item.search_vector = vector
        item.csv_tail = csv_line(
            [
                item.header_message_id, item.references, item.in_reply_to, item.sender_name,
                item.sender_email, item.date, item.date_source, item.date_header, item.subject,
                item.text, item.has_patch, item.raw, item.sha256, item.envelope[:1000], vector,
            ]
        )  # fmt: skip


_worker_connection = None


def open_worker_connection(params: dict) -> None:
    """A parsing process's own PostgreSQL connection, for the search vectors."""
    global _worker_connection  # one per process, opened by the pool
    import psycopg2

    _worker_connection = psycopg2.connect(**params)
    _worker_connection.autocommit = True


def parse_and_index(entries: list[tuple[bytes, str]]) -> list[ParsedMessage]:
    """What a parsing process does with a batch: parse it, compute its search vectors."""
    parsed = parse_entries(entries)
    if _worker_connection is not None:
        with _worker_connection.cursor() as cursor:
            compute_vectors(cursor, parsed)
    return parsed
