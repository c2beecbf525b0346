"""Search with lore's prefixes on PostgreSQL full text: s: f: b: d:, words and phrases, as
messages or as threads, and through the site-wide search."""

from __future__ import annotations

import pytest
from django.urls import reverse

from lists.querysets import parse_query, search_messages, search_threads

from .conftest import mail

pytestmark = pytest.mark.django_db


@pytest.fixture
def mails(public_list, archive):
    archive(
        public_list,
        mail("boot@x", subject="D05 boot hangs", sender="Wei Zhang <wei@example.org>",
             body="The kernel stops after GRUB loads the device tree.\n", day=3),
        mail("re@x", subject="Re: D05 boot hangs", sender="Li Na <li.na@example.org>",
             references=["boot@x"], body="Try the serial console at 115200.\n", day=9),
        mail("pxe@x", subject="PXE on the second port", sender="Li Na <li.na@example.org>",
             body="The D05 firmware boots from the network.\n", day=20),
    )  # fmt: skip
    return public_list


def ids(queryset) -> set[str]:
    return set(queryset.values_list("message_id", flat=True))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("d05", {"boot@x", "re@x", "pxe@x"}),
        ("s:boot", {"boot@x", "re@x"}),  # subject: "boot"; pxe@x has "boots" in its body only
        ("b:boot", {"pxe@x"}),
        ("f:li", {"re@x", "pxe@x"}),
        ("f:wei@example.org", {"boot@x"}),
        ('"device tree"', {"boot@x"}),
        ('"tree device"', set()),
        ("serial console", {"re@x"}),
        ("d:2016-05-01..2016-05-10", {"boot@x", "re@x"}),
        ("d05 d:2016-05-15..", {"pxe@x"}),
        ("d:..2016-05-03", {"boot@x"}),
        ("s:d05 f:li d:2016-05-01..2016-05-31", {"re@x"}),
        ("the", set()),  # stop words alone match nothing
        ("&|!():* '", set()),  # operators of to_tsquery are no syntax errors
    ],
)
def test_prefixes(mails, query, expected, ada):
    assert ids(search_messages(ada, query, mailing_list=mails)) == expected


def test_bad_dates_are_reported(mails, client):
    response = client.get(reverse("lists:search", args=[mails.name]) + "?q=d:2016-13-01..x")
    assert response.status_code == 200
    assert "not understood" in response.content.decode()
    assert parse_query("d:2016-13-01").errors == ["d:2016-13-01"]


def test_results_as_threads(mails, ada):
    threads = list(search_threads(ada, "d05", mailing_list=mails))
    assert len(threads) == 2


def test_search_pages(mails, client):
    url = reverse("lists:search", args=[mails.name])
    page = client.get(url + "?q=s:boot").content.decode()
    assert page.count('<li><a href="/lists/estuary-dev/m/') == 2
    page = client.get(url + "?q=s:boot&as=threads").content.decode()
    assert page.count('<li><a href="/lists/estuary-dev/t/') == 1
    assert client.get(url + "?q=").status_code == 200


def test_site_search_has_snippets(mails, client):
    page = client.get(reverse("search") + "?q=serial+console").content.decode()
    assert "Re: D05 boot hangs" in page
    assert "<mark>serial</mark> <mark>console</mark>" in page
