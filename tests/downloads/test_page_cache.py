"""The catalogue pages kept rendered in the cache follow every change the services make, and
never hand one reader's page to another kind of reader."""

import io

import pytest
from django.urls import reverse
from django.utils import translation

from downloads.caching import page_key
from downloads.services.artifacts import add_artifact
from downloads.services.publishing import publish_release, withdraw_release

pytestmark = pytest.mark.django_db


def _html(client, name, *args, **query):
    response = client.get(reverse(name, args=args), query)
    return response.status_code, response.content.decode()


def test_cached_pages_follow_a_new_file_a_publish_and_a_withdrawal(
    client, boards, make_release, release_manager
):
    make_release("3.0", {"d02/Image": b"old kernel"})
    draft = make_release("3.1", {"d02/Image": b"new kernel"}, publish=False)
    manager = client.__class__()
    manager.force_login(release_manager)
    # Every page rendered once, so that what follows is served from the cache.
    assert "Latest release: 3.0" in _html(client, "downloads:board", "d02")[1]
    assert _html(client, "downloads:release", "3.1")[0] == 404
    status, preview = _html(manager, "downloads:release", "3.1")
    assert status == 200 and "Draft preview" in preview and "rootfs.tar.gz" not in preview
    assert "Latest: 3.0" in _html(client, "downloads:index")[1]
    assert "/releases/3.1/" not in _html(client, "downloads:releases")[1]

    # A new file on the draft shows in the preview at once.
    add_artifact(release=draft, stream=io.BytesIO(b"rootfs"), filename="rootfs.tar.gz",
                 board=boards["d02"])  # fmt: skip
    assert "rootfs.tar.gz" in _html(manager, "downloads:release", "3.1")[1]
    assert _html(client, "downloads:release", "3.1")[0] == 404  # still a draft for the public

    # Publishing: the board page, the grid and the release page show 3.1 to everyone.
    publish_release(release=draft)
    status, page = _html(client, "downloads:release", "3.1")
    assert status == 200 and "rootfs.tar.gz" in page and "Draft preview" not in page
    board_page = _html(client, "downloads:board", "d02")[1]
    assert "Latest release: 3.1" in board_page and "rootfs.tar.gz" in board_page
    assert "Latest: 3.1" in _html(client, "downloads:index")[1]
    assert "/releases/3.1/" in _html(client, "downloads:releases")[1]
    assert "superseded by 3.1" in _html(client, "downloads:release", "3.0")[1]

    # Withdrawing: 410 for everyone, and the board falls back to 3.0.
    withdraw_release(release=draft, reason="broken")
    assert _html(client, "downloads:release", "3.1")[0] == 410
    assert _html(manager, "downloads:release", "3.1")[0] == 410
    board_page = _html(client, "downloads:board", "d02")[1]
    assert "Latest release: 3.0" in board_page and "rootfs.tar.gz" not in board_page
    assert "Latest: 3.0" in _html(client, "downloads:index")[1]
    assert "superseded" not in _html(client, "downloads:release", "3.0")[1]
    assert "/releases/3.1/" not in _html(client, "downloads:releases")[1]


def test_a_release_manager_and_a_reader_never_share_a_page(
    client, boards, make_release, release_manager
):
    make_release("3.0", {"d02/Image": b"kernel"})
    make_release("3.1", {"d02/Image": b"draft kernel"}, publish=False)
    manager = client.__class__()
    manager.force_login(release_manager)
    # The manager fills the cache first, then the reader asks for the same pages.
    for c in (manager, client):
        status, grid = _html(c, "downloads:index")
        assert status == 200
        assert ("Manage releases" in grid) is (c is manager)
        status = _html(c, "downloads:release", "3.1")[0]
        assert status == (200 if c is manager else 404)
    # And the other way round: a reader's cached page is not the manager's.
    client_first = _html(client, "downloads:release", "3.0")[1]
    assert "Back to the draft" not in client_first
    assert "Back to the draft" in _html(manager, "downloads:release", "3.1")[1]
    assert page_key("release", "3.0", manager=True) != page_key("release", "3.0", manager=False)


def test_cached_pages_vary_by_language_and_filters(client, boards, make_release, ubuntu):
    make_release("3.0", {"d02/Image": b"a"})
    make_release("3.1", {"hikey/Image": b"b"}, distribution=ubuntu)
    assert 'data-board="hikey"' in _html(client, "downloads:index")[1]
    by_dist = _html(client, "downloads:index", distribution="ubuntu")[1]
    assert 'data-board="d02"' not in by_dist and 'data-board="hikey"' in by_dist
    assert 'data-board="d02"' in _html(client, "downloads:index")[1]
    english = _html(client, "downloads:board", "d02")[1]
    assert "Latest release: 3.0" in english
    client.cookies["django_language"] = "zh-hans"
    chinese = _html(client, "downloads:board", "d02")[1]
    assert "最新版本：3.0" in chinese and "Latest release" not in chinese
    with translation.override("zh-hans"):
        chinese_key = page_key("board", "d02")
    with translation.override("en"):
        assert chinese_key != page_key("board", "d02")
