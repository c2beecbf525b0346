"""Requests per second of a forum category page and of a 500-post topic's pages, with 10,000
topics and 500,000 posts, against /healthz in the same run.

The data is generated once in the bench database (forum_generate, inside PostgreSQL) and reused
by later runs. Pages are read anonymously, as most of the forum's readers do.
"""

from __future__ import annotations

import time

from bench.common import gunicorn, ratio, requests_per_second, setup_django

TOPICS = 10_000
POSTS = 500_000
LONG_TOPIC = 500
SECONDS = 5


def run() -> dict:
    setup_django()
    from django.core.management import call_command

    from forum.models import Category, Post, Topic

    started = time.monotonic()
    call_command(
        "forum_generate",
        topics=TOPICS,
        posts=POSTS // TOPICS,
        long_topic=LONG_TOPIC,
        category="bench",
        verbosity=0,
    )
    generated_in = round(time.monotonic() - started, 1)
    category = Category.objects.get(slug="bench")
    long_topic = Topic.objects.filter(category=category).order_by("-reply_count").first()
    last_page = (long_topic.post_count + 19) // 20
    figures: dict = {
        "data": {
            "topics": Topic.objects.filter(category=category).count(),
            "posts": Post.objects.filter(topic__category=category).count(),
            "long_topic_posts": long_topic.post_count,
            "prepared_seconds": generated_in,
        }
    }
    pages = {
        "category_page_1": f"/forum/c/{category.slug}/",
        "category_page_100": f"/forum/c/{category.slug}/?page=100",
        "topic_500_page_1": long_topic.get_absolute_url(),
        "topic_500_page_middle": f"{long_topic.get_absolute_url()}?page={last_page // 2}",
        "topic_500_page_last": f"{long_topic.get_absolute_url()}?page={last_page}",
    }
    with gunicorn() as url:
        healthz = requests_per_second(f"{url}/healthz", seconds=SECONDS)
        figures["healthz"] = healthz
        for name, path in pages.items():
            result = requests_per_second(f"{url}{path}", seconds=SECONDS)
            result["vs_healthz"] = ratio(result, healthz)
            figures[name] = result
    return figures
