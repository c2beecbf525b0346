"""Every message of the shared test data (mail that broke real archivers) is archived and
shows what a reader expects; what could not be understood is noted, never dropped."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from lists.mailboxes import read_path
from lists.models import Attachment, Message
from lists.services.ingestion import import_paths

from .conftest import TESTDATA

pytestmark = pytest.mark.django_db

FILES = sorted(p for p in TESTDATA.iterdir() if p.name != "SOURCES.txt")

# file: (subject, sender address, date (UTC) or None for "dated when archived", a piece of text,
#        attachment names)
EXPECTED = {
    "cpython_msg_15.txt": ("XX", "xx@xx.dk", "2001-04-30 10:17", "Some removed test.", []),
    "cpython_msg_16.txt": (
        "Delivery Notification: Delivery has failed", "postmaster@ucla.edu", "2001-09-24 03:14",
        "This report relates to a message you sent", [],
    ),
    "cpython_msg_47.txt": ("VIARGA|CIALIS|LEVITRA", "123@example.com", None, "PHARRMACY", []),
    "enmime_bad-final-boundary.raw": (
        "Attachment", "james@makita.skynet", "2012-10-19 05:48", "A text section",
        ["foo_9E5D72.zip"],
    ),
    "enmime_html-only-inline.raw": (
        "MIME test 1", "james@makita.skynet", "2012-10-13 22:33", "Test of HTML section",
        ["favicon.png"],
    ),
    "enmime_incorrect-charset.raw": (
        "plain text", "james@makita.skynet", "2012-10-19 05:48", "Mathematics and science", [],
    ),
    "enmime_mime-bad-8bit-filename.raw": (
        "Malformed test", "pavel.bazika@some.domain", "2021-02-22 05:29", "Text part",
        ["管理.doc"],
    ),
    "enmime_multipart-wo-boundary.raw": (
        "Delivery Status Notification (Failure)", "mailer-daemon@example.com", None,
        "multipart message without boundary", [],
    ),
    "enmime_qp-utf8-header-recursed.raw": (
        "MIME UTF8 Test \u00a2 More Text", "", "2012-10-19 19:22", "Lorem ipsum", [],
    ),
    "hyperkitty_another-wrong-encoding.txt": (
        "[Mailman-Developers] Questionnaire For My Project", "zzz@cse.unl.edu",
        "1999-11-09 02:53", "graduate student", [],
    ),
    "hyperkitty_attachment-1.txt": (
        "gradle 1.0", "puntogil@libero.it", "2012-09-23 00:02", "This is a test message.",
        ["puntogil.vcf"],
    ),
    "hyperkitty_attachment-2.txt": (
        "[MM3-users]New Mailman 3 users list", "user@example.com", "2016-04-05 19:13",
        "I'm happy to announce", ["signature.asc"],
    ),
    "hyperkitty_attachment-3.txt": (
        "[MM3-users]Installation issues", "user@example.com", "2016-04-19 14:37",
        "Mailman 3 installed", ["webpage.txt"],
    ),
    "hyperkitty_attachment-4.txt": (
        "[MM3-users]Installation issues", "user@example.com", "2016-04-19 14:37",
        "Mailman 3 installed", ["bogus.txt"],
    ),
    "hyperkitty_attachment-5.txt": (
        "[List1] try 5", "gauret@free.fr", "2012-10-03 12:44", "accented letters : é è ç à",
        ["todo-déjeuner.txt"],
    ),
    "hyperkitty_bad-subject-header.txt": (
        "(et en plus, en local…)", "user@example.com", "2007-02-20 07:27", "Bonjour", [],
    ),
    "hyperkitty_bad_content_type.txt": (
        "A message with bogus Content-Type:", "zzz@cse.unl.edu", "1999-11-09 02:53",
        "Some text", [""],
    ),
    "hyperkitty_bad_date_tz.txt": ("", "user@example.com", "1999-12-01 00:56", "msg1", []),
    "hyperkitty_bad_folding.txt": (
        "[<redacted>]  Sicherheit 2005: Stichworte und Vorschlag PC-Mitglieder; Ergänzung!",
        "user@example.com", "1999-12-01 00:56", "msg1", [],
    ),
    "hyperkitty_cant_write_error_message.txt": (
        "", "user@example.com", "2001-03-30 12:11", "", [],
    ),
    "hyperkitty_html-email-1.txt": (
        "[Ecologeeks] blog action day", "lecourty@club-internet.fr", "2012-09-25 16:35",
        "Non-ASCII chars: réponse français", [],
    ),
    "hyperkitty_html-email-2.txt": (
        "[Ecologeeks] blog action day", "lecourty@club-internet.fr", "2012-09-25 16:35",
        "la réponse est non", [],
    ),
    "hyperkitty_non-ascii-date-header.txt": (
        "Bad Date", "xxx@korea.com", "2001-06-27 15:23", "purported ascii body", [],
    ),
    "hyperkitty_non-ascii-headers.txt": (
        "[Fedora-packaging] RPM macros", "vondruch@redhat.com", "2012-07-10 11:29",
        "haskell guidelines", [],
    ),
    "hyperkitty_payload-iso8859.txt": (
        "Dummy subject", "test@example.com", "2007-04-06 22:43", "é è ç à î ï ë", [],
    ),
    "hyperkitty_payload-unknown.txt": (
        "Dummy subject", "test@example.com", "2007-04-06 22:43", "unknown content-type", [],
    ),
    "hyperkitty_payload-utf8-wrong.txt": (
        "Wrong encoding", "test@example.com", "2007-04-06 22:43", "diff --cc", [],
    ),
    "hyperkitty_payload-utf8.txt": (
        "Dummy subject", "test@example.com", "2007-04-06 22:43", "é è ç à î ï ë €", [],
    ),
    "hyperkitty_pipermail_nextpart.txt": (
        "[Fedora-packaging] RPM macros", "vondruch@redhat.com", "2012-07-10 11:29",
        "haskell guidelines", [],
    ),
    "hyperkitty_resent-date.txt": (
        "Test Resent-Date:", "zzz@example.com", "1999-11-09 02:53",
        "archived with date 8 Nov 1999", [],
    ),
    "hyperkitty_strange-in-reply-to-header.txt": (
        "Dummy subject", "test@example.com", "2007-04-06 22:43", "Dummy person's reply", [],
    ),
    "hyperkitty_unconvertable_message.txt": (
        "Re: [Mailman-Users] Delivery to SMTP server very slow", "user@example.com",
        "2010-02-20 23:05", "very slow list", [],
    ),
    "hyperkitty_unconvertable_msg-2.txt": (
        "SUBJECT", "sender@some.net", "2014-01-02 15:55", "", [""],
    ),
    "hyperkitty_unicode_issue.txt": ("SUB", "some@one.net", "2019-11-27 14:06", "PNG", []),
    "hyperkitty_unixfrom-date.txt": (
        "Test Resent-Date:", "zzz@example.com", "1999-11-09 21:54",
        "archived with date 9 Nov 1999", [],
    ),
    "hyperkitty_unknown-charset.txt": (
        "[Mailman-cabal] Fwd: xana:x: - V1AgR@ \\ Vali+u+m + V|cod|^n :S:oma + :Pntermin: "
        "wbpjkmtzlffi", "other@example.com",
        "2004-05-11 17:53", "ordering medication", [],
    ),
    "hyperkitty_wrong-in-reply-to-header.txt": (
        "Dummy subject", "test@example.com", "2007-04-06 22:43", "Dummy person's reply", [],
    ),
}  # fmt: skip


def test_every_file_is_expected():
    assert sorted(EXPECTED) == [p.name for p in FILES]


@pytest.fixture
def imported(public_list):
    # One list per file: several share a Message-ID, and each must show as itself.
    return import_paths(mailing_list=public_list, paths=FILES)


def test_every_file_imports_and_shows_what_a_reader_expects(imported, public_list, client, ada):
    # One file is a Pipermail archive of six messages; the others hold one message each.
    assert imported.imported == sum(len(list(read_path(path))) for path in FILES) == 42
    client.force_login(ada)  # signed in: sender addresses are shown
    for path in FILES:
        raw = next(read_path(path)).raw
        message = Message.objects.get(mailing_list=public_list, raw=raw)
        subject, sender, date, text, attachments = EXPECTED[path.name]
        assert message.subject == subject, path.name
        assert message.sender_email == sender, path.name
        if date is None:
            assert message.date_source == Message.DateSource.ARCHIVED, path.name
            assert "dated when archived" in message.note
        else:
            assert message.date.astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M") == date, (
                path.name
            )
        assert text in message.text, path.name
        names = list(message.attachments.values_list("filename", flat=True))
        assert names == attachments, path.name
        response = client.get(message.get_absolute_url())
        assert response.status_code == 200, path.name
        page = response.content.decode()
        if text:
            assert text.replace("'", "&#x27;").split("\n")[0][:20] in page, path.name
        raw_response = client.get(reverse("lists:raw", args=[public_list.name, message.message_id]))
        assert raw_response.content == bytes(message.raw), path.name


def test_what_could_not_be_read_is_noted(imported, public_list):
    notes = {
        bytes(raw): note
        for raw, note in Message.objects.filter(mailing_list=public_list).values_list("raw", "note")
    }
    by_file = {path.name: notes[next(read_path(path)).raw] for path in FILES}
    assert "no usable Message-ID" in by_file["cpython_msg_47.txt"]
    assert "cannot be read" in by_file["cpython_msg_47.txt"]
    assert "unknown charset 'iso-0646-6'" in by_file["hyperkitty_unknown-charset.txt"]
    assert "not valid utf-8" in by_file["hyperkitty_payload-utf8-wrong.txt"]
    assert "HTML only" in by_file["hyperkitty_html-email-2.txt"]
    assert "mbox From line" in by_file["hyperkitty_unixfrom-date.txt"]
    assert "resent date" in by_file["hyperkitty_resent-date.txt"]
    assert by_file["hyperkitty_payload-utf8.txt"].count("\n") <= 1


def test_dates_keep_the_original_header(imported, public_list):
    # Two files (bad_date_tz, bad_folding) carry this impossible zone.
    for message in Message.objects.filter(mailing_list=public_list, date_header__contains="-3000"):
        assert message.date_source == Message.DateSource.ENVELOPE
        assert message.date_header == "Tue, 30 Nov 1999 23:56:33 -3000 (CST)"


def test_duplicated_message_ids_are_all_kept(imported, public_list):
    # msg1, msg@id and 2007...@test.example.com are each used by several files.
    shared = Message.objects.filter(mailing_list=public_list, header_message_id="msg@id")
    assert shared.count() == 6
    assert shared.filter(message_id="msg@id").count() == 1
    for message in shared.exclude(message_id="msg@id"):
        assert message.message_id.startswith("msg@id.dup-")
        assert "was used by an earlier message" in message.note


def test_malformed_in_reply_to_is_read(imported, public_list):
    ids = set(
        Message.objects.filter(mailing_list=public_list, subject="Dummy subject").values_list(
            "in_reply_to", flat=True
        )
    )
    assert "200704070053.46646.other.person@example.com" in ids  # inside a sentence
    assert "200704070053.46646.other.person@example" in ids  # without its closing bracket


def test_a_missing_message_id_is_derived_from_the_content(imported, public_list, archive):
    message = Message.objects.get(mailing_list=public_list, subject="VIARGA|CIALIS|LEVITRA")
    assert message.message_id.endswith("@archive.invalid")
    assert not message.header_message_id
    again = archive(public_list, bytes(message.raw))
    assert again.imported == 0 and again.skipped == 1


def test_attachments_are_listed_and_downloadable(imported, public_list, client):
    attachment = Attachment.objects.get(message__mailing_list=public_list, filename="管理.doc")
    message = attachment.message
    page = client.get(message.get_absolute_url()).content.decode()
    url = reverse(
        "lists:attachment",
        args=[public_list.name, message.message_id, attachment.position, attachment.filename],
    )
    assert url in page
    response = client.get(url)
    assert response.status_code == 200
    assert response.content == b"<html>\n"
    assert response["Content-Type"] == "application/octet-stream"
    assert "attachment;" in response["Content-Disposition"]

    text = Attachment.objects.get(message__mailing_list=public_list, filename="webpage.txt")
    response = client.get(
        reverse(
            "lists:attachment",
            args=[public_list.name, text.message.message_id, text.position, text.filename],
        )
    )
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Disposition"] == "inline"
    assert bytes(response.content) == bytes(text.data)
