"""Rate limits: per address and per account, 429 with Retry-After, nothing stored when refused,
and a cache outage limits nothing."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse

from forum import services
from forum.models import Category, Post
from portal.models import Profile
from portal.ratelimits import parse_rate

pytestmark = pytest.mark.django_db


def _assert_refused(response) -> int:
    assert response.status_code == 429
    seconds = int(response["Retry-After"])
    assert 1 <= seconds <= 61
    assert "Too many requests" in response.content.decode()
    return seconds


def test_search_is_limited_per_address(client, settings):
    settings.RATE_LIMITS = {"search": {"ip": "3/m"}}
    for _ in range(3):
        assert client.get("/search/?q=uefi").status_code == 200
    _assert_refused(client.get("/search/?q=uefi"))
    _assert_refused(client.get("/docs/search/?q=uefi"))  # one budget for every search box
    # Another address is not held back by this one.
    assert client.get("/search/?q=uefi", REMOTE_ADDR="192.0.2.7").status_code == 200


def test_posting_is_limited_per_account_and_a_refused_reply_stores_nothing(client, settings):
    settings.RATE_LIMITS = {"post": {"user": "2/m"}}
    settings.FORUM_POST_INTERVAL = settings.FORUM_NEW_USER_POST_INTERVAL = 0
    ada = get_user_model().objects.create_user("ada", "ada@example.org", "pw-for-tests-1")
    Profile.objects.create(user=ada, trust_level=Profile.TrustLevel.MEMBER)
    category = Category.objects.create(name="Boards", slug="boards")
    topic = services.create_topic(user=ada, category=category, title="D05 boot", source="Hi.")
    client.force_login(ada)
    url = reverse("forum:reply", args=[topic.pk])
    for n in range(2):
        response = client.post(url, {"source": f"Reply number {n} with some words."})
        assert response.status_code == 302
    before = Post.objects.count()
    _assert_refused(client.post(url, {"source": "One reply too many, refused."}))
    assert Post.objects.count() == before
    # Moving to another address does not reset an account's budget.
    refused = client.post(url, {"source": "From elsewhere."}, REMOTE_ADDR="198.51.100.9")
    _assert_refused(refused)
    assert client.get(topic.get_absolute_url()).status_code == 200  # reading is not limited


def test_sign_up_floods_get_allauths_429_with_a_retry_after(client):
    # allauth's default: 20 sign-ups a minute from one address.
    for n in range(20):
        client.post(reverse("account_signup"), {"username": f"u{n}", "email": "bad"})
    _assert_refused(client.post(reverse("account_signup"), {"username": "late", "email": "x"}))


def test_an_unreachable_cache_limits_nothing(rf, settings):
    settings.RATE_LIMITS = {"search": {"ip": "1/m"}}
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",  # nothing listens there
        }
    }
    from portal.ratelimits import retry_after

    request = rf.get("/search/?q=uefi")
    request.user = AnonymousUser()
    assert retry_after(request, "search") is None
    assert retry_after(request, "search") is None


def test_rates_are_written_as_count_per_window():
    assert (parse_rate("30/m").count, parse_rate("30/m").seconds) == (30, 60)
    assert parse_rate("5/10m").seconds == 600 and parse_rate("100/h").seconds == 3600
    with pytest.raises(ValueError, match="30/m"):
        parse_rate("thirty a minute")
