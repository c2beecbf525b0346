"""The notification centre: stored, counted in the header, mailed by the real worker with a
one-click unsubscribe link that needs no login."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal import notifications
from portal.models import NewsItem, Notification, Profile, Subscription
from portal.services import publish_news

pytestmark = pytest.mark.worker


@pytest.fixture
def people(transactional_db):
    make = get_user_model().objects.create_user
    ada = make("ada", "ada@example.org", "pw-for-tests-1")
    bob = make("bob", "bob@example.org", "pw-for-tests-1")
    for user in (ada, bob):
        Profile.objects.create(user=user)
    return ada, bob


@pytest.fixture
def news(people):
    return publish_news(title="Release 5.1 is out", body="Images for every board.")


def unsubscribe_link(message) -> str:
    body = message.get_body(preferencelist=("plain",)).get_content()
    return re.search(r"http://\S+/notifications/unsubscribe/\S+/", body).group(0)


def test_mail_carries_a_one_click_unsubscribe(client, celery_worker, people, news):
    ada, bob = people
    celery_worker.clear_mail()
    notifications.subscribe(user=ada, target=news)
    notifications.notify(
        recipients=notifications.watchers(targets=[news]),
        actor=bob,
        verb="replied",
        target=news,
        url=news.get_absolute_url(),
        excerpt="Great news!",
        via=news,
    )
    message = celery_worker.wait_for_mail(to="ada@example.org")
    assert "bob replied in Release 5.1 is out" in message["Subject"]
    link = unsubscribe_link(message)
    assert message["List-Unsubscribe"] == f"<{link}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    path = link.split("127.0.0.1:8000", 1)[1]
    # Opening the link changes nothing (mail scanners follow links); the button does it.
    page = client.get(path)
    assert page.status_code == 200 and 'data-test="unsubscribe"' in page.content.decode()
    assert notifications.subscription_level(user=ada, target=news) == "watching"
    done = client.post(path)
    assert "You will no longer hear about “Release 5.1 is out”." in done.content.decode()
    assert notifications.subscription_level(user=ada, target=news) == "muted"
    assert notifications.watchers(targets=[news]) == set()


def test_unsubscribe_from_direct_mail_turns_mail_off(client, celery_worker, people, news):
    ada, bob = people
    celery_worker.clear_mail()
    notifications.notify(recipients=[ada], actor=bob, verb="mentioned", target=news, url="/news/x/")
    path = unsubscribe_link(celery_worker.wait_for_mail(to="ada@example.org")).split(":8000")[1]
    done = client.post(path).content.decode()
    assert "Mentions, quotes, likes and answers about you" in done
    assert notifications.preferences_of(ada)["about_me"] == "never"
    assert notifications.preferences_of(ada)["forum_watching"] == "immediate"
    celery_worker.clear_mail()
    notifications.notify(
        recipients=[ada, bob], actor=None, verb="mentioned", target=news, url="/news/x/"
    )
    celery_worker.wait_for_mail(to="bob@example.org")
    assert not [m for m in celery_worker.sent_mail() if "ada@" in str(m["To"])]
    assert Notification.objects.filter(recipient=ada).count() == 2  # still in the centre


def test_forged_tokens_are_refused(client, people):
    ada, _bob = people
    token = notifications.unsubscribe_token(user_id=ada.pk)
    for bad in (token[:-2] + "xx", "nonsense"):
        response = client.post(reverse("notifications:unsubscribe", args=[bad]))
        assert response.status_code == 400
        assert "not valid" in response.content.decode()
    assert Profile.objects.get(user=ada).mail_preferences == {}


def test_centre_badge_and_mark_read(client, people, news):
    ada, bob = people
    notifications.notify(recipients=[ada, bob], actor=bob, verb="liked", target=news, url="/")
    assert Notification.objects.filter(recipient=bob).count() == 0  # never the actor
    client.force_login(ada)
    page = client.get("/").content.decode()
    assert re.search(r'data-test="unread-count">1<', page)
    with CaptureQueriesContext(connection) as queries:
        client.get("/")
    assert not [q for q in queries.captured_queries if "portal_notification" in q["sql"]]
    inbox = client.get(reverse("notifications:inbox")).content.decode()
    assert "liked your post in" in inbox and "Release 5.1 is out" in inbox
    note = Notification.objects.get(recipient=ada)
    head = client.head(reverse("notifications:open", args=[note.pk]))  # a link checker asks
    assert head.status_code == 302 and Notification.objects.get(pk=note.pk).read_at is None
    response = client.get(reverse("notifications:open", args=[note.pk]))
    assert response.status_code == 302 and response["Location"] == "/"
    assert 'data-test="unread-count"' not in client.get("/").content.decode()
    client.force_login(bob)
    assert client.get(reverse("notifications:open", args=[note.pk])).status_code == 404


def test_mark_all_read_and_mute_beats_watch(client, people, news):
    ada, bob = people
    notifications.notify(recipients=[ada], actor=bob, verb="liked", target=news, url="/")
    client.force_login(ada)
    client.post(reverse("notifications:mark_all_read"))
    assert not Notification.objects.filter(read_at__isnull=True).exists()
    other = NewsItem.objects.create(title="Other", slug="other", body="x")
    notifications.subscribe(user=ada, target=other)
    notifications.subscribe(user=ada, target=news, level=Subscription.Level.MUTED)
    assert notifications.watchers(targets=[news, other]) == set()
    assert notifications.watchers(targets=[other, news]) == {ada.pk}
