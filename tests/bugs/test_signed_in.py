"""Signed-in readers of one kind share the kept bug list and bug page, each with their own parts
filled in: their saved searches, their CC button, their CSRF token. The reporter and assignee
of a bug, and readers who may see a security bug, get theirs rendered for them; a kept page
never answers a reader who may not see what is on it."""

import pytest
from django.test import Client
from django.urls import reverse

from bugs.models import Bug, SavedSearch
from bugs.services import searches, triage
from bugs.workflow import TRIAGERS
from tests.readers import account_name, filled, form_token, from_cache, signed_in

pytestmark = pytest.mark.django_db

LIST = reverse("bugs:index") + "?status=open&severity=normal"


def warm(client: Client) -> Client:
    """The reader's user and groups kept, as on a live site after their first page."""
    client.get(reverse("bugs:reports"))
    return client


def kept_read(client: Client, url: str, name: str, queries: int, assert_max_queries) -> str:
    """The kept page, filled for this reader (named in its header) in at most `queries`."""
    with assert_max_queries(queries):
        page = client.get(url)
    assert from_cache(page)
    html = page.content.decode()
    assert filled(html) and account_name(html) == name
    return html


# --- The list ----------------------------------------------------------------------------------


def test_members_share_a_kept_list_each_with_their_own_saved_searches_and_token(
    bug, make_user, django_assert_max_num_queries, django_assert_num_queries
):
    carol, dave = make_user("carol"), make_user("dave")
    searches.save_search(user=dave, name="Dave's drivers", query="component=1")
    assert not from_cache(signed_in(carol).get(LIST))

    dave_client = warm(signed_in(dave, enforce_csrf_checks=True))
    # Whether he sees a security bug, and his saved searches.
    html = kept_read(dave_client, LIST, "dave", 2, django_assert_max_num_queries)
    assert bug.summary in html and "Dave&#x27;s drivers" in html
    # His parts are kept for him: the next read asks nothing of the database.
    with django_assert_num_queries(0):
        assert from_cache(dave_client.get(LIST))

    carol_html = warm(signed_in(carol)).get(LIST).content.decode()
    assert account_name(carol_html) == "carol"
    assert 'data-test="saved-searches"' not in carol_html

    # The token in the kept page is dave's own: his search is saved with CSRF checks on, and
    # shows on his next list at once though no bug moved.
    answer = dave_client.post(
        reverse("bugs:save_search"),
        {"csrfmiddlewaretoken": form_token(html), "name": "Open normal", "query": "status=open"},
    )
    assert answer.status_code == 302
    assert SavedSearch.objects.filter(user=dave, name="Open normal").exists()
    dave_client.get(answer.url)  # the saved search's own page, with its message
    page = dave_client.get(LIST)
    assert from_cache(page)
    assert "Open normal" in page.content.decode()
    assert "Open normal" not in warm(signed_in(carol)).get(LIST).content.decode()

    searches.delete_search(user=dave, saved=SavedSearch.objects.get(user=dave, name="Open normal"))
    page = dave_client.get(LIST)
    assert from_cache(page) and "Open normal" not in page.content.decode()


def test_triagers_share_a_list_with_the_bulk_edit_form_members_never_get(bug, make_user):
    tina, tom = make_user("tina", groups=[TRIAGERS]), make_user("tom", groups=[TRIAGERS])
    carol = make_user("carol")
    signed_in(tina).get(LIST)
    page = warm(signed_in(tom)).get(LIST)
    assert from_cache(page)
    html = page.content.decode()
    assert 'data-test="bulk-apply"' in html and f'name="bugs" value="{bug.pk}"' in html
    assert filled(html)
    member = warm(signed_in(carol)).get(LIST).content.decode()
    assert 'data-test="bulk-apply"' not in member and 'name="bugs"' not in member


@pytest.mark.parametrize("first", ["insider", "member"])
def test_a_list_with_a_security_bug_is_never_kept_for_others(file_bug, make_user, first):
    rita, carol = make_user("rita2"), make_user("carol")
    public = file_bug("Public crash in the network driver")
    secret = file_bug("Secret overflow in the network driver", reporter=rita, is_security=True)
    readers = {"insider": warm(signed_in(rita)), "member": warm(signed_in(carol))}
    readers[first].get(LIST)
    insider = readers["insider"].get(LIST)
    assert not from_cache(insider)
    assert secret.summary in insider.content.decode()
    html = readers["member"].get(LIST).content.decode()
    assert public.summary in html and secret.summary not in html
    # The kept page (the member's) still goes to the insider as their own render.
    insider = readers["insider"].get(LIST)
    assert not from_cache(insider) and secret.summary in insider.content.decode()


# --- A bug ---------------------------------------------------------------------------------------


