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


def test_signed_in_readers_share_the_list_and_keep_their_own_badges(
    topic, ada, bob, mod, public, private, make_user, django_assert_max_num_queries
):
    """The rendered list is kept for every reader but moderators; each reader's badges are
    their own, a private subcategory shows only to those who may read it, and a moderator
    still sees hidden topics."""
    from django.test import Client

    from forum.models import Category

    Category.objects.filter(pk=private.pk).update(parent=public)
    carol = make_user("carol")
    hidden = services.create_topic(
        user=ada, category=public, title="Hidden one", source="Buy cheap things here."
    )
    services.moderate_topic(moderator=mod, topic=hidden, action="hide_topic", reason="spam")
    readers = {name: Client() for name in ("bob", "carol", "mod")}
    for name, user in (("bob", bob), ("carol", carol), ("mod", mod)):
        readers[name].force_login(user)
    readers["bob"].get(topic.get_absolute_url())  # bob has read it; carol has not
    rows(readers["carol"], public)  # the list is kept now
    with django_assert_max_num_queries(9):
        bob_page = rows(readers["bob"], public)
    carol_page = rows(readers["carol"], public)
    assert topic.title in bob_page and topic.title in carol_page
    assert 'data-test="unread"' not in bob_page
    assert carol_page.count('data-test="unread"') == 1
    assert "Hidden one" not in carol_page and "Moderators" not in carol_page
    mod_page = rows(readers["mod"], public)
    assert "Hidden one" in mod_page and "Moderators" in mod_page
    assert "Hidden one" not in rows(Client(), public)
