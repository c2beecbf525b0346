"""Signed-in readers get the kept topic list and posts with their own parts filled in: their
likes, their CSRF token, their unread marks; their own posts' links are rendered for them alone.
A page costs a bounded number of queries, however much the forum holds."""

import re

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from forum import services
from forum.models import Category, Like, Topic, TopicRead

pytestmark = pytest.mark.django_db

SIGNED_IN_BOUND = 8


def signed_in(user, **options) -> Client:
    client = Client(**options)
    client.force_login(user)
    return client


def page_urls(category, topic) -> list[str]:
    last = max(1, (topic.post_count + 19) // 20)
    url = topic.get_absolute_url()
    return [
        category.get_absolute_url(),
        url,
        f"{url}?page={max(1, last // 2)}",
        f"{url}?page={last}",
    ]


def counts(client, urls, django_assert_max_num_queries) -> list[int]:
    found = []
    for url in urls:
        client.get(url)  # the kept parts are there now, as on a live site
        with django_assert_max_num_queries(SIGNED_IN_BOUND) as captured:
            assert client.get(url).status_code == 200, url
        found.append(len(captured))
    return found


def test_signed_in_counts_are_bounded_and_do_not_grow_with_data(
    topic, bob, public, django_assert_max_num_queries
):
    for number in range(3):
        services.post_reply(user=topic.author, topic=topic, source=f"reply {number}")
    call_command("forum_generate", topics=300, posts=120, category="big", verbosity=0)
    big = Category.objects.get(slug="big")
    long_topic = Topic.objects.filter(category=big).order_by("-reply_count").first()
    assert long_topic.post_count > 100
    reader = signed_in(bob)
    small = counts(reader, page_urls(public, topic), django_assert_max_num_queries)
    large = counts(reader, page_urls(big, long_topic), django_assert_max_num_queries)
    assert small == large


def test_a_member_gets_the_kept_posts_with_their_own_likes_and_token(topic, ada, bob, make_user):
    reply = services.post_reply(user=ada, topic=topic, source="Try the other image.")
    carol = make_user("carol")
    services.toggle_like(user=bob, post=reply)
    carol_page = signed_in(carol).get(topic.get_absolute_url()).content.decode()
    bob_client = signed_in(bob, enforce_csrf_checks=True)
    bob_page = bob_client.get(topic.get_absolute_url()).content.decode()
    assert f'data-like="{reply.pk}">Unlike<' in bob_page
    assert f'data-like="{reply.pk}">Like<' in carol_page
    # Neither sees edit or delete links on posts that are not theirs.
    assert reverse("forum:edit", args=[reply.pk]) not in bob_page + carol_page
    # The token in bob's forms is his: his unlike goes through with CSRF checks on.
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', bob_page).group(1)
    assert "csrf-token-of-the-reader" not in bob_page
    answer = bob_client.post(reverse("forum:like", args=[reply.pk]), {"csrfmiddlewaretoken": token})
    assert answer.status_code == 302
    assert not Like.objects.filter(user=bob, post=reply).exists()


def test_own_posts_show_their_links_to_their_author_only(topic, ada, bob):
    reply = services.post_reply(user=bob, topic=topic, source="My reply.")
    edit = reverse("forum:edit", args=[reply.pk])
    delete = reverse("forum:delete", args=[reply.pk])
    bob_page = signed_in(bob).get(topic.get_absolute_url()).content.decode()
    assert edit in bob_page and delete in bob_page
    # The topic's author may mark the answer; the kept posts never carry that form.
    ada_page = signed_in(ada).get(topic.get_absolute_url()).content.decode()
    assert 'data-test="mark-answer"' in ada_page and delete not in ada_page
    assert (
        'data-test="mark-answer"'
        not in signed_in(bob).get(topic.get_absolute_url()).content.decode()
    )


def test_the_read_mark_is_written_only_when_behind(topic, ada, bob, django_assert_num_queries):
    reader = signed_in(bob)
    reader.get(topic.get_absolute_url())
    read = TopicRead.objects.get(user=bob, topic=topic)
    assert read.last_read_number == 1
    # One query: the topic with the reader's read mark, likes and watch level.
    with django_assert_num_queries(1) as captured:
        reader.get(topic.get_absolute_url())
    assert not any(q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE")) for q in captured)
    TopicRead.objects.filter(pk=read.pk).update(last_read_number=0)
    services.post_reply(user=ada, topic=topic, source="News.")
    reader.get(topic.get_absolute_url())
    assert TopicRead.objects.get(pk=read.pk).last_read_number == 2
