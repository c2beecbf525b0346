"""Replies in what you watch, mentions, likes and answers reach people by mail (the real worker)."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from forum import services
from forum.models import Access, Category
from portal import notifications
from portal.models import Notification, Profile

pytestmark = pytest.mark.worker


@pytest.fixture
def people(transactional_db):
    make = get_user_model().objects.create_user
    users = {}
    for name in ("ada", "bob", "carol", "dan"):
        users[name] = make(name, f"{name}@example.org", "pw-for-tests-1")
        Profile.objects.create(user=users[name], trust_level=Profile.TrustLevel.MEMBER)
    return users


@pytest.fixture
def board(people):
    return Category.objects.create(name="HiKey", slug="hikey", read_access=Access.EVERYONE)


def bodies(worker, to):
    return [
        m.get_body(preferencelist=("plain",)).get_content()
        for m in worker.sent_mail()
        if to in str(m["To"])
    ]


def test_watchers_mentions_and_category_watchers_hear_by_mail(client, celery_worker, people, board):
    ada, bob, dan = (people[n] for n in ("ada", "bob", "dan"))
    celery_worker.clear_mail()
    services.set_watch(user=dan, target=board, level="watching")
    topic = services.create_topic(
        user=ada, category=board, title="Fastboot cannot find the HiKey", source="Any hints?"
    )
    message = celery_worker.wait_for_mail(to="dan@example.org")
    assert "ada started a topic in Fastboot cannot find the HiKey" in message["Subject"]
    celery_worker.clear_mail()
    services.post_reply(user=bob, topic=topic, source="Check the jumpers, @carol knows more.")
    to_ada = celery_worker.wait_for_mail(to="ada@example.org")
    assert "bob replied in Fastboot cannot find the HiKey" in to_ada["Subject"]
    assert "Check the jumpers" in bodies(celery_worker, "ada@")[0]
    to_carol = celery_worker.wait_for_mail(to="carol@example.org")
    assert "bob mentioned you in" in to_carol["Subject"]
    to_dan = celery_worker.wait_for_mail(to="dan@example.org")
    assert "bob replied in" in to_dan["Subject"]
    # The author of a reply is never told of it; everyone got exactly one mail.
    assert not bodies(celery_worker, "bob@")
    assert len(celery_worker.sent_mail()) == 3


def test_muting_a_topic_stops_its_mail(client, celery_worker, people, board):
    ada, bob, carol = people["ada"], people["bob"], people["carol"]
    topic = services.create_topic(user=ada, category=board, title="Muted topic here", source="x1")
    client.force_login(ada)
    client.post(reverse("forum:watch_topic", args=[topic.pk]), {"level": "muted"})
    assert notifications.subscription_level(user=ada, target=topic) == "muted"
    services.set_watch(user=carol, target=topic, level="watching")
    celery_worker.clear_mail()
    services.post_reply(user=bob, topic=topic, source="a reply nobody muted")
    celery_worker.wait_for_mail(to="carol@example.org")
    assert not bodies(celery_worker, "ada@")
    assert not Notification.objects.filter(recipient=ada).exists()


def test_answer_and_like_notify_the_reply_author(client, celery_worker, people, board):
    ada, bob = people["ada"], people["bob"]
    topic = services.create_topic(
        user=ada, category=board, title="Which UEFI build?", source="Any idea?"
    )
    reply = services.post_reply(user=bob, topic=topic, source="The one from 5.1.")
    celery_worker.clear_mail()
    services.mark_answer(user=ada, post=reply, topic=topic)
    services.toggle_like(user=ada, post=reply)
    verbs = set(Notification.objects.filter(recipient=bob).values_list("verb", flat=True))
    assert verbs == {"answered", "liked"}
    celery_worker.wait_for_mail(to="bob@example.org")
