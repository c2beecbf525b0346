"""Tasks of the archive: thin, they take ids and call a service."""

from __future__ import annotations

from celery import shared_task


@shared_task(
    name="lists.deliver_web_reply",
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
)
def deliver_web_reply(reply_id: int) -> bool:
    from lists.services.replies import deliver_reply

    return deliver_reply(reply_id=reply_id)


@shared_task(name="lists.import_upload", soft_time_limit=4 * 3600, time_limit=4 * 3600 + 60)
def import_upload(upload_id: int) -> int:
    from lists.services.uploads import import_upload as run

    return run(upload_id=upload_id)
