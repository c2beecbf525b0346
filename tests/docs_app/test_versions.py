"""Versions (a page per release or "latest"), the switcher, the old-release banner, languages."""

import pytest
from django.urls import reverse

from docs_app.models import Page
from downloads.services.publishing import withdraw_release

pytestmark = pytest.mark.django_db


def url(version, slug="d02", section="quick-start"):
    return reverse("docs_app:page", args=[version, section, slug])


def test_latest_page_serves_every_release_without_its_own(client, make_release, make_page):
    make_release("1.0", {"Image": b"one"}, days_ago=30)
    make_release("2.0", {"Image": b"two"})
    make_page(source="Generic steps.")
    for version in ["latest", "1.0", "2.0"]:
        response = client.get(url(version))
        assert response.status_code == 200
        assert "Generic steps." in response.content.decode()


def test_a_release_page_overrides_latest_for_that_release(client, make_release, make_page):
    old = make_release("1.0", {"Image": b"one"}, days_ago=30)
    make_release("2.0", {"Image": b"two"})
    make_page(source="Generic steps.")
    make_page(source="Steps for one point oh.", release=old)
    assert "Steps for one point oh." in client.get(url("1.0")).content.decode()
    assert "Generic steps." in client.get(url("2.0")).content.decode()
    assert "Generic steps." in client.get(url("latest")).content.decode()


def test_old_release_shows_a_banner_to_the_current_one(client, make_release, make_page):
    make_release("1.0", {"Image": b"one"}, days_ago=30)
    make_release("2.0", {"Image": b"two"})
    make_page()
    old = client.get(url("1.0")).content.decode()
    assert "not the current one" in old and 'data-test="to-current"' in old
    assert "Read it for the current release, 2.0" in old
    for current in ["2.0", "latest"]:
        assert "not the current one" not in client.get(url(current)).content.decode()


def test_switcher_goes_to_the_same_page_in_another_version(client, make_release, make_page):
    make_release("1.0", {"Image": b"one"}, days_ago=30)
    make_release("2.0", {"Image": b"two"})
    make_page()
    html = client.get(url("latest")).content.decode()
    assert '<option value="1.0">1.0</option>' in html
    response = client.get(
        reverse("docs_app:switch_version"),
        {"version": "1.0", "section": "quick-start", "slug": "d02"},
    )
    assert response.status_code == 302 and response["Location"] == url("1.0")
    # The version carries across pages: the docs' index opens on it.
    assert client.cookies["docs_version"].value == "1.0"
    index = client.get(reverse("docs_app:index")).content.decode()
    assert f'href="{url("1.0")}"' in index


def test_unknown_draft_or_withdrawn_version_is_404(client, make_release, make_page):
    make_page()
    release = make_release("3.0", {"Image": b"x"})
    withdraw_release(release=release, reason="bad kernel")
    assert client.get(url("9.9")).status_code == 404
    assert client.get(url("3.0")).status_code == 404
    assert client.get(reverse("docs_app:switch_version"), {"version": "9.9"}).status_code == 404
    # A stale cookie does not break the index.
    client.cookies["docs_version"] = "9.9"
    assert client.get(reverse("docs_app:index")).status_code == 200


def test_board_choice_carries_across_pages(client, make_page, d02):
    make_page(tags=["d02"])
    response = client.get(reverse("docs_app:choose_board"), {"board": "d02", "next": "/docs/"})
    assert response.status_code == 302 and response["Location"] == "/docs/"
    index = client.get("/docs/").content.decode()
    assert "For your D02" in index
    page = client.get(url("latest")).content.decode()
    assert 'href="/docs/latest/hardware-boards/d02/"' in page
    evil = client.get(
        reverse("docs_app:choose_board"), {"board": "d02", "next": "https://evil.example/"}
    )
    assert evil["Location"] == reverse("docs_app:index")
    assert client.get(reverse("docs_app:choose_board"), {"board": "<x>"}).status_code == 400


def test_chinese_page_and_fallback_to_english_with_a_note(client, make_page, section):
    make_page(slug="d02", title="D02 quick start", source="English text.")
    make_page(slug="d02", title="D02 快速入门", source="中文内容。", language="zh-hans")
    make_page(slug="pxe", title="PXE", source="Only in English.")
    client.cookies["django_language"] = "zh-hans"
    zh = client.get(url("latest")).content.decode()
    assert "中文内容。" in zh and 'data-test="language-fallback"' not in zh
    fallback = client.get(url("latest", slug="pxe")).content.decode()
    assert "Only in English." in fallback and 'data-test="language-fallback"' in fallback
    client.cookies["django_language"] = "en"
    en = client.get(url("latest")).content.decode()
    assert "English text." in en and 'data-test="language-fallback"' not in en
    # The table of contents shows one entry per page, in the reader's language where it exists.
    client.cookies["django_language"] = "zh-hans"
    index = client.get(reverse("docs_app:version_index", args=["latest"])).content.decode()
    assert "D02 快速入门" in index and "D02 quick start" not in index and "PXE" in index
    assert Page.objects.count() == 3
