"""A private category's topics never show to people who may not read it, anywhere."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from forum import services
from forum.models import Access, Category
from forum.querysets import readable_categories

pytestmark = pytest.mark.django_db

SECRET = "Banning the spammer from Tuesday"


@pytest.fixture
def secret(mod, private):
    topic = services.create_topic(
        user=mod, category=private, title=SECRET, source="Quietly discussed kernelpanic."
    )
    services.post_reply(user=mod, topic=topic, source="A reply about kernelpanic too.")
    return topic


def pages_for(client, secret):
    return {
        "index": client.get(reverse("forum:index")),
        "home": client.get("/"),
        "feed": client.get(reverse("forum:feed")),
        "search": client.get("/search/?q=kernelpanic"),
        "profile": client.get(reverse("profile", args=["mod"])),
    }


def test_private_topics_stay_hidden_from_others(client, secret, bob, topic):
    for who in (None, bob):
        if who:
            client.force_login(who)
        for name, response in pages_for(client, secret).items():
            assert response.status_code == 200, name
            assert SECRET not in response.content.decode(), name
            assert "/forum/c/moderators/" not in response.content.decode(), name
        assert client.get(reverse("forum:category", args=["moderators"])).status_code == 404
        assert client.get(reverse("forum:topic", args=[secret.pk])).status_code == 404
        assert client.get(reverse("forum:topic_feed", args=[secret.pk])).status_code == 404
        assert client.get(reverse("forum:category_feed", args=["moderators"])).status_code == 404
        first_post = secret.posts.get(number=1)
        assert client.get(reverse("forum:post", args=[first_post.pk])).status_code == 404
        assert client.get(reverse("forum:reply", args=[secret.pk])).status_code in (302, 404)


def test_private_topics_show_to_the_group(client, secret, mod):
    client.force_login(mod)
    assert "/forum/c/moderators/" in client.get(reverse("forum:index")).content.decode()
    assert SECRET in client.get(reverse("forum:category", args=["moderators"])).content.decode()
    assert SECRET in client.get("/search/?q=kernelpanic").content.decode()
    assert SECRET in client.get(reverse("profile", args=["mod"])).content.decode()
    assert client.get(reverse("forum:topic", args=[secret.pk])).status_code == 200
    # Feeds are read without a session: they never carry private topics.
    assert SECRET not in client.get(reverse("forum:feed")).content.decode()


def test_subcategory_of_a_private_category_is_private(bob, mod, private):
    child = Category.objects.create(name="Sub", slug="sub", parent=private)
    assert child not in readable_categories(bob)
    assert child not in readable_categories(AnonymousUser())
    assert child in readable_categories(mod)


def test_signed_in_only_category(client, public, bob):
    members = Category.objects.create(name="Lab", slug="lab", read_access=Access.MEMBERS)
    assert client.get(members.get_absolute_url()).status_code == 404
    client.force_login(bob)
    assert client.get(members.get_absolute_url()).status_code == 200


def test_posting_needs_the_right(client, bob, private, public):
    with pytest.raises(PermissionDenied):
        services.create_topic(user=bob, category=private, title="Let me in", source="please")
    announcements = Category.objects.create(
        name="News", slug="news", post_access=Access.GROUP, post_group=private.post_group
    )
    client.force_login(bob)
    assert client.get(reverse("forum:new_topic", args=["news"])).status_code == 403
    assert client.get(reverse("forum:new_topic", args=["boards"])).status_code == 200
    assert announcements.topics.count() == 0


def test_anonymous_cannot_post(client, topic):
    response = client.post(reverse("forum:reply", args=[topic.pk]), {"source": "hello there"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert topic.posts.count() == 1
