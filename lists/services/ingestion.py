"""The one way mail enters the archive: `archive_batch` (and `import_paths`, `archive_message`
around it), whatever brought the mail: an mbox import, the LMTP server, an MTA pipe, an upload.

A batch is one transaction: parsed outside it, then under a lock on the list (two deliveries to
one list cannot thread against each other's half-written trees) it skips what is archived
already (same bytes: re-running an import adds nothing), threads the rest with JWZ (lists/jwz.py)
and writes everything with bulk inserts; on PostgreSQL the message ids are drawn from the
sequence first so that parents are written with their children in one INSERT, and the search
vector is filled in one UPDATE per batch.
"""

from __future__ import annotations

import ctypes
import datetime
import logging
import multiprocessing
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from django.db import DatabaseError, connection, transaction
from django.db.models import Count, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce

from lists.caching import bump_list_generation_on_commit
from lists.documents import index_threads
from lists.indexing import (
    HEAD_COLUMNS,
    TAIL_COLUMNS,
    compute_vectors,
    csv_line,
    open_worker_connection,
    parse_and_index,
)
from lists.jwz import Forest, assign_threads, nearest_message
from lists.mailboxes import Entry, MailboxError, read_path, size_of
from lists.models import Attachment, MailingList, Message, Thread, ThreadNode
from lists.parsing import ParsedMessage, parse_entries, parse_message

logger = logging.getLogger(__name__)

BATCH_SIZE = 1000
MAX_MESSAGE_BYTES = 50 * 1024 * 1024

# Statistics while an import runs (autovacuum may be off or behind): the per-batch lookups by
# Message-ID, bytes and thread node are planned from the list's share of the tables, and with
# statistics gathered while the list was small or absent they scanned the whole list once per
# batch (230 ms a batch at 25,000 messages, 1.7 s at 300,000). So ANALYZE once ANALYZE_AFTER
# messages are in, then each time the list has grown ANALYZE_GROWTH-fold since: a few times.
ANALYZE_AFTER = 5 * BATCH_SIZE
ANALYZE_GROWTH = 2
ANALYZED_TABLES = "lists_message, lists_thread, lists_threadnode"

try:  # glibc's; elsewhere (musl, macOS) the allocator is left to itself
    _malloc_trim = ctypes.CDLL(None).malloc_trim
except (OSError, AttributeError):
    _malloc_trim = None


def _return_freed_memory() -> None:
    """Hand the memory of a written batch back to the system. A batch arrives from a parsing
    process as one pickle of some megabytes and is unpickled into thousands of strings over
    512 bytes, by the pool's result thread, so in malloc's arenas rather than Python's own:
    freed, they stay in those arenas as holes that the next batch does not fit exactly, and
    the importing process kept about 100 MB it did not use (measured with mallinfo2: 55 MB
    in use, 70 to 110 MB free in the arenas, after each batch)."""
    if _malloc_trim is not None:
        _malloc_trim(0)


class ArchiveError(ValueError):
    """Mail that cannot be archived; the message names the list, the file or the message."""


@dataclass
class ArchiveResult:
    imported: int = 0
    skipped: int = 0
    noted: int = 0
    threads_touched: set[int] = field(default_factory=set)
    message_pks: list[int] = field(default_factory=list)

    def add(self, other: ArchiveResult) -> None:
        self.imported += other.imported
        self.skipped += other.skipped
        self.noted += other.noted
        self.threads_touched |= other.threads_touched


def _allocate_ids(model, count: int) -> list[int] | None:
    """Primary keys drawn from PostgreSQL's sequence ahead of the INSERT (None elsewhere)."""
    if connection.vendor != "postgresql" or not count:
        return None
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [table, count],
        )
        return [row[0] for row in cursor.fetchall()]


def _unique_ids(list_id: int, parsed: list[ParsedMessage]) -> None:
    """A Message-ID already used by another message of the list is kept in the header field;
    the archive files the newcomer under a derived one (JWZ: a duplicate is a new message)."""
    wanted = {p.message_id for p in parsed}
    taken = set(
        Message.objects.filter(mailing_list_id=list_id, message_id__in=wanted).values_list(
            "message_id", flat=True
        )
    )
    for item in parsed:
        if item.message_id in taken:
            original = item.message_id
            item.message_id = f"{original}.dup-{item.sha256[:12]}"
            item.notes.append(
                f"Message-ID <{original}> was used by an earlier message: filed as "
                f"<{item.message_id}>"
            )
        taken.add(item.message_id)


