"""Tasks of the downloads section: thin, they take ids and call a service."""

from __future__ import annotations

from celery import shared_task

from downloads.services.counts import flush_download_counts as flush_counts_service


@shared_task(name="downloads.flush_download_counts", ignore_result=True)
def flush_download_counts() -> int:
    return flush_counts_service()
