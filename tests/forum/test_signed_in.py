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
from portal.page_cache import csrf_mark
from tests.readers import account_name, form_token, from_cache, signed_in

pytestmark = pytest.mark.django_db

SIGNED_IN_BOUND = 8


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
        # The kept page and the reader's parts are there now, as on a live site (a first read
        # moves the reader's read mark, which has their parts filled anew once).
        client.get(url)
        client.get(url)
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
    assert csrf_mark() not in bob_page and "<!--reader:" not in bob_page
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


# --- Whole pages shared by the members of one kind (portal/page_cache.py) ----------------------


def warm(client: Client) -> Client:
    """The reader's user and groups kept, as on a live site after their first page."""
    client.get(reverse("forum:index"))
    return client


def test_members_of_one_kind_share_a_topic_page_each_with_their_own_parts(
    topic, ada, make_user, django_assert_max_num_queries
):
    reply = services.post_reply(user=ada, topic=topic, source="Try the other image.")
    carol, dave = make_user("carol"), make_user("dave")
    services.toggle_like(user=dave, post=reply)
    services.set_watch(user=dave, target=topic, level="watching")
    url = topic.get_absolute_url()
    assert not from_cache(signed_in(carol).get(url))

    dave_client = warm(signed_in(dave, enforce_csrf_checks=True))
    # The reader's read mark, likes and watch level in one query, and their read mark written.
    with django_assert_max_num_queries(2) as captured:
        page = dave_client.get(url)
    assert from_cache(page)
    assert any(q["sql"].lstrip().upper().startswith("INSERT") for q in captured)
    html = page.content.decode()
    assert account_name(html) == "dave" and ">carol<" not in html
    assert f'data-like="{reply.pk}">Unlike<' in html
    assert '<option value="watching" selected>' in html
    assert csrf_mark() not in html and "<!--reader:" not in html
    assert TopicRead.objects.get(user=dave, topic=topic).last_read_number == topic.post_count + 1

    # The token in the kept page is dave's own: his unlike passes the CSRF check.
    answer = dave_client.post(
        reverse("forum:like", args=[reply.pk]), {"csrfmiddlewaretoken": form_token(html)}
    )
    assert answer.status_code == 302
    assert not Like.objects.filter(user=dave, post=reply).exists()

    # carol's own copy of the same kept page: her name, no like of hers, normal watch level.
    again = warm(signed_in(carol)).get(url)
    carol_html = again.content.decode()
    assert account_name(carol_html) == "carol"
    assert f'data-like="{reply.pk}">Like<' in carol_html
    assert '<option value="" selected>' in carol_html


def test_the_authors_on_a_shared_page_get_theirs_rendered_for_them(topic, ada, bob, make_user):
    reply = services.post_reply(user=bob, topic=topic, source="My reply.")
    url = topic.get_absolute_url()
    signed_in(make_user("carol")).get(url)  # kept for members
    bob_page = warm(signed_in(bob)).get(url)
    assert not from_cache(bob_page)
    assert reverse("forum:edit", args=[reply.pk]) in bob_page.content.decode()
    ada_page = warm(signed_in(ada)).get(url)
    assert not from_cache(ada_page)
    assert 'data-test="mark-answer"' in ada_page.content.decode()


def test_members_share_a_category_page_each_with_their_own_badges(
    topic, public, make_user, django_assert_max_num_queries
):
    carol, dave = make_user("carol"), make_user("dave")
    url = public.get_absolute_url()
    assert not from_cache(signed_in(carol).get(url))
    services.mark_topic_read(user=dave, topic=topic, number=topic.post_count)
    services.set_watch(user=dave, target=public, level="muted")
    dave_client = warm(signed_in(dave))
    # The reader's category mark and watch level, then their read marks of the listed topics.
    with django_assert_max_num_queries(2):
        page = dave_client.get(url)
    assert from_cache(page)
    html = page.content.decode()
    assert account_name(html) == "dave"
    assert 'data-test="unread"' not in html
    assert '<option value="muted" selected>' in html
    carol_page = warm(signed_in(carol)).get(url)
    assert from_cache(carol_page)
    assert 'data-test="unread"' in carol_page.content.decode()


def test_a_kept_page_goes_only_to_readers_who_may_read_it(private, make_user):
    insider = make_user("insider", groups=["moderators"])
    second = make_user("second", groups=["moderators"])
    outsider = warm(signed_in(make_user("outsider")))
    topic = services.create_topic(
        user=insider, category=private, title="Private plans", source="Only for us."
    )
    url = private.get_absolute_url()
    assert signed_in(insider).get(url).status_code == 200
    assert warm(signed_in(second)).get(url).has_header("Age")
    assert outsider.get(url).status_code == 404
    assert outsider.get(topic.get_absolute_url()).status_code == 404


def test_a_reader_with_a_message_waiting_gets_the_page_rendered_with_it(
    topic, public, make_user, settings
):
    # Messages too long for their cookie wait in the session: such a reader is not answered
    # from the cache, which would leave the message for a later page.
    settings.MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
    url = public.get_absolute_url()
    carol, dave = make_user("carol"), warm(signed_in(make_user("dave")))
    signed_in(carol).get(url)
    assert dave.get(url).has_header("Age")
    dave.post(reverse("forum:watch_category", args=[public.slug]), {"level": "watching"})
    page = dave.get(url)
    assert not from_cache(page)
    assert "Your choice for this category was saved." in page.content.decode()
    assert from_cache(dave.get(url))


def test_a_new_post_reaches_the_next_member_of_a_kept_page(topic, ada, make_user):
    url = topic.get_absolute_url()
    carol = warm(signed_in(make_user("carol")))
    carol.get(url)
    assert carol.get(url).has_header("Age")
    services.post_reply(user=ada, topic=topic, source="The fix is in 5.10.")
    assert "The fix is in 5.10." in carol.get(url).content.decode()


def test_a_readers_parts_are_kept_for_them_until_their_own_state_moves(
    topic, public, make_user, django_assert_num_queries
):
    carol, dave = make_user("carol"), make_user("dave")
    url = topic.get_absolute_url()
    signed_in(carol).get(url)
    reader = warm(signed_in(dave))
    reader.get(url)  # their parts, and their read mark written
    reader.get(url)
    # Page, parts and the header's count in one round trip to the cache; nothing asked of the
    # database.
    with django_assert_num_queries(0):
        assert from_cache(reader.get(url))
    # Their own choices show at once, though no page moved.
    reader.post(reverse("forum:watch_topic", args=[topic.pk]), {"level": "muted"})
    assert "was saved" in reader.get(url).content.decode()  # the message, on its own render
    page = reader.get(url)
    assert from_cache(page)
    assert '<option value="muted" selected>' in page.content.decode()
    listing = public.get_absolute_url()
    signed_in(carol).get(listing)
    assert 'data-test="unread"' not in reader.get(listing).content.decode()
    TopicRead.objects.filter(user=dave).delete()
    page = reader.get(listing)
    assert from_cache(page)
    assert 'data-test="unread"' in page.content.decode()
    services.mark_topic_read(user=dave, topic=topic, number=topic.post_count)  # raw SQL
    page = reader.get(listing)
    assert from_cache(page)
    assert 'data-test="unread"' not in page.content.decode()
