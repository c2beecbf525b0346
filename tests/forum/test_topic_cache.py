"""Anonymous readers get a topic's page from one cached fragment: it must follow every change
the services make, never reach signed-in readers, and never open a page the reader may not see."""

import pytest
from django.contrib.auth.models import AnonymousUser, Group
from django.test import Client
from django.urls import reverse

from forum import services
from forum.models import Access, Category, TopicRead
from forum.querysets import may_read, readable_categories

pytestmark = pytest.mark.django_db


def anonymous_page(topic, page: int = 1) -> str:
    url = topic.get_absolute_url() + (f"?page={page}" if page > 1 else "")
    response = Client().get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_a_warm_anonymous_page_is_one_query(client, topic, bob, django_assert_max_num_queries):
    for text in ("first reply", "second reply"):
        services.post_reply(user=bob, topic=topic, source=text)
    client.get(topic.get_absolute_url())
    with django_assert_max_num_queries(1):
        page = client.get(topic.get_absolute_url()).content.decode()
    assert "second reply" in page and "Sign in to reply." in page


def test_the_cached_page_follows_replies_edits_hides_likes_and_answers(topic, ada, bob, mod):
    assert "It stops at" in anonymous_page(topic)
    reply = services.post_reply(user=bob, topic=topic, source="Reflash the UEFI image.")
    page = anonymous_page(topic)
    assert "Reflash the UEFI image." in page and "1 reply" in page

    services.edit_post(user=bob, post=reply, source="Reflash the firmware, then the UEFI.")
    page = anonymous_page(topic)
    assert "Reflash the firmware, then the UEFI." in page
    assert reverse("forum:revisions", args=[reply.pk]) in page

    services.toggle_like(user=ada, post=reply)
    assert 'data-test="likes">♥ 1<' in anonymous_page(topic)

    topic = services.mark_answer(user=ada, post=reply, topic=topic)
    page = anonymous_page(topic)
    assert ">solved<" in page and 'data-test="answer-box"' in page

    services.set_post_hidden(moderator=mod, post=reply, hidden=True, reason="wrong advice")
    page = anonymous_page(topic)
    assert "Reflash the firmware" not in page and "This post is hidden" in page

    services.moderate_topic(moderator=mod, topic=topic, action="lock", reason="done")
    page = anonymous_page(topic)
    assert "This topic is locked." in page and "Sign in to reply." not in page


def test_later_pages_are_cached_apart(topic, bob, settings):
    settings.FORUM_POSTS_PER_PAGE = 2
    for text in ("second post", "third post", "fourth post"):
        services.post_reply(user=bob, topic=topic, source=text)
    first, second = anonymous_page(topic), anonymous_page(topic, 2)
    assert "second post" in first and "third post" not in first
    assert "third post" in second and "second post" not in second
    # The sign-in link brings the reader back to the page they were on.
    assert f"?next={topic.get_absolute_url()}%3Fpage%3D2" in second
    services.post_reply(user=bob, topic=topic, source="fifth post")
    assert "fifth post" in anonymous_page(topic, 3)


def test_signed_in_readers_never_get_the_anonymous_page(client, topic, ada, bob):
    services.post_reply(user=ada, topic=topic, source="A reply by the author.")
    anonymous = anonymous_page(topic)
    assert (
        'data-test="submit-reply"' not in anonymous
        and "csrfmiddlewaretoken" not in (anonymous.split('class="site-footer"')[0])
    )
    client.force_login(bob)
    page = client.get(topic.get_absolute_url()).content.decode()
    assert 'data-test="submit-reply"' in page and 'data-test="watch"' in page
    assert ">Like</button>" in page and "Sign in to reply." not in page
    assert TopicRead.objects.get(user=bob, topic=topic).last_read_number == 2
    services.toggle_like(user=bob, post=topic.posts.get(number=2))
    assert ">Unlike</button>" in client.get(topic.get_absolute_url()).content.decode()
    assert ">Unlike</button>" not in anonymous_page(topic)


def test_hidden_and_private_topics_stay_closed_after_being_cached(client, topic, mod, private):
    assert anonymous_page(topic)
    services.moderate_topic(moderator=mod, topic=topic, action="hide_topic", reason="spam")
    assert Client().get(topic.get_absolute_url()).status_code == 404
    client.force_login(mod)
    assert ">hidden<" in client.get(topic.get_absolute_url()).content.decode()

    secret = services.create_topic(
        user=mod, category=private, title="Moderators only", source="Not for everyone."
    )
    client.get(secret.get_absolute_url())  # seen by a moderator first
    assert Client().get(secret.get_absolute_url()).status_code == 404


def test_may_read_agrees_with_readable_categories(make_user):
    group = Group.objects.create(name="builders")
    rules = [(Access.EVERYONE, None), (Access.MEMBERS, None), (Access.GROUP, group)]
    categories = []
    for i, (access, read_group) in enumerate(rules):
        parent = Category.objects.create(
            name=f"Top {i}", slug=f"top-{i}", read_access=access, read_group=read_group
        )
        categories.append(parent)
        for j, (child_access, child_group) in enumerate(rules):
            categories.append(
                Category.objects.create(
                    name=f"Sub {i}{j}",
                    slug=f"sub-{i}-{j}",
                    parent=parent,
                    read_access=child_access,
                    read_group=child_group,
                )
            )
    readers = [
        AnonymousUser(),
        make_user("member"),
        make_user("builder", groups=["builders"]),
        make_user("root", is_superuser=True),
    ]
    for reader in readers:
        allowed = set(readable_categories(reader).values_list("pk", flat=True))
        for category in Category.objects.select_related("parent"):
            assert may_read(reader, category) == (category.pk in allowed), (reader, category)
    # Every rule lets someone in and keeps someone out, so the comparison means something.
    assert {may_read(readers[0], c) for c in categories} == {True, False}


def test_the_view_count_shows_once_flushed(topic):
    services.flush_view_counts()
    for _ in range(3):
        anonymous_page(topic)
    assert "0 views" in anonymous_page(topic)
    services.flush_view_counts()
    assert "4 views" in anonymous_page(topic)
