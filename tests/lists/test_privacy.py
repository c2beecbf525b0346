"""A private list leaks through no page, search, feed, export, count or profile: one test per
way in, each checked for a stranger, for a signed-in non-member, and (allowed) for a member."""

from __future__ import annotations

import gzip

import pytest
from django.urls import reverse

from lists.models import Attachment, Message, Thread

from .conftest import mail

pytestmark = pytest.mark.django_db

SECRET = "Zanzibarian"  # a word only the private list's mail holds
# What searches ask for: a page echoes its query, so the secret word is never asked for.
ASKED = "embargo"


@pytest.fixture
def secret(private_list, public_list, archive, ada):
    archive(
        public_list,
        mail("open@x", subject="Open talk", sender="Ada <ada@example.org>", body="Hello all.\n"),
    )
    attachment = "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n"
    raw = mail(
        "secret@x",
        subject=f"{SECRET} embargo",
        sender="Ada <ada@example.org>",
        extra=attachment,
        body=(
            f"--b\nContent-Type: text/plain\n\n{SECRET} details.\n"
            "--b\nContent-Type: application/octet-stream; name=poc.bin\n"
            "Content-Disposition: attachment; filename=poc.bin\n\nexploit\n--b--\n"
        ),
    )
    archive(private_list, raw)
    return Message.objects.get(message_id="secret@x")


@pytest.fixture(params=["stranger", "non-member"])
def outsider(request, client, eve):
    if request.param == "non-member":
        client.force_login(eve)
    return client


def _paths(message):
    name = message.mailing_list.name
    attachment = Attachment.objects.get(message=message)
    return [
        reverse("lists:list", args=[name]),
        reverse("lists:list", args=[name]) + "?page=1",
        reverse("lists:month", args=[name, 2016, 5]),
        reverse("lists:thread", args=[name, message.thread_id]),
        reverse("lists:thread", args=[name, message.thread_id]) + "?view=flat",
        reverse("lists:message", args=[name, message.message_id]),
        reverse("lists:raw", args=[name, message.message_id]),
        reverse("lists:attachment", args=[name, message.message_id, 0, attachment.filename]),
        reverse("lists:reply", args=[name, message.message_id]),
        reverse("lists:search", args=[name]) + f"?q={ASKED}",
    ]


def test_pages(secret, outsider):
    for path in _paths(secret):
        response = outsider.get(path)
        assert response.status_code in (302, 404), path  # 302: the reply form wants a sign-in
        assert SECRET.encode() not in response.content, path


def test_member_reads_them(secret, client, ada):
    client.force_login(ada)
    for path in _paths(secret):
        response = client.get(path)
        assert response.status_code == 200, path


def test_index_and_counts(secret, outsider):
    page = outsider.get(reverse("lists:index")).content.decode()
    assert "security" not in page and "estuary-dev" in page
    assert "1 message" in page  # the public list's count only


def test_site_search_and_list_search(secret, outsider, public_list):
    response = outsider.get(reverse("search") + f"?q={ASKED}")
    assert SECRET.encode() not in response.content
    response = outsider.get(reverse("lists:search", args=[public_list.name]) + f"?q={ASKED}")
    assert SECRET.encode() not in response.content
    response = outsider.get(
        reverse("lists:search", args=[public_list.name]) + f"?q={ASKED}&as=threads"
    )
    assert SECRET.encode() not in response.content


def test_member_finds_it_in_site_search(secret, client, ada):
    client.force_login(ada)
    assert SECRET.encode() in client.get(reverse("search") + f"?q={ASKED}").content


def test_feeds(secret, client, ada):
    name = secret.mailing_list.name
    # Feed readers have no session: a private list has no feed, even for its members.
    client.force_login(ada)
    for path in (
        reverse("lists:list_feed", args=[name]),
        reverse("lists:thread_feed", args=[name, secret.thread_id]),
    ):
        response = client.get(path)
        assert response.status_code == 404
        assert SECRET.encode() not in response.content


def test_exports(secret, outsider, public_list):
    name = secret.mailing_list.name
    for path in (
        reverse("lists:thread_mbox", args=[name, secret.thread_id]),
        reverse("lists:month_mbox", args=[name, 2016, 5]),
        reverse("lists:search_mbox", args=[name]) + f"?q={ASKED}",
    ):
        assert outsider.get(path).status_code == 404, path
    # A public list's search export cannot reach the private list's mail either.
    response = outsider.get(reverse("lists:search_mbox", args=[public_list.name]) + f"?q={ASKED}")
    assert SECRET.encode() not in gzip.decompress(b"".join(response.streaming_content))
    # Nor can a public list's URL open a private thread by its number.
    response = outsider.get(reverse("lists:thread_mbox", args=[public_list.name, secret.thread_id]))
    assert response.status_code == 404


def test_private_thread_not_reachable_through_a_public_list(secret, outsider, public_list):
    for path in (
        reverse("lists:thread", args=[public_list.name, secret.thread_id]),
        reverse("lists:thread_feed", args=[public_list.name, secret.thread_id]),
        reverse("lists:message", args=[public_list.name, secret.message_id]),
        reverse("lists:raw", args=[public_list.name, secret.message_id]),
    ):
        assert outsider.get(path).status_code == 404, path


def test_profile(secret, outsider, ada, client):
    page = outsider.get(reverse("profile", args=[ada.username])).content.decode()
    assert "Open talk" in page  # her public message is listed
    assert SECRET not in page
    client.force_login(ada)
    assert SECRET in client.get(reverse("profile", args=[ada.username])).content.decode()


def test_home_block(secret, outsider):
    page = outsider.get(reverse("home")).content.decode()
    assert "Open talk" in page
    assert SECRET not in page


def test_threads_of_both_lists_exist(secret):
    assert Thread.objects.count() == 2


def test_feeds_page_and_sitemap(secret, client):
    feeds = client.get(reverse("feeds")).content.decode()
    assert reverse("lists:list_feed", args=["estuary-dev"]) in feeds
    assert "/lists/security/" not in feeds
    sitemap = client.get(reverse("sitemap_section", args=["lists"])).content.decode()
    assert "/lists/estuary-dev/" in sitemap
    assert f"/t/{Message.objects.get(message_id='open@x').thread_id}/" in sitemap
    assert "/lists/security/" not in sitemap