def _load_forest(list_id: int, parsed: list[ParsedMessage]) -> Forest:
    ids = set()
    for item in parsed:
        ids.add(item.message_id)
        ids.update(item.references)
    thread_ids = set(
        ThreadNode.objects.filter(mailing_list_id=list_id, msgid__in=ids).values_list(
            "thread_id", flat=True
        )
    )
    forest = Forest()
    if thread_ids:
        rows = ThreadNode.objects.filter(thread_id__in=thread_ids).values_list(
            "pk", "msgid", "parent_ref", "thread_id", "message_id", "message__parent_id"
        )
        for pk, message_id, parent_ref, thread_id, message_pk, parent_pk in rows:
            container = forest.get(message_id)
            container.node_pk = pk
            container.parent = container.stored_parent = parent_ref
            container.thread_id = container.stored_thread_id = thread_id
            container.message_pk = container.stored_message_pk = message_pk
            container.stored_parent_pk = parent_pk
    return forest


class _CsvStream:
    """CSV lines read by COPY a chunk at a time, made as it reads: the whole batch written out
    first was a string of some megabytes, copied again (four bytes a character) once read."""

    def __init__(self, lines: Iterable[str]) -> None:
        self._lines = iter(lines)
        self._pending = b""

    def read(self, size: int = -1) -> bytes:
        chunks = [self._pending]
        held = len(self._pending)
        while size < 0 or held < size:
            line = next(self._lines, None)
            if line is None:
                break
            chunk = line.encode() + b"\n"
            chunks.append(chunk)
            held += len(chunk)
        data = b"".join(chunks)
        if size < 0:
            self._pending = b""
            return data
        self._pending = data[size:]
        return data[:size]


def _copy(table: str, columns: list[str], lines: Iterable[str], *, force_null=()) -> None:
    """PostgreSQL's COPY of CSV lines (made by csv_line), streamed."""
    names = ", ".join(f'"{c}"' for c in columns)
    options = "FORMAT csv"
    if force_null:
        options += ", FORCE_NULL (" + ", ".join(f'"{c}"' for c in force_null) + ")"
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(
            f"COPY {table} ({names}) FROM STDIN WITH ({options})",
            _CsvStream(lines),
            size=64 * 1024,
        )


def _copy_messages(rows: list[dict], parsed: list[ParsedMessage]) -> None:
    """COPY straight into the table, search vectors included (computed beforehand)."""
    with connection.cursor() as cursor:
        compute_vectors(cursor, parsed)
    now = datetime.datetime.now(datetime.UTC)
    _copy(
        "lists_message",
        HEAD_COLUMNS + TAIL_COLUMNS,
        (
            csv_line([*(row[c] for c in HEAD_COLUMNS[:-1]), now]) + "," + item.csv_tail
            for row, item in zip(rows, parsed, strict=True)
        ),
        force_null=["parent_id"],
    )


# The threads that only gained new messages this batch, from those messages alone: a batch's
# cost must not depend on how long its threads are already (a thread's recount and document
# rebuild read every message of it: 0.8 s a batch for a thread of 5,000). New messages have the
# highest ids (drawn from the sequence), so on a date tie the stored first message stays first.
# A new first message changes the subject, and so the weighted part of the document: that
# document is left NULL here and rebuilt from the whole thread. A thread with no message yet
# (new in this batch) gets the document lists.documents would make of the batch's messages.
_GROW_SQL = """
WITH new AS MATERIALIZED (
    SELECT id, thread_id, date, subject, search_vector FROM lists_message
    WHERE id = ANY(%(pks)s) AND thread_id = ANY(%(threads)s)
), batch AS (
    SELECT thread_id, count(*) AS added, min(date) AS first, max(date) AS last,
        (array_agg(subject ORDER BY date, id))[1] AS first_subject
    FROM new GROUP BY thread_id
), words AS (
    SELECT thread_id, array_to_tsvector(array_agg(DISTINCT lexeme)) AS words
    FROM new, unnest(tsvector_to_array(search_vector)) AS lexeme GROUP BY thread_id
)
UPDATE lists_thread t SET
    message_count = t.message_count + b.added,
    started_at = least(t.started_at, b.first),
    last_activity = greatest(t.last_activity, b.last),
    subject = CASE WHEN t.started_at IS NULL OR b.first < t.started_at
        THEN b.first_subject ELSE t.subject END,
    search_document = CASE
        WHEN t.started_at IS NULL THEN setweight(to_tsvector('english', b.first_subject), 'A')
            || coalesce(w.words, ''::tsvector)
        WHEN b.first < t.started_at THEN NULL
        ELSE t.search_document || coalesce(w.words, ''::tsvector) END
FROM batch b LEFT JOIN words w ON w.thread_id = b.thread_id
WHERE t.id = b.thread_id
RETURNING t.id, t.search_document IS NULL
"""


