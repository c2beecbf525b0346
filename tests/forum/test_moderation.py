"""Moderators pin, lock, move, hide, split and merge, every time with a logged reason; flags."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from forum import services
from forum.models import Category, Flag, ModerationLog, Post, Topic

pytestmark = pytest.mark.django_db


def test_only_moderators_and_always_a_reason(client, topic, bob, mod):
    with pytest.raises(PermissionDenied):
        services.moderate_topic(moderator=bob, topic=topic, action="pin", reason="x")
    with pytest.raises(ValidationError):
        services.moderate_topic(moderator=mod, topic=topic, action="pin", reason="  ")
    client.force_login(bob)
    url = reverse("forum:moderate_topic", args=[topic.pk])
    assert client.post(url, {"action": "pin", "reason": "x"}).status_code == 403
    assert not ModerationLog.objects.exists()


def test_pin_lock_hide_through_the_page(client, topic, mod, bob, public):
    other = services.create_topic(user=bob, category=public, title="Newer topic", source="hi")
    client.force_login(mod)
    url = reverse("forum:moderate_topic", args=[topic.pk])
    for action in ("pin", "lock", "hide_topic"):
        assert client.post(url, {"action": action, "reason": f"why {action}"}).status_code == 302
    topic.refresh_from_db()
    assert topic.is_pinned and topic.is_locked and topic.is_hidden
    log = list(ModerationLog.objects.order_by("id").values_list("action", "reason", "moderator"))
    assert log == [
        ("pin", "why pin", mod.pk),
        ("lock", "why lock", mod.pk),
        ("hide_topic", "why hide_topic", mod.pk),
    ]
    # Hidden from others, pinned first for moderators.
    assert client.get(public.get_absolute_url()).content.decode().index(
        "D05 does not boot"
    ) < client.get(public.get_absolute_url()).content.decode().index("Newer topic")
    client.force_login(bob)
    assert "D05 does not boot" not in client.get(public.get_absolute_url()).content.decode()
    assert client.get(topic.get_absolute_url()).status_code == 404
    assert other.pk


def test_move_keeps_counters(topic, mod, public):
    kernel = Category.objects.create(name="Kernel", slug="kernel")
    services.move_topic(moderator=mod, topic=topic, category=kernel, reason="belongs there")
    public.refresh_from_db()
    kernel.refresh_from_db()
    assert (public.topic_count, public.post_count) == (0, 0)
    assert (kernel.topic_count, kernel.post_count) == (1, 1)
    assert ModerationLog.objects.get().detail == "boards → kernel"


def test_hide_post_keeps_it_and_shows_a_placeholder(client, topic, bob, mod):
    reply = services.post_reply(user=bob, topic=topic, source="buy cheap watches")
    services.set_post_hidden(moderator=mod, post=reply, hidden=True, reason="spam")
    assert Post.objects.filter(pk=reply.pk, is_hidden=True).exists()
    page = client.get(topic.get_absolute_url()).content.decode()
    assert "cheap watches" not in page and "This post is hidden" in page
    client.force_login(mod)
    assert "cheap watches" in client.get(topic.get_absolute_url()).content.decode()


def test_split_and_merge(topic, ada, bob, mod):
    for text in ("two", "three", "four", "five"):
        services.post_reply(user=bob, topic=topic, source=f"reply {text}")
    new = services.split_topic(
        moderator=mod, topic=topic, numbers=[3, 5], title="Split off", reason="other subject"
    )
    assert list(new.posts.order_by("number").values_list("number", "source")) == [
        (1, "reply three"),
        (2, "reply five"),
    ]
    assert list(topic.posts.order_by("number").values_list("number", flat=True)) == [1, 2, 3]
    topic.refresh_from_db()
    new.refresh_from_db()
    assert topic.reply_count == 2 and new.reply_count == 1 and new.author == bob
    with pytest.raises(ValidationError):
        services.split_topic(moderator=mod, topic=topic, numbers=[1], title="No!", reason="x")
    merged = services.merge_topics(moderator=mod, source=new, target=topic, reason="same thing")
    assert not Topic.objects.filter(pk=new.pk).exists()
    assert list(merged.posts.order_by("number").values_list("source", flat=True)) == [
        "It stops at *GRUB*.",
        "reply two",
        "reply three",
        "reply four",
        "reply five",
    ]
    assert merged.reply_count == 4
    assert list(ModerationLog.objects.order_by("id").values_list("action", flat=True)) == [
        "split",
        "merge",
    ]


def test_flag_once_and_enough_flags_hide_until_decided(client, topic, ada, make_user, mod):
    reply = services.post_reply(user=ada, topic=topic, source="questionable text")
    flaggers = [make_user(f"f{i}") for i in range(3)]
    client.force_login(flaggers[0])
    url = reverse("forum:flag", args=[reply.pk])
    assert client.post(url, {"reason": "spam"}).status_code == 302
    again = client.post(url, {"reason": "abusive"})
    assert "You have already flagged this post." in again.content.decode()
    assert Flag.objects.count() == 1
    with pytest.raises(ValidationError):
        services.flag_post(user=ada, post=reply, reason="spam")
    services.flag_post(user=flaggers[1], post=reply, reason="off_topic")
    assert not Post.objects.get(pk=reply.pk).is_hidden
    services.flag_post(user=flaggers[2], post=reply, reason="abusive", note="rude")
    assert Post.objects.get(pk=reply.pk).is_hidden
    client.force_login(mod)
    queue = client.get(reverse("forum:moderation")).content.decode()
    assert "questionable text" in queue and "rude" in queue
    client.post(reverse("forum:moderation"), {"post": reply.pk, "agree": "0", "reason": "fine"})
    assert not Post.objects.get(pk=reply.pk).is_hidden
    assert not Flag.objects.filter(resolution="").exists()
    assert "No open flags." in client.get(reverse("forum:moderation")).content.decode()
    actions = list(ModerationLog.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["auto_hide", "flags_disagreed"]
    client.force_login(flaggers[0])
    assert client.get(reverse("forum:moderation")).status_code == 403
