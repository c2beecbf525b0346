"""The catalogue's pages, feeds, API and search; their query counts do not grow with the data."""

import json
import re

import pytest
from django.core.cache import cache
from django.urls import reverse

from bench.bench_downloads import bulk_catalogue
from downloads.services.publishing import withdraw_release
from portal.registry import registry

pytestmark = pytest.mark.django_db


PAGES = [
    ("downloads:index", []),
    ("downloads:index", [], {"distribution": "debian", "arch": "arm64"}),
    ("downloads:board", ["small-00"]),
    ("downloads:releases", []),
    ("downloads:release", ["small-00"]),
    ("downloads:folder", ["small-00", "small-00"]),
    ("downloads:folder_checksums", ["small-00", "small-00", "SHA256SUMS"]),
    ("downloads:release_checksums", ["small-00", "SHA256SUMS"]),
    ("downloads:feed", []),
    ("downloads:board_feed", ["small-00"]),
    ("downloads_api:boards", []),
    ("downloads_api:releases", []),
    ("downloads_api:release", ["small-00"]),
    ("downloads_api:board_latest", ["small-00"]),
]
MAX_QUERIES = 6
# The board and release pages also show what other sections registered there (their bugs, boot
# tests, lab results): one query for each panel, on a cold cache.
PANEL_PAGES = {"downloads:board": "board", "downloads:release": "release"}


def _get_all(client, django_assert_max_num_queries, *, cached: bool):
    counts = []
    for name, args, *query in PAGES:
        url = reverse(name, args=args)
        if cached:
            client.get(url, query[0] if query else {})  # fills the cache
        else:
            cache.clear()
        panels = len(registry.panels_for(PANEL_PAGES[name])) if name in PANEL_PAGES else 0
        with django_assert_max_num_queries(MAX_QUERIES + panels) as captured:
            response = client.get(url, query[0] if query else {})
        assert response.status_code == 200, url
        counts.append(len(captured.captured_queries))
    return counts


def test_query_counts_do_not_grow_with_boards_releases_and_files(
    client, django_assert_max_num_queries
):
    bulk_catalogue(boards=1, releases=2, files=1, prefix="small")
    small_cold = _get_all(client, django_assert_max_num_queries, cached=False)
    small_warm = _get_all(client, django_assert_max_num_queries, cached=True)
    # ×7 boards, ×5 releases, ×12 files per board:
    bulk_catalogue(boards=6, releases=8, files=12, prefix="large")
    large_cold = _get_all(client, django_assert_max_num_queries, cached=False)
    large_warm = _get_all(client, django_assert_max_num_queries, cached=True)
    # (The site feed may need one query less the second time: the Site is cached per process.)
    assert all(a <= b for a, b in zip(large_cold, small_cold, strict=True)), (
        f"{large_cold} > {small_cold}"
    )
    assert all(a <= b for a, b in zip(large_warm, small_warm, strict=True))
    # A cached catalogue page costs at most the one query that finds its board or release.
    assert max(large_warm[:5]) <= 1, large_warm


def test_board_grid_shows_latest_release_and_filters(client, boards, ubuntu, make_release):
    make_release("3.0", {"d02/Image": b"a"})
    make_release("3.1", {"d02/Image": b"b", "d02/rootfs.tar.gz": b"c"}, distribution=ubuntu)
    make_release("3.2-rc1", {"d02/Image": b"d"}, prerelease=True)
    html = client.get(reverse("downloads:index")).content.decode()
    d02 = html[html.index('data-board="d02"') :]
    assert "Latest: 3.1" in d02[: d02.index("</a>")]
    hikey = html[html.index('data-board="hikey"') :]
    assert "No release yet" in hikey[: hikey.index("</a>")]
    by_dist = client.get(reverse("downloads:index"), {"distribution": "ubuntu"}).content.decode()
    assert 'data-board="d02"' in by_dist and 'data-board="hikey"' not in by_dist
    by_level = client.get(reverse("downloads:index"), {"support": "community"}).content.decode()
    assert 'data-board="hikey"' in by_level and 'data-board="d02"' not in by_level
    bad = client.get(reverse("downloads:index"), {"arch": "<script>", "support": "zzz"})
    assert bad.status_code == 200 and "<script>" not in bad.content.decode()


def test_board_page_lists_the_latest_files_with_checksums(client, boards, make_release):
    make_release("3.0", {"d02/Image": b"old"})
    release = make_release("3.1", {"d02/Image": b"new kernel", "common/README": b"read me"})
    html = client.get(reverse("downloads:board", args=["d02"])).content.decode()
    kernel = release.artifacts.get(filename="Image")
    assert f'data-copy="echo &quot;{kernel.sha256}  Image&quot; | sha256sum -c"' in html
    assert 'href="/downloads/releases/3.1/d02/Image"' in html
    assert 'href="/downloads/releases/3.1/common/README"' in html
    assert "sha256sum -c --ignore-missing SHA256SUMS" in html
    assert "/downloads/releases/3.1/d02/SHA256SUMS" in html
    assert 'href="/downloads/releases/3.0/d02/"' in html  # older releases
    assert "Kernel image" in html  # grouped by kind
    assert "/bugs/?board=d02" in html
    assert 'data-test="no-quickstart"' in html  # no guide yet: said plainly, no dead button
    assert client.get(reverse("downloads:board", args=["nope"])).status_code == 404


