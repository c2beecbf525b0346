"""The forum's thin tasks."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="forum.flush_view_counts")
def flush_view_counts() -> int:
    from forum.services import flush_view_counts as flush

    return flush()
