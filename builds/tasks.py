"""Tasks of the builds section: thin, they take ids and call a service.

`run_build` is sent to its recipe's queue (BuildRecipe.queue, "builds" by default) with time
limits derived from the recipe's timeout; acks_late, reject_on_worker_lost and prefetch 1 make a
lost worker's build come back, where the claim turns the repeat into a no-op.
"""

from __future__ import annotations

from celery import shared_task


@shared_task(name="builds.run_build", acks_late=True, reject_on_worker_lost=True)
def run_build(build_id: int) -> str:
    from builds.runner import execute_build

    return execute_build(build_id=build_id)


@shared_task(name="builds.reap_builds")
def reap_builds() -> list[int]:
    from builds.services import reap_stale_builds

    return reap_stale_builds()


@shared_task(name="builds.start_nightly_builds")
def start_nightly_builds() -> list[int]:
    from builds.services import start_nightly_builds as start

    return [build.pk for build in start().started]


@shared_task(name="builds.run_boot_test", acks_late=True, reject_on_worker_lost=True)
def run_boot_test(boot_test_id: int) -> str:
    from builds.validation import run_boot_test as run

    return run(boot_test_id=boot_test_id)


@shared_task(name="builds.send_queued")
def send_queued_builds() -> list[int]:
    from builds.services import send_unsent_builds

    return send_unsent_builds()