def _grow_threads(thread_ids: set[int], message_pks: list[int]) -> set[int]:
    """Add a batch's new messages to the counts, dates and documents of threads they joined
    and that lost or gained no archived message; the threads whose document must be rebuilt."""
    if not thread_ids:
        return set()
    with connection.cursor() as cursor:
        cursor.execute(_GROW_SQL, {"pks": message_pks, "threads": sorted(thread_ids)})
        return {thread_id for thread_id, rebuild in cursor.fetchall() if rebuild}


def refresh_threads(thread_ids: set[int]) -> None:
    """Recount these threads and rebuild their documents from all their messages."""
    if not thread_ids:
        return
    in_thread = Message.objects.filter(thread=OuterRef("pk"))
    first = in_thread.order_by("date", "pk")
    Thread.objects.filter(pk__in=thread_ids).update(
        message_count=Coalesce(
            Subquery(
                in_thread.order_by()
                .values("thread")
                .annotate(count=Count("pk"))
                .values("count")[:1]
            ),
            0,
        ),
        started_at=Subquery(first.values("date")[:1]),
        last_activity=Subquery(in_thread.order_by("-date", "-pk").values("date")[:1]),
        subject=Coalesce(Subquery(first.values("subject")[:1]), Value("")),
    )
    index_threads(thread_ids)


def archive_batch(
    *,
    mailing_list: MailingList,
    entries: Iterable[Entry] = (),
    parsed: list[ParsedMessage] | None = None,
    since: datetime.date | None = None,
    durable: bool = True,
    notify: bool = False,
) -> ArchiveResult:
    """Archive a batch of messages in one transaction; what is archived already is skipped.

    `parsed` is the batch parsed already (by import_paths' parsing processes). `durable=False`
    lets a bulk import skip waiting for each commit's flush to disk: a crash loses at most the
    last batches, which the next run imports again; mail delivered by LMTP is always durable.
    `notify`: tell the watchers of the threads the mail joins (mail as it is sent, not imports).
    """
    if parsed is None:
        parsed = []
        for entry in entries:
            _check_size(mailing_list, entry.raw)
            parsed.append(parse_message(entry.raw, envelope=entry.envelope))
    result = ArchiveResult()
    fresh: list[ParsedMessage] = []
    seen: set[str] = set()
    for item in parsed:
        if item.sha256 in seen or (since and item.date.date() < since):
            result.skipped += 1
            continue
        seen.add(item.sha256)
        fresh.append(item)
    if not fresh:
        return result
    with transaction.atomic():
        if not durable and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit = off")
        MailingList.objects.select_for_update().filter(pk=mailing_list.pk).first()
        archived = set(
            Message.objects.filter(
                mailing_list=mailing_list, sha256__in=[p.sha256 for p in fresh]
            ).values_list("sha256", flat=True)
        )
        if archived:
            result.skipped += len(archived)
            fresh = [p for p in fresh if p.sha256 not in archived]
        if not fresh:
            return result
        _write(mailing_list, fresh, result)
        if notify:
            from lists.services.watching import notify_watchers

            notify_watchers(mailing_list=mailing_list, message_pks=result.message_pks)
        bump_list_generation_on_commit(mailing_list)
    return result


def _check_size(mailing_list: MailingList, raw: bytes) -> None:
    if len(raw) > MAX_MESSAGE_BYTES:
        raise ArchiveError(
            f"{mailing_list.name}: a message of {len(raw)} bytes is over the "
            f"{MAX_MESSAGE_BYTES}-byte limit"
        )


