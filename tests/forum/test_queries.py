"""List and topic pages keep a bounded query count: the same bound with 1,000 topics of 100
posts as with one small topic."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from forum import services
from forum.models import Category, Topic
from portal.registry import registry

pytestmark = pytest.mark.django_db

ANONYMOUS_BOUND = 3
SIGNED_IN_BOUND = 10
HOME_BOUND = len(registry.home_blocks) + 1  # one query per section block and the news


def visit_all(client, category, topic, assert_max, bound):
    long_pages = max(1, (topic.post_count + 19) // 20)
    urls = [
        reverse("forum:index"),
        category.get_absolute_url(),
        category.get_absolute_url() + "?page=2",
        topic.get_absolute_url(),
        topic.get_absolute_url() + f"?page={long_pages}",
    ]
    for url in urls:
        with assert_max(bound):
            response = client.get(url)
        assert response.status_code in (200, 404), url


@pytest.fixture
def small(topic, bob):
    services.post_reply(user=bob, topic=topic, source="one reply")
    return topic


@pytest.fixture
def large(db):
    call_command("forum_generate", topics=1000, posts=100, category="big", verbosity=0)
    category = Category.objects.get(slug="big")
    return category, Topic.objects.filter(category=category).order_by("-reply_count").first()


def test_bounded_with_little_and_much_data(
    client, small, large, bob, django_assert_max_num_queries
):
    category, big_topic = large
    assert Topic.objects.filter(category=category).count() == 1000
    assert category.post_count >= 90_000 and big_topic.post_count > 100
    for user in (None, bob):
        bound = ANONYMOUS_BOUND
        if user is not None:
            client.force_login(user)
            bound = SIGNED_IN_BOUND
        visit_all(client, small.category, small, django_assert_max_num_queries, bound)
        visit_all(client, category, big_topic, django_assert_max_num_queries, bound)
        # The home page shows every section's block (forum's latest topics among them).
        with django_assert_max_num_queries(HOME_BOUND + (bound - ANONYMOUS_BOUND)):
            assert client.get("/").status_code == 200
