"""Reading: bounded queries, prev/next, breadcrumbs, print view, sitemap, feed, home, demo data."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from docs_app import services
from docs_app.models import Page
from downloads.models import Release

pytestmark = pytest.mark.django_db


def fill(make_page, make_release, n: int):
    release = make_release("1.0", {f"File{i}": f"file {i}".encode() for i in range(n)})
    source = "\n\n".join(f"- [[artifact:d02/File{i}]]" for i in range(n))
    parent = make_page(slug="d02", source=source, order=1)
    for i in range(n):
        make_page(slug=f"p{i}", title=f"Page {i}", source=f"## Part {i}\n\ntext", order=i + 2,
                  parent=parent)  # fmt: skip
        make_page(slug=f"p{i}", title=f"Page {i}", source="old", release=release)
    return release


@pytest.mark.parametrize("n", [2, 25])
def test_page_query_count_does_not_grow(client, make_page, make_release, editor, n,
                                        django_assert_max_num_queries,
                                        django_assert_num_queries):  # fmt: skip
    fill(make_page, make_release, n)
    for version in ["latest", "1.0"]:
        with django_assert_max_num_queries(5):
            response = client.get(reverse("docs_app:page", args=[version, "quick-start", "d02"]))
        assert response.status_code == 200
        assert response.content.decode().count("/downloads/releases/1.0/d02/File") == n
        with django_assert_num_queries(0):  # kept rendered
            again = client.get(reverse("docs_app:page", args=[version, "quick-start", "d02"]))
        assert again.content.decode().count("/downloads/releases/1.0/d02/File") == n
        with django_assert_max_num_queries(5):
            assert (
                client.get(
                    reverse("docs_app:page", args=[version, "quick-start", "p1"])
                ).status_code
                == 200
            )
        with django_assert_max_num_queries(4):
            index = client.get(reverse("docs_app:version_index", args=[version]))
        listed = index.content.decode().count(f'<li><a href="/docs/{version}/quick-start/')
        assert listed == min(n + 1, 12)
        assert (f"All {n + 1} pages" in index.content.decode()) == (n + 1 > 12)
        with django_assert_num_queries(0):
            assert client.get(reverse("docs_app:version_index", args=[version])).status_code == 200
        with django_assert_max_num_queries(4):
            section = client.get(reverse("docs_app:section", args=[version, "quick-start"]))
        assert section.content.decode().count(f'<li><a href="/docs/{version}/quick-start/') == (
            n + 1
        )
    client.force_login(editor)
    with django_assert_max_num_queries(8):
        assert (
            client.get(reverse("docs_app:page", args=["latest", "quick-start", "d02"])).status_code
            == 200
        )
    with django_assert_max_num_queries(5):
        assert client.get(reverse("docs_app:search"), {"q": "text"}).status_code == 200


def test_prev_next_breadcrumbs_toc_and_last_updated(client, make_page):
    top = make_page(slug="a", title="Alpha", order=1, source="## One\n\n## Two")
    make_page(slug="b", title="Beta", order=2, parent=top)
    make_page(slug="c", title="Gamma", order=3)
    html = client.get(
        reverse("docs_app:page", args=["latest", "quick-start", "b"])
    ).content.decode()
    assert 'rel="prev" href="/docs/latest/quick-start/a/"' in html
    assert 'rel="next" href="/docs/latest/quick-start/c/"' in html
    crumbs = html.split('class="breadcrumbs"')[1].split("</nav>")[0]
    assert "Quick Start" in crumbs and 'href="/docs/latest/quick-start/a/">Alpha</a>' in crumbs
    assert "last updated" in html
    alpha = client.get(
        reverse("docs_app:page", args=["latest", "quick-start", "a"])
    ).content.decode()
    assert '<a href="#one">One</a>' in alpha and '<h2 id="one">One</h2>' in alpha
    assert 'rel="prev"' not in alpha


def test_printable_view(client, make_page):
    make_page(source="Printed words.")
    response = client.get(reverse("docs_app:print", args=["latest", "quick-start", "d02"]))
    html = response.content.decode()
    assert response.status_code == 200 and "Printed words." in html
    assert "site-header" not in html and "/docs/latest/quick-start/d02/" in html


def test_sitemap_and_feed(client, make_page, editor):
    page = make_page(source="One.")
    services.save_page(page=page, section=page.section, slug="d02", title="Changed title",
                       source="Two.", author=editor, message="better")  # fmt: skip
    sitemap = client.get(reverse("docs_app:sitemap"))
    assert sitemap.status_code == 200
    assert b"/docs/latest/quick-start/d02/</loc>" in sitemap.content
    assert b"<lastmod>" in sitemap.content
    feed = client.get(reverse("docs_app:feed"))
    assert feed["Content-Type"].startswith("application/atom+xml")
    assert b"<title>Changed title (latest, en)</title>" in feed.content
    assert b"<name>eda</name>" in feed.content


def test_demo_data_and_home_block(client, make_release):
    call_command("seed_demo", verbosity=0)
    call_command("seed_demo", verbosity=0)  # again: nothing doubles
    assert Page.objects.filter(slug="d02", section__slug="quick-start").count() == 2
    assert (
        Page.objects.get(slug="d02", language="en", section__slug="quick-start").revisions.count()
        == 1
    )
    home = client.get("/").content.decode()
    assert 'href="/docs/latest/quick-start/d02/"' in home
    guide = client.get("/docs/latest/quick-start/d02/").content.decode()
    # The demo guide's file links all resolve to the newest demo release's real files.
    assert 'href="/downloads/releases/3.1/d02/Image"' in guide
    assert 'href="/downloads/releases/3.1/d02/hip05-d02.dts"' in guide
    assert 'href="/downloads/releases/3.1/common/README.txt"' in guide
    assert "artifact-missing" not in guide and "artifact-broken" not in guide
    for words in ["Flash the UEFI firmware", "PXE", "SATA"]:
        assert words in guide
    assert client.get("/docs/latest/hardware-boards/d02/").status_code == 200
    board_page = client.get("/downloads/d02/").content.decode()
    assert 'href="/docs/latest/quick-start/d02/"' in board_page
    assert client.get("/docs/latest/go-through/build-it-yourself/").status_code == 200


def test_cached_navigation_follows_every_save(
    client, make_page, editor, django_capture_on_commit_callbacks
):
    first = make_page(slug="a", title="Alpha", order=1)
    url = reverse("docs_app:page", args=["latest", "quick-start", "a"])
    index = reverse("docs_app:version_index", args=["latest"])
    assert "Beta" not in client.get(url).content.decode()
    assert "Beta" not in client.get(index).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        make_page(slug="b", title="Beta", order=2)
    html = client.get(url).content.decode()
    assert 'href="/docs/latest/quick-start/b/">Beta</a>' in html
    assert 'href="/docs/latest/quick-start/b/">Beta</a>' in client.get(index).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        services.save_page(page=first, section=first.section, slug="a", title="Alpha two",
                           source="Hello.", order=3, author=editor)  # fmt: skip
    html = client.get(url).content.decode()
    nav = html.split('class="docs-nav"')[1].split("</aside>")[0]
    assert nav.index("Beta") < nav.index("Alpha two")


def test_a_draft_releases_page_reaches_no_feed_sitemap_or_search(client, make_page, d02):
    draft = Release.objects.create(version="9.0-draft")
    make_page(slug="d02-draft", title="D02 on the secret 9.0", source="Unannounced zebrafish.",
              release=draft)  # fmt: skip
    make_page(slug="d02-public", title="D02 public", source="Announced zebrafish.")
    feed = client.get(reverse("docs_app:feed")).content.decode()
    assert "D02 public" in feed and "secret 9.0" not in feed and "9.0-draft" not in feed
    sitemap = client.get(reverse("docs_app:sitemap")).content.decode()
    assert "d02-public" in sitemap and "d02-draft" not in sitemap
    for url in ["/docs/search/?q=zebrafish", "/search/?q=zebrafish"]:
        found = client.get(url).content.decode()
        assert "Announced zebrafish" in found or "D02 public" in found, url
        assert "Unannounced" not in found and "secret 9.0" not in found, url