def _write(mailing_list: MailingList, parsed: list[ParsedMessage], result: ArchiveResult) -> None:
    list_id = mailing_list.pk
    _unique_ids(list_id, parsed)
    forest = _load_forest(list_id, parsed)
    containers = [forest.add(item.message_id, item.references) for item in parsed]
    preallocated = _allocate_ids(Message, len(parsed))
    if preallocated:
        for container, pk in zip(containers, preallocated, strict=True):
            container.message_pk = pk
    trees, dead_threads = assign_threads(forest)

    new_threads = []
    for members in trees.values():
        if members[0].thread_id is None:
            thread = Thread(mailing_list_id=list_id)
            new_threads.append((thread, members))
    Thread.objects.bulk_create([thread for thread, _members in new_threads])
    for thread, members in new_threads:
        for container in members:
            container.thread_id = thread.pk

    rows = [
        {
            "id": pk,
            "mailing_list_id": list_id,
            "thread_id": container.thread_id,
            "parent_id": nearest_message(forest, container) if preallocated else None,
            "message_id": item.message_id,
            "header_message_id": item.header_message_id,
            "references": item.references,
            "in_reply_to": item.in_reply_to,
            "sender_name": item.sender_name,
            "sender_email": item.sender_email,
            "date": item.date,
            "date_source": item.date_source,
            "date_header": item.date_header,
            "subject": item.subject,
            "text": item.text,
            "has_patch": item.has_patch,
            "raw": item.raw,
            "sha256": item.sha256,
            "envelope": item.envelope[:1000],
            "note": "\n".join(item.notes),
        }
        for item, container, pk in zip(
            parsed, containers, preallocated or [None] * len(parsed), strict=True
        )
    ]
    if preallocated:
        _copy_messages(rows, parsed)
        message_pks = preallocated
    else:
        created = Message.objects.bulk_create(
            [Message(**{k: v for k, v in row.items() if k != "id"}) for row in rows]
        )
        message_pks = [m.pk for m in created]
        for container, pk in zip(containers, message_pks, strict=True):
            container.message_pk = pk
    new_pks = set(message_pks)

    # Nodes: new ones inserted, moved ones updated; messages whose thread or parent changed too.
    new_nodes, changed_nodes, moved_messages = [], [], []
    regrouped: set[int] = set()  # threads an archived message left or joined
    for container in forest.containers.values():
        if container.node_pk is None:
            new_nodes.append(
                ThreadNode(
                    mailing_list_id=list_id,
                    msgid=container.message_id,
                    parent_ref=container.parent,
                    thread_id=container.thread_id,
                    message_id=container.message_pk,
                )
            )
        elif (
            container.parent != container.stored_parent
            or container.thread_id != container.stored_thread_id
            or container.message_pk != container.stored_message_pk
        ):
            changed_nodes.append(
                ThreadNode(
                    pk=container.node_pk,
                    parent_ref=container.parent,
                    thread_id=container.thread_id,
                    message_id=container.message_pk,
                )
            )
        if container.message_pk is None:
            continue
        parent_pk = nearest_message(forest, container)
        if container.message_pk in new_pks:
            if not preallocated and parent_pk is not None:
                moved_messages.append(
                    Message(
                        pk=container.message_pk, thread_id=container.thread_id, parent_id=parent_pk
                    )
                )
        elif (
            container.thread_id != container.stored_thread_id
            or parent_pk != container.stored_parent_pk
        ):
            if container.thread_id != container.stored_thread_id:
                regrouped |= {container.thread_id, container.stored_thread_id}
            moved_messages.append(
                Message(pk=container.message_pk, thread_id=container.thread_id, parent_id=parent_pk)
            )
    if connection.vendor == "postgresql":
        _copy(
            "lists_threadnode",
            ["mailing_list_id", "msgid", "parent_ref", "thread_id", "message_id"],
            (
                csv_line([n.mailing_list_id, n.msgid, n.parent_ref, n.thread_id, n.message_id])
                for n in new_nodes
            ),
            force_null=["message_id"],
        )
    else:
        ThreadNode.objects.bulk_create(new_nodes, batch_size=2000)
    if changed_nodes:
        ThreadNode.objects.bulk_update(
            changed_nodes, ["parent_ref", "thread", "message"], batch_size=1000
        )
    if moved_messages:
        Message.objects.bulk_update(moved_messages, ["thread", "parent"], batch_size=1000)
    if dead_threads:
        Thread.objects.filter(pk__in=dead_threads).delete()

    attachments = [
        Attachment(
            message_id=message_pk,
            position=position,
            filename=attachment.filename,
            content_type=attachment.content_type,
            size=len(attachment.data),
            data=attachment.data,
        )
        for item, message_pk in zip(parsed, message_pks, strict=True)
        for position, attachment in enumerate(item.attachments)
    ]
    Attachment.objects.bulk_create(attachments, batch_size=500)

    touched = {c.thread_id for c in forest.containers.values()}
    # Recounted in full: the threads whose archived messages changed.
    recount = regrouped - dead_threads
    if connection.vendor == "postgresql":
        rebuild = _grow_threads(touched - recount, message_pks)
        refresh_threads(recount)
        index_threads(rebuild)
    else:
        refresh_threads(touched)
    result.imported += len(rows)
    result.noted += sum(1 for row in rows if row["note"])
    result.threads_touched |= touched
    result.message_pks.extend(message_pks)


