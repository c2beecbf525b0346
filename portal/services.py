"""Writes of the site's own models: each state change is one function."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from portal.caching import NEWS
from portal.markup import render_markdown
from portal.models import NewsItem, Profile


@transaction.atomic
def ensure_profile(*, user: AbstractBaseUser) -> Profile:
    profile, _created = Profile.objects.get_or_create(user=user)
    return profile


@transaction.atomic
def update_profile(*, user: AbstractBaseUser, display_name: str, bio: str) -> Profile:
    profile, _created = Profile.objects.select_for_update().get_or_create(user=user)
    profile.display_name = display_name.strip()
    profile.bio = bio.strip()
    profile.save(update_fields=["display_name", "bio", "updated_at"])
    return profile


@transaction.atomic
def save_news(*, item: NewsItem) -> NewsItem:
    """Store a news item with its body rendered once, here, never per request."""
    item.body_html = render_markdown(item.body, trusted=True).html
    item.save()
    NEWS.bump_on_commit()
    return item


@transaction.atomic
def publish_news(
    *,
    title: str,
    body: str,
    author: AbstractBaseUser | None = None,
    slug: str | None = None,
    published_at: datetime | None = None,
) -> NewsItem:
    """Create or update (by slug) a published news item."""
    slug = slug or slugify(title)[:200]
    item = NewsItem.objects.filter(slug=slug).first() or NewsItem(slug=slug)
    item.title = title
    item.body = body
    item.author = author
    item.published_at = published_at or item.published_at or timezone.now()
    item.is_published = True
    return save_news(item=item)
