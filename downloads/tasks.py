"""Tasks of the downloads section: thin, they take ids and call a service.

`run_build` goes to the build's recipe queue ("builds" by default, see CELERY_TASK_ROUTES) with
time limits derived from the recipe's timeout; the global acks_late, reject_on_worker_lost and
prefetch 1 make a lost worker's build come back, where the claim turns the repeat into a no-op.
"""

from __future__ import annotations

from celery import shared_task

from downloads.services.counts import flush_download_counts as flush_counts_service


@shared_task(name="downloads.flush_download_counts", ignore_result=True)
def flush_download_counts() -> int:
    return flush_counts_service()


@shared_task(name="downloads.tasks.run_build", acks_late=True, reject_on_worker_lost=True)
def run_build(build_id: int) -> str:
    from downloads.services.build_runner import execute_build

    return execute_build(build_id=build_id)


@shared_task(name="downloads.tasks.reap_builds")
def reap_builds() -> list[int]:
    from downloads.services.builds import reap_stale_builds

    return reap_stale_builds()


@shared_task(name="downloads.tasks.start_nightly_builds")
def start_nightly_builds() -> list[int]:
    from downloads.services.builds import start_nightly_builds as start

    return [build.pk for build in start().started]