def test_release_page_matrix_superseded_notice_and_prerelease_badge(client, boards, make_release):
    make_release("3.0", {"d02/Image": b"a", "hikey/Image": b"b", "d02/x.dts": b"c"})
    html = client.get(reverse("downloads:release", args=["3.0"])).content.decode()
    assert "superseded" not in html
    assert html.count('href="/downloads/releases/3.0/d02/') >= 2
    assert "Device tree" in html and "Kernel image" in html
    make_release("3.1", {"d02/Image": b"d"})
    html = client.get(reverse("downloads:release", args=["3.0"])).content.decode()
    assert "superseded by 3.1" in html
    make_release("4.0-rc1", {"d02/Image": b"e"}, prerelease=True)
    html = client.get(reverse("downloads:release", args=["4.0-rc1"])).content.decode()
    assert "pre-release" in html and "superseded" not in html


def test_withdrawn_releases_leave_lists_feeds_and_api(client, boards, make_release):
    old = make_release("3.0", {"d02/Image": b"a"})
    make_release("3.1", {"d02/Image": b"b"})
    withdraw_release(release=old, reason="broken")
    # The entries' titles and links, not the timestamps, whose fractions can hold "3.0".
    feed = client.get(reverse("downloads:feed")).content.decode()
    assert "/releases/3.1/" in feed and "/releases/3.0/" not in feed and ">3.0<" not in feed
    api = client.get(reverse("downloads_api:releases")).json()
    assert [r["version"] for r in api["releases"]] == ["3.1"]
    assert client.get(reverse("downloads_api:release", args=["3.0"])).status_code == 404


def test_api_gives_a_script_the_latest_kernel_and_its_checksum(client, boards, make_release):
    release = make_release("3.1", {"d02/Image": b"kernel", "common/README": b"r"})
    data = client.get(reverse("downloads_api:board_latest", args=["d02"])).json()
    assert data["release"]["version"] == "3.1"
    kernel = next(a for a in data["artifacts"] if a["kind"] == "kernel")
    assert kernel["url"] == "http://testserver/downloads/releases/3.1/d02/Image"
    assert kernel["sha256"] == release.artifacts.get(filename="Image").sha256
    assert kernel["board"] == "d02" and kernel["size"] == 6
    full = client.get(reverse("downloads_api:release", args=["3.1"])).json()
    assert {a["path"] for a in full["artifacts"]} == {"d02/Image", "common/README"}
    assert client.get(reverse("downloads_api:board_latest", args=["zz"])).status_code == 404
    empty = client.get(reverse("downloads_api:board_latest", args=["hikey"])).json()
    assert empty["release"] is None


def test_feeds_are_atom(client, boards, make_release):
    make_release("3.1", {"d02/Image": b"k"})
    feed = client.get(reverse("downloads:board_feed", args=["d02"]))
    assert feed["Content-Type"].startswith("application/atom+xml")
    assert (
        "<title>Estuary 3.1</title>" in feed.content.decode() and "<entry>" in feed.content.decode()
    )
    # No entry for a board the release has no file for (a bare "3.1" can be in the feed's
    # <updated> time: 03:59:53.165435).
    hikey = client.get(reverse("downloads:board_feed", args=["hikey"])).content.decode()
    assert "<entry>" not in hikey and "Estuary 3.1" not in hikey


def test_home_block_and_search_provider(client, boards, make_release):
    make_release("3.1", {"d02/Image": b"k"})
    html = client.get("/").content.decode()
    assert "Latest: 3.1" in html
    provider = registry.search_providers["downloads"]
    hits = provider.search(query="hip05", user=None, limit=10)
    assert [h.url for h in hits] == ["/downloads/d02/"]
    page = client.get(reverse("search"), {"q": "3.1"}).content.decode()
    assert 'href="/downloads/releases/3.1/"' in page


def test_json_and_text_answers_are_not_html(client, boards, make_release):
    make_release("3.1", {"d02/Image": b"k"})
    sums = client.get(reverse("downloads:folder_checksums", args=["3.1", "d02", "SHA256SUMS"]))
    assert sums["Content-Type"] == "text/plain; charset=utf-8"
    assert re.fullmatch(r"[0-9a-f]{64}  Image\n", sums.content.decode())
    assert json.loads(client.get(reverse("downloads_api:boards")).content)["boards"]
