"""Download counts: a Redis hash in the request path, flushed to the database by a periodic task.

A download never writes to the database: it increments one field of a Redis hash. The task
`downloads.flush_download_counts` (every minute, see CELERY_BEAT_SCHEDULE) renames the hash
atomically, so increments that arrive meanwhile go to a fresh one, adds its counts to the
artifacts in one transaction, and only then deletes the renamed hash; a flush that fails leaves
it in place and the next flush takes it first. Without Redis (the embedded defaults of
`make run`) the count is written straight away instead.
"""

from __future__ import annotations

import functools
import logging

import redis
from django.conf import settings
from django.db import transaction
from django.db.models import F

from downloads.models import Artifact

log = logging.getLogger(__name__)


@functools.cache
def _client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url)


def _pending_key() -> str:
    prefix = settings.CACHES["default"].get("KEY_PREFIX", "")
    return f"{prefix}:downloads:pending-counts"


def count_download(*, artifact_id: int) -> None:
    """Count one download of an artifact (called by the file view)."""
    if settings.REDIS_URL:
        try:
            _client(settings.REDIS_URL).hincrby(_pending_key(), str(artifact_id), 1)
            return
        except redis.RedisError as exc:  # the download is served all the same
            log.warning("download count of artifact %s to the database: %s", artifact_id, exc)
    Artifact.objects.filter(pk=artifact_id).update(download_count=F("download_count") + 1)


def pending_counts() -> dict[int, int]:
    """Counts not yet flushed to the database (for tests and the admin)."""
    if not settings.REDIS_URL:
        return {}
    raw = _client(settings.REDIS_URL).hgetall(_pending_key())
    return {int(key): int(value) for key, value in raw.items()}


def flush_download_counts() -> int:
    """Move the pending counts into Artifact.download_count; returns how many were added."""
    if not settings.REDIS_URL:
        return 0
    client = _client(settings.REDIS_URL)
    batch = f"{_pending_key()}:flushing"
    # One flush at a time: two workers must never add the same batch twice.
    lock = client.lock(f"{batch}:lock", timeout=300, blocking=False)
    if not lock.acquire():
        return 0
    try:
        if not client.exists(batch):  # else: a failed flush left it, take it first
            try:
                client.rename(_pending_key(), batch)
            except redis.ResponseError:  # no such key: nothing downloaded since the last flush
                return 0
        counts = {int(key): int(value) for key, value in client.hgetall(batch).items()}
        with transaction.atomic():
            for artifact_id, count in sorted(counts.items()):
                Artifact.objects.filter(pk=artifact_id).update(
                    download_count=F("download_count") + count
                )
        # Only once the counts are committed: a failure above leaves the batch for the next flush.
        client.delete(batch)
        return sum(counts.values())
    finally:
        lock.release()
