"""Signed-in readers of one kind share the kept board and release pages; the panels made for
each reader (their watch button, the bugs they may see) are filled in for them, with their own
CSRF token (portal/page_cache.py, portal.caching.page_panels)."""

import pytest
from django.urls import reverse

from bugs.models import Component, Product
from bugs.services.filing import file_bug
from downloads.querysets import RELEASE_MANAGERS
from portal.models import Subscription
from portal.notifications import subscribe
from portal.page_cache import csrf_mark, reader_changed
from tests.readers import form_token, from_cache, make_member, signed_in

pytestmark = pytest.mark.django_db

WATCH = 'aria-pressed="false">Watch this board<'
STOP = 'aria-pressed="true">Stop watching this board<'
# Filling a member's panels: their watch choice, and the open bugs (or fixed ones) they may see.
BOARD_PARTS_QUERIES = 2
RELEASE_PARTS_QUERIES = 1


@pytest.fixture
def catalogue(boards, make_release):
    make_release("3.1", {"d02/Image": b"kernel", "hikey/Image": b"kernel"})
    return boards


@pytest.fixture
def security_bug(catalogue):
    """A security bug on the D02 that only its reporter (ada) may read among the members."""
    component = Component.objects.create(
        product=Product.objects.create(name="Kernel", slug="kernel", description="The kernel."),
        name="Drivers",
        slug="drivers",
    )
    ada = make_member("ada")
    return file_bug(
        reporter=ada,
        component=component,
        summary="Firmware leaks the boot key",
        description="Details.",
        board=catalogue["d02"],
        is_security=True,
    )


def test_members_share_a_kept_board_page_each_with_their_own_watch_button(catalogue, security_bug):
    ada = security_bug.reporter
    bob = make_member("bob")
    subscribe(user=ada, target=catalogue["d02"])
    url = reverse("downloads:board", args=["d02"])
    ada_page = signed_in(ada).get(url)
    bob_client = signed_in(bob, enforce_csrf_checks=True)
    bob_page = bob_client.get(url)
    assert not from_cache(ada_page) and from_cache(bob_page)
    ada_html, bob_html = ada_page.content.decode(), bob_page.content.decode()
    assert STOP in ada_html and WATCH not in ada_html
    assert WATCH in bob_html and STOP not in bob_html
    # The reporter's security bug is on her copy only, though the page is one.
    assert "Firmware leaks the boot key" in ada_html
    assert "Firmware leaks the boot key" not in bob_html
    assert 'data-test="board-bugs"' in bob_html
    for html in (ada_html, bob_html):
        assert csrf_mark() not in html and "<!--reader:" not in html
    # The token in bob's watch form is his: it goes through with CSRF checks on.
    answer = bob_client.post(
        reverse("downloads:watch_board", args=["d02"]),
        {"watch": "1", "csrfmiddlewaretoken": form_token(bob_html)},
    )
    assert answer.status_code == 302
    assert Subscription.objects.filter(user=bob, object_id=catalogue["d02"].pk).exists()


def test_a_readers_own_watch_shows_on_their_next_view_at_once(catalogue):
    ada, bob = make_member("ada"), make_member("bob")
    url = reverse("downloads:board", args=["d02"])
    signed_in(ada).get(url)
    bob_client = signed_in(bob)
    assert WATCH in bob_client.get(url).content.decode()
    bob_client.post(reverse("downloads:watch_board", args=["d02"]), {"watch": "1"})
    bob_client.get(url)  # the message is shown: a page of his own
    page = bob_client.get(url)
    assert from_cache(page) and STOP in page.content.decode()
    # Ada's copy of the same kept page did not move.
    ada_page = signed_in(ada).get(url)
    assert from_cache(ada_page) and WATCH in ada_page.content.decode()


