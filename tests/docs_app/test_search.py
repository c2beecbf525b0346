"""Search: PostgreSQL full text, ranked (title first), snippets, section and version filters."""

from io import StringIO

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command
from django.urls import reverse

from docs_app.models import Page, Section
from docs_app.querysets import SNIPPET_LEAD, SNIPPET_WINDOW, _ranked, public_pages, search_pages
from portal.registry import registry
from portal.search import NO_FILTERS
from tests.conftest import headline_sources
from tests.docs_app.conftest import HEXO_SITE

pytestmark = pytest.mark.django_db


def test_finds_a_page_by_a_word_in_its_body(make_page):
    make_page(slug="pxe", title="Network boot", source="Configure the **tftpd** server first.")
    make_page(slug="other", title="Other", source="Nothing here.")
    hits = search_pages(query="tftpd")
    assert [h.page.slug for h in hits] == ["pxe"]
    assert "<mark>tftpd</mark>" in hits[0].snippet


def test_a_title_match_ranks_first(make_page):
    make_page(slug="body", title="Boot from disk", source="GRUB GRUB GRUB loads the kernel. " * 3)
    make_page(slug="title", title="GRUB", source="The boot loader.")
    assert [h.page.slug for h in search_pages(query="grub")] == ["title", "body"]


def test_stemming_websearch_syntax_and_escaping(make_page):
    make_page(slug="a", title="Flashing", source="You flash the <b>firmware</b> & then reboot.")
    make_page(slug="b", title="Other", source="Flash the kernel.")
    assert {h.page.slug for h in search_pages(query="flashed")} == {"a", "b"}
    assert [h.page.slug for h in search_pages(query="flash -kernel")] == ["a"]
    assert [h.page.slug for h in search_pages(query='"the firmware"')] == ["a"]
    snippet = search_pages(query="firmware")[0].snippet
    assert "&amp;" in snippet and "<b>" not in snippet


def test_filters_by_section_and_version(make_page, make_release):
    release = make_release("1.0", {"Image": b"x"})
    make_page(slug="q", source="uefi menu")
    make_page(slug="u", section=Section.objects.get(slug="uefi-and-grub"), source="uefi menu")
    make_page(slug="r", title="Old", source="uefi menu", release=release)
    make_page(slug="q", source="uefi menu of one point oh", release=release)
    assert {h.page.slug for h in search_pages(query="uefi")} == {"q", "u"}
    assert [h.page.slug for h in search_pages(query="uefi", section="uefi-and-grub")] == ["u"]
    # A release's search covers its own pages and the latest pages it has no own version of.
    in_release = search_pages(query="uefi", version="1.0")
    assert sorted((h.page.slug, h.page.version) for h in in_release) == [
        ("q", "1.0"),
        ("r", "1.0"),
        ("u", "latest"),
    ]


def test_search_pages_and_site_search(client, make_page):
    make_page(slug="pxe", title="Network boot", source="Configure tftpd.")
    html = client.get(reverse("docs_app:search"), {"q": "tftpd"}).content.decode()
    assert 'href="/docs/latest/quick-start/pxe/"' in html and "<mark>tftpd</mark>" in html
    assert (
        "Nothing in the docs matches"
        in client.get(reverse("docs_app:search"), {"q": "zzz"}).content.decode()
    )
    site = client.get(reverse("search"), {"q": "tftpd"}).content.decode()
    assert 'href="/docs/latest/quick-start/pxe/"' in site and "<mark>tftpd</mark>" in site
    # Odd input is not an error.
    assert client.get(reverse("docs_app:search"), {"q": "\"'():&|!"}).status_code == 200


def test_a_word_deep_in_a_long_real_page_is_marked_from_a_window_around_it(client):
    """A board's manual runs to tens of thousands of characters (the old site's Go-Through guide
    has 16,500): a headline is made from a window of it around the word, not from all of it
    (PostgreSQL parses every character it is given, about 0.25 µs each)."""
    call_command("import_hexo", str(HEXO_SITE), stdout=StringIO(), stderr=StringIO())
    page = Page.objects.get(title__icontains="go through")
    assert page.text.find("seagate") > 3 * SNIPPET_WINDOW
    [hit] = search_pages(query="seagate")
    assert hit.page == page
    assert "<mark>seagate</mark>" in hit.snippet
    assert hit.snippet.startswith("…") and hit.snippet.endswith("…")
    assert len(hit.snippet) < 400
    site = client.get(reverse("search"), {"q": "seagate"}).content.decode()
    assert hit.snippet in site
    # The window is around the rarest of the words: "disk" appears long before, inside
    # "ramdisk" too, and a window at the first "disk" would mark neither.
    reach = SNIPPET_WINDOW - SNIPPET_LEAD  # of a window started before the first "disk"
    assert page.text.lower().find("disk") < page.text.find("seagate") - reach
    [both] = search_pages(query="seagate disk")
    assert "<mark>seagate</mark>" in both.snippet and "<mark>disk</mark>" in both.snippet
    site = client.get(reverse("search"), {"q": "seagate disk"}).content.decode()
    assert both.snippet in site
    # Every headline of the docs' searches is cut from a bounded window of its page.
    ranked = _ranked(public_pages(), "seagate", 5)
    provider = next(p for p in registry.sorted_search_providers() if p.name == "docs")
    part = provider.sql(limit=5, query="seagate", user=AnonymousUser(), filters=NO_FILTERS)
    for sql in (str(ranked.query), part.sql):
        sources = headline_sources(sql)
        assert sources and all(s.lower().startswith(("substr(", "substring(")) for s in sources), (
            sources
        )
