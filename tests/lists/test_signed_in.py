"""Signed-in readers of a public list share its kept pages, each with their own watch button and
token (portal/page_cache.py); a private list's pages are rendered for each member, and never
answer anyone else."""

import pytest
from django.urls import reverse

from lists.models import Thread
from lists.services.watching import is_watching, set_watching
from portal.page_cache import csrf_mark
from tests.readers import form_token, from_cache, signed_in

from .conftest import mail

pytestmark = pytest.mark.django_db


@pytest.fixture
def thread(public_list, archive):
    archive(public_list, mail("root@x", subject="GIC ITS on D05", day=1))
    return Thread.objects.get(mailing_list=public_list)


def test_members_share_a_thread_page_each_with_their_own_watch_button(
    thread, ada, eve, django_assert_num_queries
):
    set_watching(user=ada, thread=thread, watching=True)
    url = thread.get_absolute_url()
    assert not from_cache(signed_in(eve).get(url))  # rendered once, kept for members

    ada_client = signed_in(ada, enforce_csrf_checks=True)
    first = ada_client.get(url)
    assert from_cache(first)
    with django_assert_num_queries(0):  # her part is kept for her too now
        page = ada_client.get(url)
    html = page.content.decode()
    assert "Stop watching" in html and 'value="unwatch"' in html
    assert ">ada<" in html and ">eve<" not in html
    assert csrf_mark() not in html and "<!--reader:" not in html

    # The token in the kept page is hers: her unwatch passes the CSRF check, and shows at once.
    watch = reverse("lists:watch_thread", args=[thread.mailing_list.name, thread.pk])
    answer = ada_client.post(watch, {"action": "unwatch", "csrfmiddlewaretoken": form_token(html)})
    assert answer.status_code == 302
    assert not is_watching(user=ada, thread=thread)
    ada_client.get(url)  # the message of the change is shown once, rendered for her
    assert "Watch this thread" in ada_client.get(url).content.decode()

    eve_page = signed_in(eve).get(url)
    assert from_cache(eve_page) and "Watch this thread" in eve_page.content.decode()


def test_members_share_a_list_page(public_list, thread, ada, eve, django_assert_num_queries):
    url = reverse("lists:list", args=[public_list.name])
    assert not from_cache(signed_in(eve).get(url))
    ada_client = signed_in(ada)
    ada_client.get(url)
    with django_assert_num_queries(0):
        page = ada_client.get(url)
    assert from_cache(page) and "GIC ITS on D05" in page.content.decode()
    assert ">ada<" in page.content.decode()


def test_a_private_lists_pages_are_rendered_for_each_member_and_no_one_else(
    private_list, archive, ada, eve
):
    archive(private_list, mail("s@x", subject="Embargoed fix", day=1))
    thread = Thread.objects.get(mailing_list=private_list)
    set_watching(user=ada, thread=thread, watching=True)
    urls = [reverse("lists:list", args=[private_list.name]), thread.get_absolute_url()]
    ada_client = signed_in(ada, enforce_csrf_checks=True)
    for url in urls:
        ada_client.get(url)
        again = ada_client.get(url)
        assert again.status_code == 200 and not from_cache(again)
        assert "Embargoed fix" in again.content.decode()
    # eve is a member of the same kind (no group, no rights) but not of the list.
    eve_client = signed_in(eve)
    for url in urls:
        assert eve_client.get(url).status_code == 404
    # ada's own form carries a real token of hers.
    html = ada_client.get(urls[1]).content.decode()
    assert "Stop watching" in html and csrf_mark() not in html
    watch = reverse("lists:watch_thread", args=[private_list.name, thread.pk])
    answer = ada_client.post(watch, {"action": "unwatch", "csrfmiddlewaretoken": form_token(html)})
    assert answer.status_code == 302 and not is_watching(user=ada, thread=thread)
