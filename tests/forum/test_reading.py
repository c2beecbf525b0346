"""Search, feeds, view counts, profile sections and the home block."""

from xml.etree import ElementTree

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from forum import services
from forum.models import Category, Topic

pytestmark = pytest.mark.django_db


def test_search_ranks_and_escapes_snippets(client, topic, bob):
    services.post_reply(user=bob, topic=topic, source="<script>alert(1)</script> reflash UEFI")
    # The search ranks topics and shows each one's first matching post: another topic's.
    services.create_topic(
        user=bob,
        category=topic.category,
        title="Flashing",
        source="when x<3 && y>2 then reflash it",
    )
    hidden = services.post_reply(user=bob, topic=topic, source="secret reflash hint")
    hidden.is_hidden = True
    hidden.save(update_fields=["is_hidden"])
    page = client.get("/search/?q=reflash").content.decode()
    assert "<script>alert" not in page and "alert(1)  <mark>reflash</mark> UEFI" in page
    assert "x&lt;3 &amp;&amp; y&gt;2 then <mark>reflash</mark>" in page
    assert "secret reflash hint" not in page
    title_hit = client.get("/search/?q=boot&section=forum").content.decode()
    assert "D05 does not boot" in title_hit


def test_feeds_are_atom_and_public(client, topic, bob):
    services.post_reply(user=bob, topic=topic, source="A *reply* in the feed")
    latest = client.get(reverse("forum:feed"))
    assert latest["Content-Type"].startswith("application/atom+xml")
    assert "D05 does not boot" in latest.content.decode()
    category = client.get(reverse("forum:category_feed", args=["boards"])).content.decode()
    assert "D05 does not boot" in category
    posts = client.get(reverse("forum:topic_feed", args=[topic.pk])).content.decode()
    assert "&lt;em&gt;reply&lt;/em&gt;" in posts


def test_feeds_carry_control_characters_a_member_posted(client, topic, bob):
    services.post_reply(user=bob, topic=topic, source="dmesg said \x0b\x1b[31mpanic\x01 here")
    for url in [
        reverse("forum:topic_feed", args=[topic.pk]),
        reverse("forum:feed"),
        reverse("forum:category_feed", args=["boards"]),
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        ElementTree.fromstring(response.content)  # well-formed XML
    posts = client.get(reverse("forum:topic_feed", args=[topic.pk])).content.decode()
    assert "\ufffd[31mpanic\ufffd here" in posts  # replaced visibly, not dropped


def test_views_are_counted_in_redis_and_flushed(client, topic):
    services.flush_view_counts()
    for _ in range(3):
        client.get(topic.get_absolute_url())
        client.head(topic.get_absolute_url())  # a link checker, rendered or kept: no view
    assert Topic.objects.get(pk=topic.pk).view_count == 0  # no write in a read request
    assert services.flush_view_counts() == 3
    assert Topic.objects.get(pk=topic.pk).view_count == 3
    assert services.flush_view_counts() == 0


def test_cached_fragments_follow_changes(client, topic, ada, bob, mod):
    assert "It stops at" in client.get(topic.get_absolute_url()).content.decode()
    services.edit_post(user=ada, post=topic.posts.get(number=1), source="Now it boots fine.")
    assert "Now it boots fine." in client.get(topic.get_absolute_url()).content.decode()
    listing = client.get(topic.category.get_absolute_url()).content.decode()
    assert "pinned" not in listing
    services.moderate_topic(moderator=mod, topic=topic, action="pin", reason="useful")
    assert ">pinned<" in client.get(topic.category.get_absolute_url()).content.decode()


def test_profile_and_home_list_forum_activity(client, topic, bob):
    services.post_reply(user=bob, topic=topic, source="my reply")
    profile = client.get(reverse("profile", args=["bob"])).content.decode()
    assert 'data-test="timeline-item"' in profile and "D05 does not boot #2" in profile
    assert "D05 does not boot" in client.get("/").content.decode()


def test_subcategories_go_one_level_deep(public):
    child = Category.objects.create(name="D05", slug="d05", parent=public)
    grandchild = Category(name="Too deep", slug="deep", parent=child)
    with pytest.raises(ValidationError, match="one level deep"):
        grandchild.full_clean()
    public.parent = Category.objects.create(name="Other", slug="other")
    with pytest.raises(ValidationError, match="stays at the top"):
        public.full_clean()