def test_members_share_a_kept_bug_page_each_with_their_own_cc_button_and_token(
    bug, make_user, triager, django_assert_max_num_queries, django_assert_num_queries
):
    carol, dave = make_user("carol"), make_user("dave")
    triage.set_cc(actor=triager, bug=bug, person=carol, on=True)
    url = bug.get_absolute_url()
    assert not from_cache(signed_in(carol).get(url))

    dave_client = warm(signed_in(dave, enforce_csrf_checks=True))
    # The bug's roles and security flag, and dave's CC, in one query.
    html = kept_read(dave_client, url, "dave", 1, django_assert_max_num_queries)
    assert "Add me to CC" in html and "Remove me from CC" not in html
    assert 'data-test="status-form"' not in html and 'data-test="edit-form"' not in html
    with django_assert_num_queries(0):
        assert from_cache(dave_client.get(url))

    carol_page = warm(signed_in(carol)).get(url)
    assert from_cache(carol_page)
    assert "Remove me from CC" in carol_page.content.decode()

    # dave's token works: he is on the CC, and his next page says so.
    answer = dave_client.post(
        reverse("bugs:cc", args=[bug.pk]), {"csrfmiddlewaretoken": form_token(html), "on": "1"}
    )
    assert answer.status_code == 302
    assert bug.cc.filter(pk=dave.pk).exists()
    again = dave_client.get(url).content.decode()
    assert "Remove me from CC" in again
    comment = dave_client.post(
        reverse("bugs:comment", args=[bug.pk]),
        {"csrfmiddlewaretoken": form_token(again), "body": "Seen here too."},
    )
    assert comment.status_code == 302


def test_the_reporter_and_the_assignee_get_their_own_bug_page(
    bug, reporter, assignee, make_user, triager
):
    carol = make_user("carol")
    triage.update_bug(actor=triager, bug=bug, values={"assignee": assignee})
    url = bug.get_absolute_url()
    signed_in(carol).get(url)
    assert from_cache(warm(signed_in(make_user("dave"))).get(url))
    for person in (reporter, assignee):
        page = warm(signed_in(person)).get(url)
        assert not from_cache(page), person
        html = page.content.decode()
        assert 'data-test="edit-form"' in html, person
        assert filled(html)
    # Nothing of theirs was kept for the others.
    html = warm(signed_in(carol)).get(url).content.decode()
    assert 'data-test="edit-form"' not in html


def test_a_reader_who_may_not_see_a_security_bug_gets_404_after_another_saw_it(
    file_bug, make_user, triager
):
    rita, carol, dave = make_user("rita2"), make_user("carol"), make_user("dave")
    erin = make_user("erin")
    secret = file_bug("Secret overflow", reporter=rita, is_security=True)
    triage.set_cc(actor=triager, bug=secret, person=dave, on=True)
    url = secret.get_absolute_url()
    assert signed_in(rita).get(url).status_code == 200
    assert warm(signed_in(dave)).get(url).status_code == 200
    assert warm(signed_in(carol)).get(url).status_code == 404

    # A kept bug page that turns secret: through the tracker the page moves; without a save
    # (no page moves) the kept page still asks the database before it answers a reader.
    for turn in ("service", "update"):
        other = file_bug(f"Public for now ({turn})", reporter=rita)
        url = other.get_absolute_url()
        assert not from_cache(signed_in(carol).get(url))
        assert from_cache(warm(signed_in(dave)).get(url)) is False  # on a secret bug's CC
        if turn == "service":
            triage.update_bug(actor=triager, bug=other, values={"is_security": True})
        else:
            Bug.objects.filter(pk=other.pk).update(is_security=True)
        assert warm(signed_in(erin)).get(url).status_code == 404


def test_a_reader_who_sees_a_security_bug_gets_the_bug_pages_rendered_for_them(
    file_bug, make_user, triager
):
    rita, carol = make_user("rita2"), make_user("carol")
    public = file_bug("Public crash")
    secret = file_bug("Secret overflow", reporter=rita, is_security=True)
    triage.add_dependency(actor=triager, bug=public, depends_on=secret)
    url = public.get_absolute_url()
    link = f'href="{secret.get_absolute_url()}"'
    assert link not in signed_in(carol).get(url).content.decode()
    page = warm(signed_in(rita)).get(url)
    assert not from_cache(page) and link in page.content.decode()
    # And the other way round: rita's page with the link is not kept for carol.
    triage.set_cc(actor=triager, bug=public, person=triager, on=True)  # the page moves
    assert link in warm(signed_in(rita)).get(url).content.decode()
    assert link not in warm(signed_in(carol)).get(url).content.decode()


def test_signed_out_readers_still_get_the_kept_bug_page(bug, make_user, client):
    carol = make_user("carol")
    url = bug.get_absolute_url()
    signed_in(carol).get(url)
    html = client.get(url).content.decode()
    assert "Sign in to comment." in html and "Add me to CC" not in html
    assert "<!--reader:" not in html
    assert from_cache(client.get(url))