def test_kept_parts_cost_no_query_and_filling_them_few(
    catalogue, security_bug, django_assert_num_queries
):
    bob = make_member("bob")
    bob_client = signed_in(bob)
    board = reverse("downloads:board", args=["d02"])
    release = reverse("downloads:release", args=["3.1"])
    bob_client.get(reverse("downloads:index"))  # his user, groups and unread count are kept now
    for url, filling in ((board, BOARD_PARTS_QUERIES), (release, RELEASE_PARTS_QUERIES)):
        signed_in(security_bug.reporter).get(url)  # kept by another member
        with django_assert_num_queries(filling):
            assert from_cache(bob_client.get(url))
        with django_assert_num_queries(0):
            assert from_cache(bob_client.get(url))
        reader_changed(bob.pk)  # his own state moved (a watch, a read mark elsewhere)
        with django_assert_num_queries(filling):
            assert from_cache(bob_client.get(url))


def test_members_share_a_kept_release_page_with_their_own_fixed_bugs(catalogue, security_bug):
    from bugs.models import Bug
    from downloads.models import Release

    Bug.objects.filter(pk=security_bug.pk).update(fixed_in=Release.objects.get(version="3.1"))
    bob = make_member("bob")
    url = reverse("downloads:release", args=["3.1"])
    ada_html = signed_in(security_bug.reporter).get(url).content.decode()
    bob_page = signed_in(bob).get(url)
    assert from_cache(bob_page)
    assert "Firmware leaks the boot key" in ada_html
    assert "Firmware leaks the boot key" not in bob_page.content.decode()


def test_a_draft_stays_hidden_from_readers_who_may_not_see_it_after_a_managers_visit(
    catalogue, make_release
):
    make_release("3.2-rc1", {"d02/Image": b"draft kernel"}, publish=False)
    manager, other_manager = (make_member(n, groups=[RELEASE_MANAGERS]) for n in ("mia", "max"))
    member, staff = make_member("bob"), make_member("stella", is_staff=True)
    url = reverse("downloads:release", args=["3.2-rc1"])
    first = signed_in(manager).get(url)
    assert first.status_code == 200 and "Draft preview" in first.content.decode()
    again = signed_in(other_manager).get(url)
    assert from_cache(again) and "Draft preview" in again.content.decode()
    for reader in (member, staff):
        client = signed_in(reader)
        assert client.get(url).status_code == 404
        assert client.get(url).status_code == 404


def test_a_reader_of_another_kind_gets_a_page_of_their_own_kind(catalogue):
    bob, carol = make_member("bob"), make_member("carol")
    staff = make_member("stella", is_staff=True)
    manager = make_member("mia", groups=[RELEASE_MANAGERS])
    url = reverse("downloads:board", args=["d02"])
    signed_in(bob).get(url)
    assert from_cache(signed_in(carol).get(url))
    for reader in (staff, manager):
        page = signed_in(reader).get(url)
        assert not from_cache(page)  # kept for their kind only from now on
        assert WATCH in page.content.decode()
        assert from_cache(signed_in(reader).get(url))


def test_members_share_the_release_list_each_with_their_own_watch_button(
    catalogue, django_assert_num_queries
):
    from downloads.services.announcing import releases_watch_target
    from tests.readers import filled

    ada, bob = make_member("ada"), make_member("bob")
    subscribe(user=bob, target=releases_watch_target())
    url = reverse("downloads:releases")
    assert not from_cache(signed_in(ada).get(url))  # rendered once, kept for members
    bob_client = signed_in(bob, enforce_csrf_checks=True)
    bob_client.get(url)
    with django_assert_num_queries(0):  # his part is kept for him too now
        page = bob_client.get(url)
    html = page.content.decode()
    assert from_cache(page) and filled(html)
    assert "Stop watching all releases" in html and "3.1" in html
    # The token in the kept page is his: he stops watching, and his next copy says so.
    answer = bob_client.post(
        reverse("downloads:watch_releases"), {"watch": "0", "csrfmiddlewaretoken": form_token(html)}
    )
    assert answer.status_code == 302
    bob_client.get(url)  # the message of the change, on a page rendered for him
    assert "Watch all releases" in bob_client.get(url).content.decode()
    ada_page = signed_in(ada).get(url)
    assert from_cache(ada_page) and "Watch all releases" in ada_page.content.decode()
