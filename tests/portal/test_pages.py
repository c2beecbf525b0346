"""The site's frame and its own pages."""

import re
from urllib.parse import quote
from xml.etree import ElementTree

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils.html import escape

from portal.registry import registry
from portal.services import publish_news

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(db):
    from django.core.management import call_command

    call_command("seed_demo", verbosity=0)


def test_home_introduces_estuary_and_links_every_section(client, seeded):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Linux on ARM64 boards" in html
    for name in ["docs_app:index", "downloads:index", "forum:index", "lists:index", "bugs:index"]:
        assert f'href="{reverse(name)}"' in html
    assert "HiKey" in html and "Hip05" in html
    # The news: the newest three, the demo releases' announcements among them, linked.
    from django.utils.html import escape

    from portal.querysets import published_news

    newest = list(published_news()[:3])
    assert any(item.title.endswith("is out") for item in newest)
    for item in newest:
        assert escape(item.title) in html and f'href="{item.get_absolute_url()}"' in html


def test_home_query_count_does_not_grow_with_news(client, seeded, django_assert_max_num_queries):
    for i in range(20):
        publish_news(title=f"News {i}", body="text")
    # On a cold cache: one query per section's block, and one for the news.
    with django_assert_max_num_queries(len(registry.home_blocks) + 1):
        assert client.get("/").status_code == 200


