"""Reading state: new and unread markers, the jump to the first unread post, mark read."""

import pytest
from django.urls import reverse

from forum import services

pytestmark = pytest.mark.django_db


def rows(client, category):
    return client.get(category.get_absolute_url()).content.decode()


def test_new_then_read_then_unread(client, topic, ada, bob, public, settings):
    settings.FORUM_POSTS_PER_PAGE = 2
    client.force_login(bob)
    assert 'data-test="unread"' in rows(client, public)  # never opened: "new"
    client.get(topic.get_absolute_url())
    assert 'data-test="unread"' not in rows(client, public)
    for text in ("second", "third", "fourth"):
        services.post_reply(user=ada, topic=topic, source=f"the {text} post")
    assert ">unread<" in rows(client, public)
    jump = client.get(reverse("forum:first_unread", args=[topic.pk]))
    assert jump["Location"] == f"{topic.get_absolute_url()}#p2"
    client.get(topic.get_absolute_url())  # page 1 shows posts 1 and 2
    jump = client.get(reverse("forum:first_unread", args=[topic.pk]))
    assert jump["Location"] == f"{topic.get_absolute_url()}?page=2#p3"
    client.get(jump["Location"])
    assert 'data-test="unread"' not in rows(client, public)


def test_reading_position_never_goes_back(client, topic, ada, bob, settings):
    settings.FORUM_POSTS_PER_PAGE = 1
    services.post_reply(user=ada, topic=topic, source="second")
    client.force_login(bob)
    client.get(topic.get_absolute_url() + "?page=2")
    client.get(topic.get_absolute_url() + "?page=1")
    jump = client.get(reverse("forum:first_unread", args=[topic.pk]))
    assert jump["Location"].endswith("#p2")  # the last post, nothing newer


def test_mark_category_read(client, topic, ada, bob, public):
    client.force_login(bob)
    assert 'data-test="unread"' in rows(client, public)
    client.post(reverse("forum:mark_category_read", args=["boards"]))
    assert 'data-test="unread"' not in rows(client, public)
    services.post_reply(user=ada, topic=topic, source="something new")
    assert 'data-test="unread"' in rows(client, public)


def test_anonymous_sees_no_markers_and_writes_nothing(client, topic, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        page = client.get(topic.get_absolute_url())
    assert page.status_code == 200
    assert 'data-test="unread"' not in rows(client, topic.category)


def test_watch_levels_through_the_page(client, topic, bob, public):
    from portal.notifications import subscription_level

    client.force_login(bob)
    url = reverse("forum:watch_category", args=["boards"])
    assert client.post(url, {"level": "watching"}).status_code == 302
    assert subscription_level(user=bob, target=public) == "watching"
    assert client.post(url, {"level": "loud"}).status_code == 400
    client.post(url, {"level": ""})
    assert subscription_level(user=bob, target=public) is None
