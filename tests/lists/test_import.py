"""import_mbox: mbox flavours, Maildir, single messages, --since, resuming, clear errors; and an
mbox export imported into a fresh list gives the same messages byte for byte."""

from __future__ import annotations

import gzip
import io
import logging
import mailbox

import psycopg2
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import RequestFactory
from django.urls import reverse

from bench.mailgen import write_mbox
from lists.mailboxes import read_mbox
from lists.models import Attachment, MailingList, Message, Thread
from lists.parsing import parse_message
from lists.services.ingestion import import_paths

from .conftest import TESTDATA, mail

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = io.StringIO()
    call_command("import_mbox", *args, "--no-progress", "--workers", "1", stdout=out)
    return out.getvalue()


@pytest.fixture
def generated(tmp_path):
    path = tmp_path / "dev.mbox"
    write_mbox(str(path), 120, seed=3)
    return path


def test_import_is_resumable_and_imports_nothing_twice(public_list, generated):
    assert "120 messages imported" in run(public_list.name, str(generated), "--batch-size", "50")
    threads = Thread.objects.filter(mailing_list=public_list).count()
    # Run again, and again with another batch size: all skipped, nothing changes.
    assert "0 messages imported, 120 skipped" in run(public_list.name, str(generated))
    assert "0 messages imported, 120 skipped" in run(
        public_list.name, str(generated), "--batch-size", "7"
    )
    assert Message.objects.filter(mailing_list=public_list).count() == 120
    assert Thread.objects.filter(mailing_list=public_list).count() == threads


def test_an_interrupted_import_goes_on_where_it_stopped(public_list, generated, tmp_path):
    entries = list(read_mbox(generated.open("rb")))
    half = tmp_path / "half.mbox"
    with generated.open("rb") as source:
        data = source.read()
    # The first 50 messages, as if the import had died after them.
    cut = data.index(b"\nFrom ", sum(len(e.raw) for e in entries[:50]))
    half.write_bytes(data[: cut + 1])
    run(public_list.name, str(half))
    done = Message.objects.filter(mailing_list=public_list).count()
    assert 45 <= done < 120
    assert f"{120 - done} messages imported, {done} skipped" in run(
        public_list.name, str(generated)
    )


def test_since_skips_older_mail(public_list, generated):
    dates = sorted(parse_message(e.raw).date.date() for e in read_mbox(generated.open("rb")))
    middle = dates[60]
    run(public_list.name, str(generated), "--since", middle.isoformat())
    archived = Message.objects.filter(mailing_list=public_list)
    assert archived.count() == sum(1 for d in dates if d >= middle) < 120
    assert archived.order_by("date").first().date.date() >= middle


def test_maildir_eml_gzip_and_mboxo(public_list, tmp_path):
    maildir = mailbox.Maildir(tmp_path / "Maildir", create=True)
    maildir.add(mail("md1@x"))
    maildir.add(mail("md2@x", references=["md1@x"]))
    eml = tmp_path / "one.eml"
    eml.write_bytes(mail("eml@x"))
    gz = tmp_path / "two.mbox.gz"
    gz.write_bytes(gzip.compress(b"From a@x Mon May  2 10:00:00 2016\n" + mail("gz@x") + b"\n"))
    # mboxo: a body line ">From " stays as it is; mboxrd would unquote it.
    mboxo = tmp_path / "o.mbox"
    mboxo.write_bytes(
        b"From a@x Mon May  2 10:00:00 2016\n" + mail("o@x", body=">From here\n") + b"\n"
    )
    run(public_list.name, str(tmp_path / "Maildir"), str(eml), str(gz))
    run(public_list.name, str(mboxo), "--format", "mboxo")
    ids = set(Message.objects.values_list("message_id", flat=True))
    assert ids == {"md1@x", "md2@x", "eml@x", "gz@x", "o@x"}
    assert Message.objects.get(message_id="md2@x").parent.message_id == "md1@x"
    assert Message.objects.get(message_id="o@x").text == ">From here"


def test_single_message_file_with_a_from_line(public_list):
    run(public_list.name, str(TESTDATA / "hyperkitty_unixfrom-date.txt"))
    message = Message.objects.get()
    assert message.envelope.startswith("From zzz@example.com")
    assert not bytes(message.raw).startswith(b"From ")


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["nope", "x.mbox"], "no mailing list is called 'nope'"),
        (["estuary-dev", "/nonexistent/archive.mbox"], "/nonexistent/archive.mbox: no such file"),
        (["estuary-dev", "--since", "yesterday", "x"], "invalid fromisoformat value"),
    ],
)
def test_bad_input_gets_a_clear_error(public_list, args, error):
    with pytest.raises((CommandError, SystemExit)) as caught:
        call_command("import_mbox", *args, "--no-progress")
    if isinstance(caught.value, CommandError):
        assert error in str(caught.value)
    assert Message.objects.count() == 0


def test_a_folder_that_is_no_maildir_is_refused(public_list, tmp_path):
    with pytest.raises(CommandError, match="not a Maildir"):
        run(public_list.name, str(tmp_path))