def test_pages_send_a_content_security_policy(client, seeded):
    csp = client.get("/")["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp


def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_avatars_of_any_name_are_well_formed_svg(client):
    for name in ['"', "<", "&", "'", '"onload="alert(1)', "<script>", "\u00e9"]:
        response = client.get(reverse("avatar", args=[name]))
        assert response.status_code == 200, name
        svg = ElementTree.fromstring(response.content)  # raises on broken markup
        assert svg.get("aria-label") == name[:1].upper(), name
        assert set(svg.attrib) == {"viewBox", "width", "height", "role", "aria-label"}, name


def test_profile_page_and_avatar(client, seeded):
    user = get_user_model().objects.create_user("ada", "ada@example.org", "pw-for-tests-1")
    response = client.get(reverse("profile", args=["ada"]))
    assert response.status_code == 200
    assert "@ada" in response.content.decode()
    avatar = client.get(reverse("avatar", args=["ada"]))
    assert avatar["Content-Type"] == "image/svg+xml"
    assert avatar.content.startswith(b"<svg") and b"<script" not in avatar.content
    assert client.get(reverse("avatar", args=["bob"])).content != avatar.content
    assert client.get(reverse("profile", args=["nobody"])).status_code == 404
    assert user.date_joined


def test_settings_need_login_and_save_the_profile(client, seeded):
    url = reverse("account_settings")
    assert client.get(url).status_code == 302
    user = get_user_model().objects.create_user("ada", "ada@example.org", "pw-for-tests-1")
    client.force_login(user)
    response = client.post(url, {"display_name": "  Ada L. ", "bio": "Kernel hacker."})
    assert response.status_code == 302
    page = client.get(reverse("profile", args=["ada"])).content.decode()
    assert "Ada L." in page and "Kernel hacker." in page


def test_settings_reject_a_too_long_bio(client, seeded):
    user = get_user_model().objects.create_user("ada", "ada@example.org", "pw-for-tests-1")
    client.force_login(user)
    response = client.post(reverse("account_settings"), {"display_name": "A", "bio": "x" * 501})
    assert response.status_code == 200
    assert "at most 500 characters" in response.content.decode()


def test_language_switch_to_simplified_chinese(client, seeded):
    response = client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    assert response.status_code == 302
    html = client.get("/").content.decode()
    assert '<html lang="zh-hans">' in html
    assert "下载" in html  # "Downloads" in the navigation


def test_search_page_answers_without_providers(client):
    response = client.get(reverse("search"), {"q": "uefi"})
    assert response.status_code == 200


def test_seed_demo_is_idempotent(seeded):
    from django.contrib.auth.models import Group
    from django.core.management import call_command

    from downloads.models import Board

    counts = (Board.objects.count(), Group.objects.count(), get_user_model().objects.count())
    call_command("seed_demo", verbosity=0)
    assert (Board.objects.count(), Group.objects.count(), get_user_model().objects.count()) == (
        counts
    )
    assert set(Board.objects.values_list("slug", flat=True)) >= {"d02", "d03", "d05", "hikey"}
    assert set(Group.objects.values_list("name", flat=True)) >= {
        "release-managers", "doc-editors", "moderators", "triagers", "security",
    }  # fmt: skip


def test_server_error_page_stands_alone():
    from django.template.loader import render_to_string

    html = render_to_string("500.html")
    assert "Something went wrong on our side" in html and "{%" not in html


def test_permission_denied_page_says_why(rf):
    from django.core.exceptions import PermissionDenied
    from django.views.defaults import permission_denied

    request = rf.get("/bugs/1/")
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    response = permission_denied(request, PermissionDenied("Only triagers may change this bug."))
    assert response.status_code == 403
    assert "Only triagers may change this bug." in response.content.decode()


def test_news_feed_is_atom_with_the_rendered_body(client, seeded):
    from xml.etree import ElementTree

    publish_news(title="Estuary 5.0 is out", body="New **kernels**.", slug="estuary-5-0")
    response = client.get(reverse("news_feed"))
    assert response["Content-Type"].startswith("application/atom+xml")
    atom = "{http://www.w3.org/2005/Atom}"
    entries = ElementTree.fromstring(response.content).findall(f"{atom}entry")
    titles = [entry.findtext(f"{atom}title") for entry in entries]
    assert titles[0] == "Estuary 5.0 is out"
    assert "<strong>kernels</strong>" in entries[0].findtext(f"{atom}summary")
    assert 'href="/news/feed/"' in client.get("/").content.decode()


def test_search_snippets_start_and_end_on_whole_words(client, seeded):
    from portal.search import whole_words

    text = "Set it with export CROSS_COMPILE=aarch64-linux-gnu- and then run make defconfig"
    # What PostgreSQL's ts_headline gives for "gnu": the word cut in its middle.
    assert whole_words("\x02gnu\x03- and then", text, start="\x02", stop="\x03") == (
        "…CROSS_COMPILE=aarch64-linux-\x02gnu\x03- and then…"
    )
    # On the search page: the build guide's cross compiler, found by a part of its name.
    page = client.get(reverse("search"), {"q": "gnu"}).content.decode()
    snippets = re.findall(r'<p class="snippet">(.*?)</p>', page, re.S)
    assert any("aarch64-linux-<mark>gnu</mark>-" in s for s in snippets), snippets


def test_the_frame_marks_the_current_section_in_the_reader_s_language(client, seeded):
    from portal.context_processors import _frame_part

    _frame_part.cache_clear()
    forum = client.get(reverse("forum:index")).content.decode()
    docs = client.get(reverse("docs_app:index"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    again = client.get(reverse("forum:index"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    current = re.compile(r'<a href="([^"]+)" aria-current="page">([^<]+)</a>')
    assert current.findall(forum) == [(reverse("forum:index"), "Forum")]
    assert current.findall(docs) == [(reverse("docs_app:index"), "文档")]
    assert current.findall(again) == [(reverse("forum:index"), "论坛")]
    assert 'href="/static/css/site.' in docs and reverse("feeds") in docs
    # Made once per language and section, then kept by the process.
    assert _frame_part.cache_info().hits > 0


def test_a_page_rendered_for_its_reader_has_their_menu_and_their_own_form_token(seeded):
    """The header's menu is kept per process; the sign-out form on a page rendered for one
    reader carries that reader's own token, which signs them out."""
    from django.test import Client

    from portal.page_cache import csrf_mark

    user = get_user_model().objects.create_user("menu-reader", password="menu-reader-pw")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    html = browser.get(reverse("search"), {"q": "kernel"}).content.decode()
    assert f'href="{reverse("profile", args=[user.username])}"' in html
    assert 'data-test="logout"' in html
    (token,) = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert token != csrf_mark()
    assert (
        browser.post(reverse("account_logout"), {"csrfmiddlewaretoken": token}).status_code == 302
    )
    assert "_auth_user_id" not in browser.session


def test_the_frames_kept_parts_carry_each_pages_own_query_and_address(client, seeded):
    """The search box, the sign-in link and the language links are made once per process and
    language; the words typed and the address to come back to are each page's own."""
    from portal.context_processors import _frame_part

    _frame_part.cache_clear()
    pages = {
        '<b>"uefi"': client.get(reverse("search"), {"q": '<b>"uefi"', "section": "docs"}),
        "kernel": client.get(reverse("search"), {"q": "kernel"}),
    }
    for words, response in pages.items():
        html = response.content.decode()
        (box,) = re.findall(r'<input id="site-q"[^>]*>', html)
        assert f'value="{escape(words)}"' in box
        back = escape(quote(response.wsgi_request.get_full_path(), safe="/"))
        assert f'href="{reverse("account_login")}?next={back}"' in html
        assert f'href="{reverse("switch_language", args=["zh-hans"])}?next={back}"' in html
    assert "&lt;b&gt;&quot;uefi&quot;" in pages['<b>"uefi"'].content.decode()
    chinese = client.get(reverse("forum:index"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'value=""' in re.findall(r'<input id="site-q"[^>]*>', chinese)[0]
    assert f'href="{reverse("switch_language", args=["en"])}?next=/forum/"' in chinese
    assert "登录" in chinese and "语言" in chinese
    assert _frame_part.cache_info().hits > 0
