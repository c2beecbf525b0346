"""Writing: topics, replies, quotes, mentions, edits, likes, answers, images, hostile text."""

import io
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from forum import services
from forum.models import Attachment, Like, Post, PostRevision, Topic
from portal.models import Notification

pytestmark = pytest.mark.django_db


def test_topic_and_reply_keep_counters(topic, bob, public):
    reply = services.post_reply(user=bob, topic=topic, source="Try the **BMC** console.")
    topic.refresh_from_db()
    public.refresh_from_db()
    assert reply.number == 2
    assert topic.reply_count == 1 and topic.last_poster == bob
    assert topic.last_post_at == reply.created_at
    assert public.topic_count == 1 and public.post_count == 2
    assert "<strong>BMC</strong>" in reply.html


def test_new_topic_through_the_page_highlights_code(client, bob, public):
    client.force_login(bob)
    source = "Output:\n\n```python\nprint('hi')\n```\n"
    response = client.post(
        reverse("forum:new_topic", args=["boards"]),
        {"title": "  A \x07title\twith   spaces  ", "source": source, "post": "1"},
    )
    assert response.status_code == 302
    topic = Topic.objects.get()
    assert topic.title == "A title with spaces"
    page = client.get(response["Location"]).content.decode()
    assert 'class="highlight"' in page and "<span" in page


def test_preview_shows_and_stores_nothing(client, bob, public):
    client.force_login(bob)
    response = client.post(
        reverse("forum:new_topic", args=["boards"]),
        {"title": "Preview only", "source": "Some *emphasis*", "preview": "1"},
    )
    assert response.status_code == 200
    assert "<em>emphasis</em>" in response.content.decode()
    assert not Topic.objects.exists()
    live = client.post(reverse("forum:preview"), {"source": "`code`"})
    assert live.status_code == 200 and "<code>code</code>" in live.content.decode()


def test_hostile_markdown_stays_inert(client, topic, bob):
    hostile = (
        "<script>alert(1)</script>\n\n[click](javascript:alert(2))\n\n"
        '<img src=x onerror="alert(3)">\n\n<a href="#" onclick="alert(4)">x</a>\n\n'
        "<iframe src='https://evil.example'></iframe>"
    )
    reply = services.post_reply(user=bob, topic=topic, source=hostile)
    for bad in ("<script", "javascript:", "onerror", "onclick", "<iframe"):
        assert bad not in reply.html
    page = client.get(topic.get_absolute_url()).content.decode()
    assert "<script>alert(1)" not in page and "onerror=" not in page


def test_title_is_plain_text(client, ada, public):
    topic = services.create_topic(
        user=ada, category=public, title="<b>bold</b> & <script>x</script>", source="body text"
    )
    page = client.get(topic.get_absolute_url()).content.decode()
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; &lt;script&gt;" in page
    assert "<b>bold</b>" not in page


def test_quote_prefills_the_reply_and_notifies_the_quoted(client, topic, ada, bob):
    first = topic.posts.get(number=1)
    client.force_login(bob)
    page = client.get(reverse("forum:reply", args=[topic.pk]) + f"?quote={first.pk}")
    text = page.content.decode()
    assert f"[ada wrote](/forum/p/{first.pk}/):" in text and "&gt; It stops at *GRUB*." in text
    part = client.get(reverse("forum:reply", args=[topic.pk]) + f"?quote={first.pk}&part=GRUB")
    assert "&gt; GRUB" in part.content.decode()
    # Ada stops watching, so that only the quote can tell her.
    services.set_watch(user=ada, target=topic, level="muted")
    source = f"> [ada wrote](/forum/p/{first.pk}/):\n> It stops\n\nUpdate the firmware."
    response = client.post(reverse("forum:reply", args=[topic.pk]), {"source": source})
    assert response.status_code == 302
    note = Notification.objects.get(recipient=ada)
    assert note.verb == "quoted" and note.actor == bob
    assert "<blockquote>" in Post.objects.get(topic=topic, number=2).html


def test_mentions_link_and_notify_readers_only(topic, ada, bob, make_user, private):
    carol = make_user("carol")
    reply = services.post_reply(
        user=bob, topic=topic, source="Ping @Carol and @nobody, not `@ada` in code."
    )
    assert '<a href="/u/carol/" rel="nofollow ugc noopener">@carol</a>' in reply.html
    assert "@nobody" in reply.html and "/u/nobody/" not in reply.html
    assert Notification.objects.filter(recipient=carol, verb="mentioned").count() == 1
    # Ada watches her topic: she hears of the reply, not of a mention.
    assert list(Notification.objects.filter(recipient=ada).values_list("verb", flat=True)) == [
        "replied"
    ]
    # In a private category a mention of someone who cannot read it tells them nothing.
    mod = private.read_group.user_set.create(username="moddy")
    secret = services.create_topic(
        user=mod, category=private, title="Quiet topic", source="Hello @carol"
    )
    assert not Notification.objects.filter(recipient=carol, target_id=secret.pk).exists()


