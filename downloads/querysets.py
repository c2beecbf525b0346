"""Reads of the catalogue: every view, feed, API and search goes through these."""

from django.db.models import QuerySet

from downloads.models import Board, Release


def boards() -> QuerySet[Board]:
    return Board.objects.all()


def published_releases() -> QuerySet[Release]:
    return Release.objects.filter(status=Release.Status.PUBLISHED)
