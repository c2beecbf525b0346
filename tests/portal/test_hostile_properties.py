"""Properties of what comes from outside, for any input (hypothesis): the mail parser never
raises on bytes nor on broken-but-structured messages, and the archive always stores something;
the search query parsers (the archive's lore-style prefixes, the tracker's filters, the site
search) never let an exception escape, whatever the query.

The markup pipeline's own properties (no exception, the sanitizer's output a fixed point) and
the Range parser's are in test_properties.py.
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from lists.mailboxes import Entry
from lists.models import MailingList, Message
from lists.parsing import ParsedMessage, parse_message
from lists.querysets import parse_query, search_messages
from lists.services.ingestion import archive_batch

# The same examples every run; a function-scoped database is shared by the examples on purpose
# (each adds a message; none depends on the others).
MODEST = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

_HEADER_NAMES = st.sampled_from(
    ["From", "To", "Cc", "Subject", "Date", "Message-ID", "In-Reply-To", "References",
     "Content-Type", "Content-Transfer-Encoding", "Content-Disposition", "MIME-Version", "X-\x00"]
)  # fmt: skip
_HEADER_VALUES = st.one_of(
    st.sampled_from(
        [
            "multipart/mixed; boundary=", 'multipart/alternative; boundary="b"',
            "text/html; charset=x-unknown", "text/plain; charset=utf-7", "base64",
            "quoted-printable", "=?utf-8?B?////?=", "=?x?Q?=ZZ?=", "<a@b> <<<>>", "<>",
            "Mon, 99 Foo 99999 99:99:99 +9999", "attachment; filename*=utf-8''%FF%00",
            'attachment; filename="../../x\x00"', "\u202e<svg onload=alert(1)>", "",
        ]
    ),
    st.text(max_size=40),
)  # fmt: skip
_BODIES = st.one_of(
    st.binary(max_size=200),
    st.sampled_from([b"--b\r\nContent-Type: text/html\r\n\r\n<p>x", b"--\r\n--b--", b"=\r\n=ZZ"]),
)
STRUCTURED = st.builds(
    lambda headers, body: (
        b"".join(
            f"{name}: {value}".encode("utf-8", "surrogatepass") + b"\r\n" for name, value in headers
        )
        + b"\r\n"
        + body
    ),
    st.lists(st.tuples(_HEADER_NAMES, _HEADER_VALUES), max_size=10),
    _BODIES,
)
ANY_MAIL = st.one_of(st.binary(max_size=400), STRUCTURED)


@MODEST
@given(ANY_MAIL)
@example(b"")
@example(b"\x00" * 10)
@example(b"From: \x00\r\nSubject: \x00\r\n\r\n\x00")
def test_the_mail_parser_reads_any_bytes(raw):
    parsed = parse_message(raw)
    assert isinstance(parsed, ParsedMessage)
    assert parsed.message_id


_serial = itertools.count()


@pytest.mark.django_db
@settings(MODEST, max_examples=6)
@given(ANY_MAIL)
@example(b"Subject: \x00nul\r\n\r\nbody \x00 with NUL\r\n")
@example(b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Disposition: "
         b"attachment; filename=\"\x00.html\"\r\n\r\n\x00<script>\r\n--b--\r\n")  # fmt: skip
def test_the_archive_stores_whatever_arrives(raw):
    mailing_list, _created = MailingList.objects.get_or_create(
        name="hostile", defaults={"posting_address": "hostile@lists.example.org"}
    )
    # A unique line in front: every example is a new message, never a duplicate of another.
    raw = f"X-Example: {next(_serial)}\r\n".encode() + raw
    before = Message.objects.count()
    result = archive_batch(mailing_list=mailing_list, entries=[Entry("", raw, 0)])
    assert result.imported == 1
    assert Message.objects.count() == before + 1


_QUERY_TEXT = st.one_of(
    st.text(max_size=80),
    st.lists(
        st.sampled_from(
            ['s:', 'f:', 'b:', 'd:', '"', '..', '2024-02-30', '9999-12-31..0001-01-01', '&', '|',
             '!', '(', ')', ':*', '<->', "'", '\\', '#', '²', '٣', '9' * 30, ' ', 'a', 'é', '_',
             '\x00', '-', 'OR', 'AND', '*', ':A', 'f:a@b', 'd:..', '%', '\u200b']
        ),
        max_size=12,
    ).map("".join),
)  # fmt: skip


@MODEST
@given(_QUERY_TEXT)
def test_the_archive_query_parser_takes_any_text(query):
    parsed = parse_query(query)
    assert isinstance(parsed.tsquery, str)


@pytest.mark.django_db
@settings(MODEST, max_examples=30)
@given(_QUERY_TEXT)
@example('s:a_b f:x d:2024-01-01..2023-01-01 "unterminated')
def test_archive_search_runs_in_postgresql_for_any_query(query):
    from django.contrib.auth.models import AnonymousUser

    list(search_messages(AnonymousUser(), query)[:1])


@pytest.mark.django_db
@settings(MODEST, max_examples=6)
@given(
    _QUERY_TEXT,
    st.sampled_from(["", "id", "-id", "summary", "x", "-", "--id", "\x00"]),
    st.sampled_from(["", "NEW", "open", "x", "\x00"]),
    st.sampled_from(["", "1", "0", "-1", "99999999999999999999", "x"]),
)
@example("²", "", "", "")
@example("#" + "9" * 40, "", "", "")
def test_the_bug_list_answers_any_filter(client, query, sort, status, page):
    response = client.get(
        "/bugs/", {"q": query, "sort": sort, "status": status, "page": page, "keyword": query}
    )
    assert response.status_code in {200, 400, 404}, response.status_code


@pytest.mark.django_db
@settings(MODEST, max_examples=5)
@given(_QUERY_TEXT, st.sampled_from(["", "bugs", "lists", "forum", "docs", "x", "\x00"]))
@example("#²", "")
@example("\x00", "")
def test_the_site_search_answers_any_query(client, public_list_and_docs, query, section):
    for url in ("/search/", "/lists/hostile/search/", "/docs/search/"):
        response = client.get(url, {"q": query, "section": section})
        assert response.status_code in {200, 400}, (url, response.status_code)


@pytest.fixture
def public_list_and_docs(db):
    MailingList.objects.get_or_create(
        name="hostile", defaults={"posting_address": "hostile@lists.example.org"}
    )
