"""Reads of the site's own models; views and feeds go through these."""

from django.db.models import QuerySet
from django.utils import timezone

from portal.models import NewsItem


def published_news() -> QuerySet[NewsItem]:
    return NewsItem.objects.filter(is_published=True, published_at__lte=timezone.now())