def test_edit_keeps_history_visible_to_all(client, topic, ada, bob):
    post = topic.posts.get(number=1)
    with pytest.raises(PermissionDenied):
        services.edit_post(user=bob, post=post, source="vandalism")
    services.edit_post(user=ada, post=post, source="It stops at **UEFI**.")
    post.refresh_from_db()
    assert post.edit_count == 1 and "<strong>UEFI</strong>" in post.html
    revision = PostRevision.objects.get(post=post)
    assert revision.source == "It stops at *GRUB*." and revision.editor == ada
    page = client.get(topic.get_absolute_url()).content.decode()
    assert 'data-test="edited"' in page
    history = client.get(reverse("forum:revisions", args=[post.pk])).content.decode()
    assert "<em>GRUB</em>" in history and "<strong>UEFI</strong>" in history


def test_delete_within_grace_period_renumbers(topic, ada, bob, settings):
    second = services.post_reply(user=bob, topic=topic, source="second")
    third = services.post_reply(user=ada, topic=topic, source="third")
    with pytest.raises(PermissionDenied):
        services.delete_post(user=ada, post=second)
    services.delete_post(user=bob, post=second)
    third.refresh_from_db()
    topic.refresh_from_db()
    assert third.number == 2 and topic.reply_count == 1
    Post.objects.filter(pk=third.pk).update(created_at=timezone.now() - timedelta(hours=1))
    third.refresh_from_db()
    with pytest.raises(PermissionDenied):
        services.delete_post(user=ada, post=third)
    # The first post takes the topic with it only while nobody answered.
    with pytest.raises(ValidationError):
        services.delete_post(user=ada, post=topic.posts.get(number=1))


def test_likes_once_per_user(client, topic, ada, bob):
    post = topic.posts.get(number=1)
    client.force_login(bob)
    client.post(reverse("forum:like", args=[post.pk]))
    post.refresh_from_db()
    assert post.like_count == 1 and Like.objects.count() == 1
    assert Notification.objects.filter(recipient=ada, verb="liked").count() == 1
    client.post(reverse("forum:like", args=[post.pk]))  # a second click takes it back
    post.refresh_from_db()
    assert post.like_count == 0 and not Like.objects.exists()
    with pytest.raises(ValidationError):
        services.toggle_like(user=ada, post=post)


def test_answer_marked_by_author_shows_solved(client, topic, ada, bob, make_user):
    reply = services.post_reply(user=bob, topic=topic, source="Reset the NVRAM variables.")
    carol = make_user("carol")
    with pytest.raises(PermissionDenied):
        services.mark_answer(user=carol, post=reply, topic=topic)
    client.force_login(ada)
    client.post(reverse("forum:answer", args=[reply.pk]))
    topic.refresh_from_db()
    assert topic.answer == reply
    assert Notification.objects.filter(recipient=bob, verb="answered").exists()
    page = client.get(topic.get_absolute_url()).content.decode()
    assert 'data-test="answer-box"' in page
    listing = client.get(topic.category.get_absolute_url()).content.decode()
    assert 'data-test="solved"' in listing


def _png(size=(40, 30), mode="RGB", **save) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, "teal").save(out, format=save.pop("format", "PNG"), **save)
    return out.getvalue()


def test_images_are_reencoded_and_stored(client, topic, bob, settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path), "base_url": "/media/"},
        },
    }
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"
    jpeg = io.BytesIO()
    Image.new("RGB", (3000, 2000), "red").save(jpeg, format="JPEG", exif=exif)
    client.force_login(bob)
    upload = SimpleUploadedFile("photo.jpg", jpeg.getvalue(), content_type="image/jpeg")
    response = client.post(
        reverse("forum:reply", args=[topic.pk]), {"source": "My setup", "images": [upload]}
    )
    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert max(attachment.width, attachment.height) == settings.IMAGE_MAX_SIDE
    stored = (tmp_path / attachment.image.name).read_bytes()
    assert b"SecretCam" not in stored
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == "JPEG"
    assert attachment.image.url in client.get(topic.get_absolute_url()).content.decode()


def test_bad_and_large_images_are_refused_with_nothing_stored(client, topic, bob, settings):
    client.force_login(bob)
    url = reverse("forum:reply", args=[topic.pk])
    fake = SimpleUploadedFile("evil.png", b"<script>not an image</script>")
    response = client.post(url, {"source": "see attached", "images": [fake]})
    assert response.status_code == 200
    assert "evil.png is not an image that can be read." in response.content.decode()
    settings.IMAGE_MAX_BYTES = 100
    big = SimpleUploadedFile("big.png", _png((200, 200)))
    response = client.post(url, {"source": "see attached", "images": [big]})
    assert "big.png is larger than 0 KiB." in response.content.decode()
    assert topic.posts.count() == 1 and not Attachment.objects.exists()


def test_locked_topic_takes_no_replies(topic, bob, mod):
    services.moderate_topic(moderator=mod, topic=topic, action="lock", reason="done")
    with pytest.raises(ValidationError, match="closed"):
        services.post_reply(user=bob, topic=topic, source="one more")
    services.post_reply(user=mod, topic=topic, source="moderators may")
