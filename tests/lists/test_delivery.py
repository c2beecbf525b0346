"""Mail coming in from a mail server: the real LMTP server delivered to with smtplib.LMTP, and
archive_mail reading a message on standard input as an MTA pipe gives it."""

from __future__ import annotations

import os
import signal
import smtplib
import subprocess
import sys

import pytest
from django.conf import settings

from bench.common import free_port
from lists.models import Message
from tests.conftest import ROOT, _database_url, wait_until

from .conftest import mail as lf_mail

pytestmark = pytest.mark.django_db(transaction=True)


def mail(*args, **kwargs) -> bytes:
    """A message as a mail server sends it: CRLF line ends."""
    return lf_mail(*args, **kwargs).replace(b"\n", b"\r\n")


@pytest.fixture
def lmtp_port(public_list):
    port = free_port()
    env = {**os.environ, "DATABASE_URL": _database_url(), "DB_CONN_MAX_AGE": "0"}
    log = open(os.path.join(settings.VAR_DIR, "lmtp.log"), "wb")  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, "manage.py", "lmtp_server", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )

    def listening():
        try:
            with smtplib.LMTP("127.0.0.1", port, timeout=2) as client:
                return client.noop()[0] == 250
        except OSError:
            return process.poll() is not None

    try:
        wait_until(listening, timeout=30)
        assert process.poll() is None, "the LMTP server did not start"
        yield port
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
        log.close()


def test_lmtp_delivery_archives_and_threads(lmtp_port, public_list):
    with smtplib.LMTP("127.0.0.1", lmtp_port, timeout=30) as client:
        client.ehlo("mx.example.org")  # smtplib.LMTP sends LHLO
        refused = client.sendmail(
            "wei@example.org", [public_list.posting_address], mail("lmtp1@x", subject="Via LMTP")
        )
        assert refused == {}
        client.sendmail(
            "li@example.org",
            ["DEV@lists.example.org"],  # addresses are case-insensitive
            mail("lmtp2@x", subject="Re: Via LMTP", references=["lmtp1@x"]),
        )
    first = Message.objects.get(message_id="lmtp1@x")
    second = Message.objects.get(message_id="lmtp2@x")
    assert second.parent == first and second.thread_id == first.thread_id
    assert bytes(first.raw) == lf_mail("lmtp1@x", subject="Via LMTP")


def test_lmtp_refuses_unknown_lists_and_redelivery_is_harmless(lmtp_port, public_list):
    with smtplib.LMTP("127.0.0.1", lmtp_port, timeout=30) as client:
        client.ehlo("mx.example.org")  # smtplib.LMTP sends LHLO
        with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
            client.sendmail("x@example.org", ["nobody@lists.example.org"], mail("no@x"))
        assert refused.value.recipients["nobody@lists.example.org"][0] == 550
    raw = mail("again@x")
    for _ in range(2):  # a mail server retrying after a lost answer
        with smtplib.LMTP("127.0.0.1", lmtp_port, timeout=30) as client:
            client.sendmail("x@example.org", [public_list.posting_address], raw)
    assert Message.objects.filter(message_id__startswith="again@x").count() == 1
    assert not Message.objects.filter(message_id="no@x").exists()


def test_archive_mail_reads_standard_input(public_list):
    env = {**os.environ, "DATABASE_URL": _database_url()}
    done = subprocess.run(
        [sys.executable, "manage.py", "archive_mail", public_list.name],
        input=lf_mail("pipe@x", subject="Through a pipe"),
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert b"archived <pipe@x>" in done.stdout
    assert Message.objects.get(message_id="pipe@x").subject == "Through a pipe"
    for args, stdin, error in (
        (["nope"], b"x", b"no mailing list is called 'nope'"),
        ([public_list.name], b"", b"the message is empty"),
    ):
        done = subprocess.run(
            [sys.executable, "manage.py", "archive_mail", *args],
            input=stdin, cwd=ROOT, env=env, capture_output=True, timeout=60,
        )  # fmt: skip
        assert done.returncode == 1 and error in done.stderr
    wait_until(lambda: Message.objects.count() == 1, timeout=5)