def test_export_reimported_gives_the_same_bytes(public_list, generated, client, tmp_path):
    run(public_list.name, str(generated), str(TESTDATA / "hyperkitty_attachment-5.txt"))
    # A message whose body has From lines, quoted and not, at line starts.
    tricky = mail("from@x", body="From the start\n>From quoted\n>>From twice\nFrom\n")
    run(public_list.name, str(_write(tmp_path / "t.eml", tricky)))
    exports = []
    months = {(m.date.year, m.date.month) for m in Message.objects.filter(mailing_list=public_list)}
    for year, month in sorted(months):
        response = client.get(reverse("lists:month_mbox", args=[public_list.name, year, month]))
        assert response.status_code == 200
        exports.append(gzip.decompress(b"".join(response.streaming_content)))
    fresh = MailingList.objects.create(name="copy", posting_address="copy@lists.example.org")
    path = _write(tmp_path / "export.mbox", b"".join(exports))
    run(fresh.name, str(path))

    def originals(mailing_list):
        return sorted(
            bytes(raw)
            for raw in Message.objects.filter(mailing_list=mailing_list).values_list(
                "raw", flat=True
            )
        )

    assert len(originals(fresh)) == 122
    assert originals(fresh) == originals(public_list)
    assert Message.objects.get(mailing_list=fresh, message_id="from@x").text == (
        "From the start\n>From quoted\n>>From twice\nFrom"
    )
    assert Attachment.objects.filter(message__mailing_list=fresh).count() == 1
    assert (
        Thread.objects.filter(mailing_list=fresh).count()
        == Thread.objects.filter(mailing_list=public_list).count()
    )


def test_thread_and_search_exports(public_list, generated, client):
    run(public_list.name, str(generated))
    thread = Thread.objects.filter(mailing_list=public_list).order_by("-message_count").first()
    response = client.get(reverse("lists:thread_mbox", args=[public_list.name, thread.pk]))
    data = gzip.decompress(b"".join(response.streaming_content))
    assert data.count(b"\nFrom ") + 1 == thread.message_count
    response = client.get(reverse("lists:search_mbox", args=[public_list.name]) + "?q=kernel")
    data = gzip.decompress(b"".join(response.streaming_content))
    found = Message.objects.filter(mailing_list=public_list, text__icontains="kernel").count()
    assert 0 < data.count(b"\nFrom ") + 1 <= found
    assert client.get(reverse("lists:search_mbox", args=[public_list.name])).status_code == 400


@pytest.mark.django_db(transaction=True)  # the handler closes the connection when it is done
def test_a_head_on_an_export_makes_no_body_for_the_server_to_drop(public_list, archive):
    """Answered as a WSGI server does, which iterates the body of a HEAD before dropping it
    (gunicorn does): the mbox is never built for it."""
    from django.core.handlers.wsgi import WSGIHandler

    archive(public_list, mail("a@x"), mail("b@x", references=["a@x"]))
    thread = Thread.objects.get(mailing_list=public_list)
    path = reverse("lists:thread_mbox", args=[public_list.name, thread.pk])

    def served(method: str) -> tuple[list, bytes]:
        started: list = []
        environ = RequestFactory().generic(method, path).environ
        body = WSGIHandler()(environ, lambda status, headers, *rest: started.append(status))
        try:
            return started, b"".join(body)
        finally:
            body.close()

    status, body = served("GET")
    assert status == ["200 OK"] and gzip.decompress(body).count(b"From ") == 2
    status, body = served("HEAD")
    assert status == ["200 OK"] and body == b""


def _analyze_count() -> int:
    """Manual ANALYZEs of lists_message so far, as PostgreSQL counts them."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT pg_stat_get_analyze_count('lists_message'::regclass)")
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)  # each batch commits, as in a real import
def test_a_long_import_analyzes_the_tables_as_the_list_grows(public_list, tmp_path):
    path = tmp_path / "long.mbox"
    write_mbox(str(path), 200, seed=5)
    before = _analyze_count()
    seen = []  # after each batch: (messages imported, ANALYZEs so far)
    result = import_paths(
        mailing_list=public_list,
        paths=[path],
        batch_size=10,
        workers=1,
        analyze_after=30,
        progress=lambda done, total, result: seen.append(
            (result.imported, _analyze_count() - before)
        ),
    )
    assert result.imported == 200
    # After the batch that brings 30 messages, then each time the list has doubled: 60, 120.
    assert seen == [(n, (n >= 30) + (n >= 60) + (n >= 120)) for n in range(10, 201, 10)]
    assert _analyze_count() - before == 4  # and once at the end


@pytest.mark.django_db(transaction=True)
def test_an_analyze_that_fails_loses_no_batch(public_list, tmp_path, caplog):
    path = tmp_path / "long.mbox"
    write_mbox(str(path), 60, seed=5)
    before = _analyze_count()
    # Another session holds a lock that ANALYZE waits for, and this one waits 50 ms at most.
    other = psycopg2.connect(**connection.get_connection_params())
    try:
        with other.cursor() as cursor:
            cursor.execute("LOCK TABLE lists_message IN SHARE UPDATE EXCLUSIVE MODE")
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '50ms'")
        with caplog.at_level(logging.WARNING, logger="lists.services.ingestion"):
            result = import_paths(
                mailing_list=public_list, paths=[path], batch_size=10, workers=1, analyze_after=20
            )
    finally:
        other.close()
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")
    assert result.imported == 60
    assert Message.objects.filter(mailing_list=public_list).count() == 60
    assert _analyze_count() == before
    # At 20 and 40 messages, and at the end.
    assert sum("ANALYZE failed" in r.getMessage() for r in caplog.records) == 3


def _write(path, data: bytes):
    path.write_bytes(data)
    return path
