"""A profile's timeline: topics, replies, bugs filed and list messages from verified addresses,
merged newest first, each item only for readers who may see it."""

import datetime
import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import reverse

from bugs.models import Bug, Component, Product
from bugs.services import filing
from bugs.workflow import SECURITY
from forum import services as forum
from forum.models import Access, Category
from lists.mailboxes import Entry
from lists.models import MailingList
from lists.services.ingestion import archive_batch
from portal import timeline

SECRETS = ("Moderators only: the spam wave", "Heap overflow in hns", "Embargoed fix for CVE")


def _mail(list_address: str, message_id: str, subject: str, day: int) -> bytes:
    when = datetime.datetime(2026, 5, day, 10, 0, tzinfo=datetime.UTC)
    return (
        f"From: Ada <ada@example.org>\nTo: {list_address}\nSubject: {subject}\n"
        f"Date: {when:%a, %d %b %Y %H:%M:%S +0000}\nMessage-ID: <{message_id}>\n\nText.\n"
    ).encode()


@pytest.fixture
def world(db):
    make = get_user_model().objects.create_user
    ada = make("ada", "ada@example.org", "pw-for-tests-1")
    EmailAddress.objects.create(user=ada, email="ada@example.org", verified=True, primary=True)
    insider = make("ines", "ines@example.org", "pw-for-tests-1")
    outsider = make("otto", "otto@example.org", "pw-for-tests-1")
    moderators = Group.objects.get_or_create(name="moderators")[0]
    for person in (ada, insider):
        person.groups.add(moderators, Group.objects.get_or_create(name=SECURITY)[0])
    public = Category.objects.create(name="Boards", slug="boards")
    private = Category.objects.create(
        name="Moderators", slug="moderators", read_access=Access.GROUP, read_group=moderators,
        post_access=Access.GROUP, post_group=moderators,
    )  # fmt: skip
    topic = forum.create_topic(user=ada, category=public, title="D05 boots", source="Yes.")
    forum.post_reply(user=ada, topic=topic, source="And it keeps booting.")
    forum.create_topic(user=ada, category=private, title=SECRETS[0], source="Quiet.")
    component = Component.objects.create(
        product=Product.objects.create(name="Kernel", slug="kernel"), name="Net", slug="net"
    )
    filing.file_bug(
        reporter=ada, component=component, summary="Fan spins", description="It happens."
    )
    filing.file_bug(
        reporter=ada, component=component, summary=SECRETS[1],
        description="It happens.", is_security=True,
    )  # fmt: skip
    open_list = MailingList.objects.create(name="dev", posting_address="dev@l.example.org")
    closed = MailingList.objects.create(
        name="sec", posting_address="sec@l.example.org", is_private=True
    )
    closed.members.add(ada, insider)
    archive_batch(
        mailing_list=open_list,
        entries=[Entry("", _mail("dev@l.example.org", "open@x", "Open talk", 1), 0)],
    )
    archive_batch(
        mailing_list=closed,
        entries=[Entry("", _mail("sec@l.example.org", "shh@x", SECRETS[2], 2), 0)],
    )
    return ada, insider, outsider


def _titles(client) -> list[str]:
    page = client.get(reverse("profile", args=["ada"])).content.decode()
    items = re.findall(r'data-test="timeline-item">.*?<a href="[^"]+">([^<]+)</a>', page, re.S)
    return [title.replace("&#x27;", "'") for title in items]


def test_timeline_shows_each_reader_only_what_they_may_see_page_by_page(
    client, world, monkeypatch, django_assert_max_num_queries
):
    _ada, insider, outsider = world
    # Bugs show as "#<id> <summary>"; ids go on across tests: ask, don't assume #1.
    number = dict(Bug.objects.values_list("summary", "pk"))
    public = {"D05 boots", "D05 boots #2", f"#{number['Fan spins']} Fan spins", "Open talk"}
    secrets = {SECRETS[0], f"#{number[SECRETS[1]]} {SECRETS[1]}", SECRETS[2]}
    for reader in (None, outsider):
        if reader:
            client.force_login(reader)
        assert set(_titles(client)) == public
    client.force_login(insider)
    titles = _titles(client)
    assert set(titles) == public | secrets
    # Newest first: the list mails are dated May 2026, before everything made just now.
    assert titles[-2:] == [SECRETS[2], "Open talk"]

    # Paged: every page costs the same few queries, and each item shows exactly once.
    monkeypatch.setattr(timeline, "PER_PAGE", 2)
    seen = []
    for number in (1, 2, 3, 4):
        # session, user, profile; forum 2 (+ group checks), bugs 1, lists 2; the header's badge
        with django_assert_max_num_queries(14):
            page = client.get(reverse("profile", args=["ada"]), {"page": number})
        html = page.content.decode()
        seen += re.findall(r'data-test="timeline-item">.*?<a href="([^"]+)"', html, re.S)
        assert (f"?page={number + 1}" in html) == (number < 4)
    assert len(seen) == len(set(seen)) == 7
    assert client.get(reverse("profile", args=["ada"]), {"page": "x"}).status_code == 200
