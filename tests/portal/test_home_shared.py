"""The home page signed in: one kept page for the readers of one kind, the blocks made for each
reader (the bugs and the lists they may read) filled in for them (portal.views.home)."""

import pytest
from django.urls import reverse

from bugs.models import Component, Product
from bugs.services.filing import file_bug
from portal.models import Notification
from portal.page_cache import csrf_mark, reader_changed
from tests.readers import form_token, from_cache, make_member, signed_in

pytestmark = pytest.mark.django_db

SECRET = "Firmware leaks the boot key"
# Filling a member's blocks: the open bugs they may see, the latest threads of their lists.
PARTS_QUERIES = 2


@pytest.fixture
def readers(db):
    """ada, who reported a security bug only she (among the members) may read, and bob."""
    ada, bob = make_member("ada"), make_member("bob")
    component = Component.objects.create(
        product=Product.objects.create(name="Kernel", slug="kernel", description="The kernel."),
        name="Drivers",
        slug="drivers",
    )
    for summary, secret in (("Network drops under load", False), (SECRET, True)):
        file_bug(
            reporter=ada,
            component=component,
            summary=summary,
            description="Details.",
            is_security=secret,
        )
    return ada, bob


def test_members_share_a_kept_home_page_each_with_their_own_blocks(readers):
    ada, bob = readers
    Notification.objects.create(recipient=bob, verb="replied", target_title="A reply", url="/")
    ada_page = signed_in(ada).get("/")
    bob_client = signed_in(bob, enforce_csrf_checks=True)
    bob_page = bob_client.get("/")
    assert not from_cache(ada_page) and from_cache(bob_page)
    ada_html, bob_html = ada_page.content.decode(), bob_page.content.decode()
    assert SECRET in ada_html and SECRET not in bob_html
    assert "Network drops under load" in ada_html and "Network drops under load" in bob_html
    for html in (ada_html, bob_html):
        assert csrf_mark() not in html and "<!--reader:" not in html
    # The token on bob's copy is his: a form posted with it goes through with checks on.
    token = form_token(bob_html)
    answer = bob_client.post(reverse("notifications:mark_all_read"), {"csrfmiddlewaretoken": token})
    assert answer.status_code == 302
    assert not Notification.objects.filter(recipient=bob, read_at__isnull=True).exists()


def test_kept_blocks_cost_no_query_and_filling_them_few(readers, django_assert_num_queries):
    ada, bob = readers
    bob_client = signed_in(bob)
    bob_client.get(reverse("news_list"))  # his user, groups and unread count are kept now
    signed_in(ada).get("/")
    with django_assert_num_queries(PARTS_QUERIES):
        assert from_cache(bob_client.get("/"))
    with django_assert_num_queries(0):
        assert from_cache(bob_client.get("/"))
    reader_changed(bob.pk)
    with django_assert_num_queries(PARTS_QUERIES):
        assert from_cache(bob_client.get("/"))


def test_staff_get_a_home_page_of_their_kind(readers):
    ada, bob = readers
    staff = make_member("stella", is_staff=True)
    signed_in(bob).get("/")
    page = signed_in(staff).get("/")
    assert not from_cache(page) and SECRET not in page.content.decode()
    assert from_cache(signed_in(staff).get("/"))
    assert SECRET in signed_in(ada).get("/").content.decode()
