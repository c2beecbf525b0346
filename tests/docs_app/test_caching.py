"""Pages and the index are kept rendered; every change a reader could notice shows at once."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from docs_app import services
from downloads.models import Artifact
from downloads.services.artifacts import add_artifact_from_path
from downloads.services.publishing import create_release, publish_release, withdraw_release

pytestmark = pytest.mark.django_db

PAGE = reverse("docs_app:page", args=["latest", "quick-start", "d02"])
INDEX = reverse("docs_app:version_index", args=["latest"])
SECTION = reverse("docs_app:section", args=["latest", "quick-start"])
SOURCE = "Kernel: [[artifact:d02/Image]]\n\nNewest: [[artifact:d02/latest/Image]]"


def get(client, url=PAGE) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_a_cached_page_costs_no_query_and_follows_an_edit(
    client, make_page, editor, django_assert_num_queries, django_capture_on_commit_callbacks
):
    page = make_page(title="D02 quick start", source="First words.")
    assert "First words." in get(client)
    assert "D02 quick start" in get(client, INDEX)
    assert "D02 quick start" in get(client, SECTION)
    with django_assert_num_queries(0):
        assert "D02 quick start" in get(client, SECTION)
    with django_assert_num_queries(0):
        assert "First words." in get(client)
    with django_assert_num_queries(0):
        assert "D02 quick start" in get(client, INDEX)
    with django_capture_on_commit_callbacks(execute=True):
        services.save_page(page=page, section=page.section, slug="d02", title="D02 in an hour",
                           source="Second words.", author=editor)  # fmt: skip
    html = get(client)
    assert "Second words." in html and "First words." not in html
    assert "<title>D02 in an hour" in html
    index = get(client, INDEX)
    assert "D02 in an hour" in index and "D02 quick start" not in index
    listed = get(client, SECTION)
    assert "D02 in an hour" in listed and "D02 quick start" not in listed


def _publish(version: str, files: dict[str, bytes], tmp_path, d02):
    """A release published the way release managers publish one."""
    release = create_release(version=version)
    for name, content in files.items():
        path = tmp_path / f"{version}-{name}"
        path.write_bytes(content)
        add_artifact_from_path(release=release, path=path, board=d02, filename=name,
                               kind=Artifact.Kind.KERNEL)  # fmt: skip
    return publish_release(release=release)


def test_a_cached_page_follows_a_new_release_and_its_files(
    client, make_release, make_page, tmp_path, d02
):
    make_release("1.0", {"Image": b"kernel one"}, days_ago=3)
    make_page(source=SOURCE)
    html = get(client)
    assert html.count('href="/downloads/releases/1.0/d02/Image"') == 2
    assert "/releases/2.0/" not in html and '<option value="2.0"' not in get(client, INDEX)
    _publish("2.0", {"Image": b"kernel two"}, tmp_path, d02)
    html = get(client)
    assert html.count('href="/downloads/releases/2.0/d02/Image"') == 2
    assert "/releases/1.0/" not in html
    assert '<option value="latest" selected>latest (2.0)</option>' in html
    assert '<option value="2.0">2.0</option>' in get(client, INDEX)
    # The old release's page now links its own file, the newest file, and a banner.
    old = get(client, reverse("docs_app:page", args=["1.0", "quick-start", "d02"]))
    assert 'href="/downloads/releases/1.0/d02/Image"' in old
    assert 'href="/downloads/releases/2.0/d02/Image"' in old
    assert "Read it for the current release, 2.0" in old


def test_a_withdrawn_release_leaves_no_stale_link(client, make_release, make_page):
    make_release("1.0", {"Image": b"kernel one"}, days_ago=3)
    two = make_release("2.0", {"Image": b"kernel two"})
    make_page(source=SOURCE)
    two_url = reverse("docs_app:page", args=["2.0", "quick-start", "d02"])
    assert "/downloads/releases/2.0/d02/Image" in get(client)
    assert "/downloads/releases/2.0/d02/Image" in get(client, two_url)
    assert '<option value="2.0">' in get(client, INDEX)
    withdraw_release(release=two, reason="bad kernel")
    html = get(client)
    assert "/releases/2.0/" not in html and '"2.0"' not in html
    assert html.count('href="/downloads/releases/1.0/d02/Image"') == 2
    assert '"2.0"' not in get(client, INDEX)
    assert client.get(two_url).status_code == 404


def test_readers_and_editors_do_not_share_a_cached_page(client, make_release, make_page, editor):
    make_release("1.0", {"Image": b"kernel"})
    make_page(source="[[artifact:d02/NoSuchFile]]")
    client.force_login(editor)
    editor_view = get(client)
    assert "artifact-broken" in editor_view and 'data-test="edit-page"' in editor_view
    reader_view = get(Client())
    assert "NoSuchFile (not in this release)" in reader_view
    assert "artifact-broken" not in reader_view and 'data-test="edit-page"' not in reader_view
    assert "Broken file references" not in get(Client(), INDEX)
    assert "Broken file references" in get(client, INDEX)


def test_the_board_and_the_language_are_the_readers_own(client, make_page, d02):
    make_page(tags=["d02"], source="English text.")
    make_page(title="D02 快速入门", source="中文内容。", language="zh-hans")
    plain = get(client)
    assert "Your board" not in plain.split('class="docs-nav"')[1].split("</aside>")[0]
    assert "For your D02" not in get(client, INDEX)
    chooser = Client()
    chooser.cookies["docs_board"] = "d02"
    chosen = get(chooser)
    assert 'href="/docs/latest/hardware-boards/d02/">D02</a>' in chosen
    assert "next=/docs/latest/quick-start/d02/" in chosen
    index = get(chooser, INDEX)
    assert "For your D02" in index and '<option value="d02" selected>' in index
    assert 'href="/docs/latest/quick-start/d02/">D02 quick start</a>' in index
    chinese = Client()
    chinese.cookies["django_language"] = "zh-hans"
    assert "中文内容。" in get(chinese) and "English text." not in get(chinese)
    assert "English text." in get(client) and "中文内容。" not in get(client)


def test_a_signed_out_reader_gets_no_token_and_no_cookie(make_page):
    """Nothing on a doc page is one reader's own, so the page can be kept whole: no CSRF token
    (the language switch is a link) and no cookie for a reader of the latest docs."""
    make_page()
    for _ in range(2):
        reader = Client(enforce_csrf_checks=True)
        response = reader.get(PAGE)
        assert "csrfmiddlewaretoken" not in response.content.decode()
        assert not response.cookies
        changed = reader.get(reverse("switch_language", args=["zh-hans"]), {"next": PAGE})
        assert changed.status_code == 302 and changed["Location"] == PAGE
        assert '<html lang="zh-hans">' in get(reader)


def test_a_section_renamed_in_the_admin_shows_on_its_pages(
    client, make_page, section, django_capture_on_commit_callbacks
):
    make_page()
    assert "Quick Start" in get(client)
    admin = get_user_model().objects.create_superuser("root", "root@example.org", "pw-1-tests")
    staff = Client()
    staff.force_login(admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(
            reverse("admin:docs_app_section_change", args=[section.pk]),
            {"slug": section.slug, "title": "First Steps", "title_zh": section.title_zh,
             "description": section.description, "order": section.order},
        )  # fmt: skip
    assert response.status_code == 302
    html = get(client)
    assert "First Steps" in html and "Quick Start" not in html
    assert "First Steps" in get(client, INDEX)
