"""Notification mail people control: a choice per kind (at once, daily digest, never), one
digest a day gathered by the real worker, and an unsubscribe that needs no sign-in."""

import datetime
import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from portal import notifications
from portal.models import NewsItem, Notification, Profile
from portal.tasks import send_daily_digests
from tests.conftest import wait_until


@pytest.fixture
def people(db):
    make = get_user_model().objects.create_user
    ada = make("ada", "ada@example.org", "pw-for-tests-1")
    bob = make("bob", "bob@example.org", "pw-for-tests-1")
    for user in (ada, bob):
        Profile.objects.create(user=user)
    return ada, bob


@pytest.fixture
def news(people):
    return NewsItem.objects.create(title="Release 5.1 is out", slug="r51", body="x")


def _link(message) -> str:
    body = message.get_body(preferencelist=("plain",)).get_content()
    return re.search(r"http://\S+/notifications/unsubscribe/\S+/", body).group(0)


def _digest_runs(worker) -> int:
    return len(re.findall(r"Task portal\.send_daily_digests\[[^\]]+\] succeeded", worker.log()))


@pytest.mark.worker
def test_a_days_events_gather_into_one_digest_mail(
    transactional_db, client, celery_worker, people, news
):
    ada, bob = people
    notifications.set_preferences(
        user=ada,
        choices={"forum_watching": "digest", "about_me": "digest", "bugs": "immediate"},
    )
    notifications.set_preferences(user=bob, choices={"about_me": "never"})
    celery_worker.clear_mail()
    say = dict(target=news, url=news.get_absolute_url(), title="Release 5.1 is out")
    # Yesterday's reply was left by a digest run that never happened: a late run takes it.
    notifications.notify(recipients=[ada], actor=bob, verb="replied", excerpt="First!", **say)
    Notification.objects.update(created_at=timezone.now() - datetime.timedelta(days=1))
    notifications.notify(recipients=[ada, bob], actor=None, verb="mentioned", **say)
    notifications.notify(recipients=[ada], actor=bob, verb="liked", **say)
    notifications.notify(recipients=[ada], actor=bob, verb="bug_changed", **say)
    # The bug change is mailed at once, the rest waits; bob chose no mail for mentions.
    at_once = celery_worker.wait_for_mail(to="ada@example.org")
    assert "bob changed Release 5.1 is out" in at_once["Subject"]
    assert Notification.objects.filter(recipient=ada, digest_due=True).count() == 3
    assert Notification.objects.filter(recipient=bob).count() == 1  # kept for the centre

    celery_worker.clear_mail()
    runs = _digest_runs(celery_worker)
    send_daily_digests.delay()
    digest = celery_worker.wait_for_mail(to="ada@example.org")
    body = digest.get_body(preferencelist=("plain",)).get_content()
    assert "Your daily digest: 3 notifications" in digest["Subject"]
    assert "bob replied in Release 5.1 is out" in body and "First!" in body
    assert "Someone mentioned you in Release 5.1 is out" in body
    assert "bob liked your post in Release 5.1 is out" in body
    assert "changed" not in body  # already mailed
    assert not Notification.objects.filter(digest_due=True).exists()
    assert Notification.objects.filter(recipient=ada, digested_at__isnull=False).count() == 3

    # Run again (beat twice, or a retry): nothing is mailed twice.
    send_daily_digests.delay()
    wait_until(lambda: _digest_runs(celery_worker) >= runs + 2)
    assert len([m for m in celery_worker.sent_mail() if "ada@" in str(m["To"])]) == 1

    # The digest's one-click unsubscribe, signed out: the link asks, the POST stops it.
    link = _link(digest)
    assert digest["List-Unsubscribe"] == f"<{link}>"
    assert digest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    path = link.split("127.0.0.1:8000", 1)[1]
    page = client.get(path).content.decode()
    assert "Stop the daily digest?" in page and 'data-test="unsubscribe"' in page
    assert notifications.preferences_of(ada)["about_me"] == "digest"
    done = client.post(path)
    assert done.status_code == 200
    assert "You will no longer receive the daily digest." in done.content.decode()
    choices = notifications.preferences_of(ada)
    assert choices["about_me"] == choices["forum_watching"] == "never"
    assert choices["bugs"] == "immediate"


def test_kinds_defaults_and_what_the_digest_records(people, news):
    ada, bob = people
    # A kind turned off after the event: the digest drops it but records it as taken.
    notifications.set_preferences(user=ada, choices={"about_me": "digest"})
    notifications.notify(recipients=[ada], actor=bob, verb="liked", target=news, url="/")
    notifications.set_preferences(user=ada, choices={"about_me": "never"})
    assert notifications.send_digests() == 0
    note = Notification.objects.get(recipient=ada)
    assert note.digest_due is False and note.digested_at is not None
    # Verbs no section registered follow the default kind.
    notifications.set_preferences(user=bob, choices={"other": "digest"})
    notifications.notify(recipients=[bob], actor=ada, verb="no_such_verb", target=news, url="/")
    note = Notification.objects.get(recipient=bob)
    assert note.kind == "other" and note.digest_due is True
    # The old "no notification mail" switch, as migrated, means never for every kind.
    Profile.objects.filter(user=ada).update(mail_preferences={"*": "never"})
    assert set(notifications.preferences_of(ada).values()) == {"never"}


def test_preferences_page(client, people, django_assert_max_num_queries):
    ada, _bob = people
    url = reverse("notifications:preferences")
    assert client.get(url).status_code == 302  # signed in only
    client.force_login(ada)
    with django_assert_max_num_queries(8):
        page = client.get(url).content.decode()
    for kind in ("about_me", "forum_watching", "bugs", "lab", "other"):
        assert f'data-test="kind-{kind}"' in page
    assert page.index('data-test="kind-about_me"') < page.index('data-test="kind-other"')
    choices = {k.name: "immediate" for k in notifications.kinds()} | {"bugs": "digest"}
    response = client.post(url, choices)
    assert response.status_code == 302
    assert notifications.preferences_of(ada)["bugs"] == "digest"
    bad = client.post(url, choices | {"bugs": "hourly"})
    assert bad.status_code == 400 and 'role="alert"' in bad.content.decode()
    assert notifications.preferences_of(ada)["bugs"] == "digest"
    settings_page = client.get(reverse("account_settings")).content.decode()
    assert url in settings_page
