"""Download counts, kept by the site's one counter mechanism (portal/counters.py).

A download increments a Redis hash in the request path (or, without Redis, its row straight
away); `downloads.flush_download_counts` (every minute, see CELERY_BEAT_SCHEDULE) adds the
pending counts to the artifacts.
"""

from __future__ import annotations

from downloads.models import Artifact
from portal.counters import Counter

download_counter = Counter("downloads", model=Artifact, field="download_count")


def count_download(*, artifact_id: int) -> None:
    """Count one download of an artifact (called by the file view)."""
    download_counter.count(artifact_id)


def pending_counts() -> dict[int, int]:
    """Counts not yet flushed to the database (for tests and the admin)."""
    return download_counter.pending()


def flush_download_counts() -> int:
    """Move the pending counts into Artifact.download_count; returns how many were added."""
    return download_counter.flush()
