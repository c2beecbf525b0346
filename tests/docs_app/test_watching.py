"""Watching a guide page: the control on the page, and a notification when it is edited."""

import re

import pytest
from django.urls import reverse

from docs_app import services
from downloads.models import Release
from portal import notifications
from portal.models import Notification


@pytest.fixture
def page(make_page, editor):
    return make_page(author=editor)


def test_watch_this_page_and_hear_of_its_edits(
    client, page, editor, reader, django_assert_max_num_queries
):
    url = page.get_absolute_url()
    signed_out = client.get(url).content.decode()
    assert 'data-test="watch-page-signin"' in signed_out
    client.force_login(reader)
    client.get(url)  # warm the kept parts
    with django_assert_max_num_queries(8):
        shown = client.get(url).content.decode()
    assert "Watch this page" in shown
    assert client.get(reverse("docs_app:watch", args=[page.pk])).status_code == 405
    bad = client.post(reverse("docs_app:watch", args=[page.pk]), {"level": "muted"})
    assert bad.status_code == 400
    done = client.post(reverse("docs_app:watch", args=[page.pk]), {"level": "watching"})
    assert done.status_code == 302 and done["Location"] == url
    assert "Stop watching this page" in client.get(url).content.decode()

    services.save_page(
        page=page, section=page.section, slug=page.slug, title=page.title,
        source="Hello, with a new step.", author=editor, message="Add the UEFI step",
    )  # fmt: skip
    note = Notification.objects.get(recipient=reader)
    assert (note.verb, note.kind, note.url) == ("doc_edited", "docs", url)
    assert note.excerpt == "Add the UEFI step"
    assert not Notification.objects.filter(recipient=editor).exists()  # never the actor
    # A save that changes nothing tells nobody.
    services.save_page(
        page=page, section=page.section, slug=page.slug, title=page.title,
        source="Hello, with a new step.", author=editor,
    )  # fmt: skip
    assert Notification.objects.filter(recipient=reader).count() == 1

    client.post(reverse("docs_app:watch", args=[page.pk]), {"level": ""})
    assert notifications.subscription_level(user=reader, target=page) is None


def test_pages_of_draft_releases_cannot_be_watched(client, make_page, reader):
    draft = Release.objects.create(version="9.9")
    assert draft.status == Release.Status.DRAFT
    hidden = make_page(slug="d02-draft", release=draft)
    client.force_login(reader)
    response = client.post(reverse("docs_app:watch", args=[hidden.pk]), {"level": "watching"})
    assert response.status_code == 404


def test_signed_in_readers_share_a_kept_page_each_with_their_own_watch_button(
    page, reader, django_assert_num_queries
):
    from django.contrib.auth import get_user_model
    from django.test import Client

    other = get_user_model().objects.create_user("otto", "otto@example.org", "pw-for-tests-1")
    notifications.subscribe(user=other, target=page, level="watching")
    url = page.get_absolute_url()
    rita, otto = Client(), Client(enforce_csrf_checks=True)
    rita.force_login(reader)
    otto.force_login(other)
    assert not rita.get(url).has_header("Age")
    otto.get(url)  # their part, kept for them
    with django_assert_num_queries(0):
        shown = otto.get(url)
    assert shown.has_header("Age")
    html = shown.content.decode()
    assert "Stop watching this page" in html and ">otto<" in html and ">rita<" not in html
    again = rita.get(url)
    assert again.has_header("Age") and "Watch this page" in again.content.decode()
    # Their token is their own: the kept page's form works.
    assert "<!--reader:" not in html
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    done = otto.post(
        reverse("docs_app:watch", args=[page.pk]), {"level": "", "csrfmiddlewaretoken": token}
    )
    assert done.status_code == 302
    assert notifications.subscription_level(user=other, target=page) is None
