"""New accounts are limited as Discourse does it; refusals are clear and store nothing."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from forum import services
from forum.models import Post, Topic
from portal.models import Profile

pytestmark = pytest.mark.django_db


@pytest.fixture
def newbie(make_user):
    return make_user("newbie", trust=Profile.TrustLevel.NEW)


def post_reply(client, topic, source, **extra):
    return client.post(reverse("forum:reply", args=[topic.pk]), {"source": source, **extra})


def test_first_day_caps(client, newbie, public, topic, settings):
    settings.FORUM_FIRST_DAY_MAX_TOPICS = 1
    settings.FORUM_FIRST_DAY_MAX_REPLIES = 2
    client.force_login(newbie)
    url = reverse("forum:new_topic", args=["boards"])
    assert client.post(url, {"title": "My first topic", "source": "hello"}).status_code == 302
    refused = client.post(url, {"title": "My second topic", "source": "hello again"})
    assert "New accounts may post 1 topics on their first day." in refused.content.decode()
    assert Topic.objects.filter(author=newbie).count() == 1
    assert post_reply(client, topic, "reply one").status_code == 302
    assert post_reply(client, topic, "reply two").status_code == 302
    refused = post_reply(client, topic, "reply three")
    assert "New accounts may post 2 replies on their first day." in refused.content.decode()
    assert topic.posts.count() == 3
    # A day later the caps are gone.
    type(newbie).objects.filter(pk=newbie.pk).update(date_joined=timezone.now() - timedelta(days=2))
    assert post_reply(client, topic, "reply three").status_code == 302


def test_minimum_time_between_posts(client, newbie, topic, settings):
    settings.FORUM_NEW_USER_POST_INTERVAL = 30
    client.force_login(newbie)
    assert post_reply(client, topic, "first reply").status_code == 302
    refused = post_reply(client, topic, "second reply")
    assert "Please wait" in refused.content.decode() and "before posting again" in (
        refused.content.decode()
    )
    assert topic.posts.count() == 2


def test_links_and_attachments_need_standing(client, newbie, bob, topic, settings):
    settings.FORUM_NEW_USER_MAX_LINKS = 2
    client.force_login(newbie)
    many = "[a](https://a.example) [b](https://b.example) [c](https://c.example)"
    refused = post_reply(client, topic, many)
    assert "at most 2 links or images in a post; this one has 3." in refused.content.decode()
    image = SimpleUploadedFile("x.png", _tiny_png())
    refused = post_reply(client, topic, "picture", images=[image])
    assert "New accounts cannot attach images yet" in refused.content.decode()
    assert topic.posts.count() == 1
    # Mentions of people here are not links; someone with standing may link freely.
    assert post_reply(client, topic, "@bob @ada [a](https://a.example)").status_code == 302
    client.force_login(bob)
    assert post_reply(client, topic, many).status_code == 302


def test_the_same_text_twice_is_refused(client, bob, topic, public):
    client.force_login(bob)
    assert post_reply(client, topic, "Same words").status_code == 302
    refused = post_reply(client, topic, "  Same words ")
    assert "You posted the same text a moment ago." in refused.content.decode()
    assert topic.posts.count() == 2


def test_new_users_are_promoted_after_a_day_and_some_posts(newbie, topic, settings):
    settings.FORUM_TL1_MIN_POSTS = 2
    type(newbie).objects.filter(pk=newbie.pk).update(date_joined=timezone.now() - timedelta(days=2))
    newbie.refresh_from_db()
    services.post_reply(user=newbie, topic=topic, source="one")
    assert Profile.objects.get(user=newbie).trust_level == Profile.TrustLevel.NEW
    services.post_reply(user=newbie, topic=topic, source="two")
    assert Profile.objects.get(user=newbie).trust_level == Profile.TrustLevel.BASIC
    assert Post.objects.filter(author=newbie).count() == 2


def _tiny_png() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (4, 4)).save(out, format="PNG")
    return out.getvalue()
