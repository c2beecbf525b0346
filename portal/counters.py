"""Counters of things people do often (downloads, topic views): one mechanism for every section.

With Redis (`REDIS_URL`), a count is one HINCRBY in the request path and no database write; a
periodic task calls `flush()`, which renames the hash atomically (counts arriving meanwhile go to
a fresh one), adds the batch to the rows in one transaction and only then deletes it: a flush that
fails leaves the batch in place and the next flush takes it first, so no count is lost. Without
Redis (the embedded defaults of `make run`), or while Redis cannot be reached, a count is added to
its row straight away, so the numbers keep moving either way.

A section declares its counter next to the model it counts:

    download_counter = Counter("downloads", model=Artifact, field="download_count")
    download_counter.count(artifact.pk)          # in the view
    download_counter.flush()                     # in its periodic task
"""

from __future__ import annotations

import functools
import logging

import redis
from django.conf import settings
from django.db import models, transaction
from django.db.models import F

from portal.caching import PAGES

logger = logging.getLogger(__name__)


@functools.cache
def _client(url: str) -> redis.Redis:
    # Short time-outs: a count is never worth a slow page.
    return redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)


class Counter:
    def __init__(self, name: str, *, model: type[models.Model], field: str):
        self.name = name
        self.model = model
        self.field = field

    # --- keys ---

    def _key(self) -> str:
        prefix = settings.CACHES["default"].get("KEY_PREFIX", "")
        return f"{prefix}:counters:{self.name}"

    def _redis(self) -> redis.Redis | None:
        return _client(settings.REDIS_URL) if settings.REDIS_URL else None

    # --- writes ---

    def _add_to_rows(self, counts: dict[int, int]) -> None:
        with transaction.atomic():
            for pk, amount in sorted(counts.items()):
                self.model._default_manager.filter(pk=pk).update(
                    **{self.field: F(self.field) + amount}
                )

    def count(self, pk: int, amount: int = 1) -> None:
        """Count `amount` for row `pk`: in Redis when it answers, else in the database."""
        client = self._redis()
        if client is not None:
            try:
                client.hincrby(self._key(), str(pk), amount)
                return
            except redis.RedisError as exc:  # includes connection errors and time-outs
                logger.warning("counter %s: Redis unreachable, counting in the database: %s",
                               self.name, exc)  # fmt: skip
        self._add_to_rows({pk: amount})

    def pending(self) -> dict[int, int]:
        """Counts waiting in Redis (not yet in the rows), including a batch a failed flush left."""
        client = self._redis()
        if client is None:
            return {}
        pending: dict[int, int] = {}
        for key in (self._key(), f"{self._key()}:flushing"):
            for pk, amount in client.hgetall(key).items():
                pending[int(pk)] = pending.get(int(pk), 0) + int(amount)
        return pending

    def flush(self) -> int:
        """Move the pending counts into the rows; returns how many were added."""
        client = self._redis()
        if client is None:
            return 0  # counted in the rows already
        batch = f"{self._key()}:flushing"
        # One flush at a time: two workers must never add the same batch twice.
        lock = client.lock(f"{batch}:lock", timeout=300, blocking=False)
        if not lock.acquire():
            return 0
        try:
            if not client.exists(batch):  # else: a failed flush left it; take it first
                try:
                    client.rename(self._key(), batch)
                except redis.ResponseError:  # no such key: nothing counted since the last flush
                    return 0
            counts = {int(pk): int(amount) for pk, amount in client.hgetall(batch).items()}
            self._add_to_rows(counts)
            # Only once the counts are committed: a failure above leaves the batch for next time.
            client.delete(batch)
            if counts:
                # The rows moved with update(), which no signal announces: the pages kept
                # whole for signed-out readers show the numbers (portal/page_cache.py).
                PAGES.bump()
            return sum(counts.values())
        finally:
            lock.release()