def _batches(entries: Iterable[Entry], size: int) -> Iterator[list[Entry]]:
    batch: list[Entry] = []
    for entry in entries:
        batch.append(entry)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _parsed_batches(
    mailing_list: MailingList, entries: Iterable[Entry], *, size: int, workers: int
) -> Iterator[tuple[list[ParsedMessage], int]]:
    """Batches parsed, with the source position after each: by `workers` processes (parsing
    is most of an import's time) keeping at most two batches per process in flight."""

    def raw_batches():
        for batch in _batches(entries, size):
            for entry in batch:
                _check_size(mailing_list, entry.raw)
            yield [(e.raw, e.envelope) for e in batch], batch[-1].position

    if workers <= 1:
        for batch, position in raw_batches():
            yield parse_entries(batch), position
        return
    context = multiprocessing.get_context("forkserver")
    params = connection.get_connection_params() if connection.vendor == "postgresql" else None
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=open_worker_connection if params else None,
        initargs=(params,) if params else (),
    ) as pool:
        pending: deque = deque()

        def oldest() -> tuple[list[ParsedMessage], int]:
            # No reference to the future is left here: its batch is freed once written.
            future, done_at = pending.popleft()
            return future.result(), done_at

        for batch, position in raw_batches():
            pending.append((pool.submit(parse_and_index, batch), position))
            del batch
            if len(pending) >= 2 * workers:
                yield oldest()
        while pending:
            yield oldest()


def import_paths(
    *,
    mailing_list: MailingList,
    paths: list[Path],
    flavour: str = "mboxrd",
    since: datetime.date | None = None,
    batch_size: int = BATCH_SIZE,
    workers: int = 0,
    progress: Callable[[int, int, ArchiveResult], None] | None = None,
    analyze_after: int = ANALYZE_AFTER,
) -> ArchiveResult:
    """Import mailboxes batch by batch (one transaction each): an interrupted import keeps
    what it committed, and running it again skips that and goes on. On PostgreSQL the tables
    are analyzed between batches as the list grows (see ANALYZE_AFTER) and at the end."""
    for path in paths:
        if not path.exists():
            raise ArchiveError(f"{path}: no such file or folder")
    total = sum(size_of(path) for path in paths)
    result = ArchiveResult()
    done_before = 0
    analyzing = connection.vendor == "postgresql"
    held = Message.objects.filter(mailing_list=mailing_list).count() if analyzing else 0
    analyzed_at = 0  # the list's size at the last ANALYZE of this import
    for path in paths:
        try:
            for parsed, position in _parsed_batches(
                mailing_list, read_path(path, flavour=flavour), size=batch_size, workers=workers
            ):
                outcome = archive_batch(
                    mailing_list=mailing_list, parsed=parsed, since=since, durable=False
                )
                del parsed
                _return_freed_memory()
                result.add(outcome)
                size = held + result.imported
                if (
                    analyzing
                    and result.imported >= analyze_after
                    and size >= analyzed_at * ANALYZE_GROWTH
                ):
                    _analyze()
                    analyzed_at = size
                if progress:
                    progress(done_before + position, total, result)
        except MailboxError as exc:
            raise ArchiveError(str(exc)) from exc
        except ArchiveError as exc:
            raise ArchiveError(f"{path}: {exc}") from exc
        done_before += size_of(path)
    if result.imported and analyzing:
        # Fresh statistics after a bulk load, so that searches plan for what the tables hold.
        _analyze()
    return result


def _analyze() -> None:
    """ANALYZE after a batch's commit, in a transaction (or savepoint) of its own: the batches
    are stored whatever happens to it, and a failure only leaves the statistics as they were."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {ANALYZED_TABLES}")
    except DatabaseError:
        logger.warning("ANALYZE failed during an import; its mail is stored", exc_info=True)


def archive_message(*, mailing_list: MailingList, raw: bytes, envelope: str = "") -> Message | None:
    """One message (LMTP, an MTA pipe): archived, or None when it is archived already."""
    if not raw.strip():
        raise ArchiveError(f"{mailing_list.name}: the message is empty")
    if raw.startswith(b"From ") and not envelope:
        line, _sep, raw = raw.partition(b"\n")
        envelope = line.decode("utf-8", "replace").rstrip("\r")
    outcome = archive_batch(
        mailing_list=mailing_list, entries=[Entry(envelope, raw, len(raw))], notify=True
    )
    if not outcome.message_pks:
        return None
    return Message.objects.get(pk=outcome.message_pks[0])
