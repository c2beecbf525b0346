"""Topic views use the site's one counter mechanism (portal/counters.py), like downloads."""

import re

import pytest
from django.conf import settings
from django.db import IntegrityError

from forum import services
from forum.models import Topic
from portal.counters import _client

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_pending_views():
    key = services.view_counter._key()
    _client(settings.REDIS_URL).delete(key, f"{key}:flushing")


def test_without_redis_views_are_counted_in_the_row(client, topic, settings):
    settings.REDIS_URL = ""  # the embedded defaults of make run
    for _ in range(2):
        assert client.get(topic.get_absolute_url()).status_code == 200
    assert Topic.objects.get(pk=topic.pk).view_count == 2
    assert services.flush_view_counts() == 0


def test_when_redis_is_unreachable_views_are_counted_in_the_row(client, topic, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    assert client.get(topic.get_absolute_url()).status_code == 200
    assert Topic.objects.get(pk=topic.pk).view_count == 1


def test_a_failed_flush_loses_no_view(client, topic):
    # A batch the database refuses (view_count may not go below zero: a real CHECK constraint).
    services.view_counter.count(topic.pk, -5)
    with pytest.raises(IntegrityError):
        services.flush_view_counts()
    for _ in range(3):  # views counted after the failure go to a fresh hash
        client.get(topic.get_absolute_url())
    assert services.view_counter.pending() == {topic.pk: -2}
    Topic.objects.filter(pk=topic.pk).update(view_count=5)  # now the batch fits
    assert services.flush_view_counts() == -5  # the left batch first
    assert services.flush_view_counts() == 3
    assert Topic.objects.get(pk=topic.pk).view_count == 3
    assert services.view_counter.pending() == {}


def test_forum_and_downloads_share_one_mechanism():
    from downloads.services.counts import download_counter

    assert type(download_counter) is type(services.view_counter)
    assert download_counter._key() != services.view_counter._key()


@pytest.mark.parametrize(
    ("views", "language", "shown"),
    [
        (1, "en", "1 view<"),
        (2, "en", "2 views<"),
        (1234, "en", "1,234 views<"),
        (1, "zh-hans", "1 次浏览<"),
    ],
)
def test_a_topic_says_its_views_in_the_readers_words(client, topic, views, language, shown):
    Topic.objects.filter(pk=topic.pk).update(view_count=views)
    html = client.get(topic.get_absolute_url(), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert shown in re.sub(r"\s+", " ", html).replace(" <", "<")
