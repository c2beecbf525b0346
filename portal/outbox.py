"""Tasks queued after the commit, with the database as their outbox (as builds/ does for builds).

`send_on_commit(task, ...)` replaces `task.delay_on_commit(...)`: when the broker cannot be
reached, the call is written to PendingTask instead of raising into the request that already
committed its work (an error page for a reply that was saved, a mail never sent). The beat task
`portal.send_pending_tasks` (and `send_pending()` below) sends them once the broker is back.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from celery import Task, current_app
from django.db import transaction
from kombu.exceptions import OperationalError

from portal.models import PendingTask

log = logging.getLogger(__name__)

# A broker that did not answer costs each try seconds (the connection time-out): for a while
# after a failure, requests keep their tasks at once instead of waiting for it again.
RETRY_AFTER_SECONDS = 30.0
_down_until = 0.0


def try_send(name: str, args: list[Any], kwargs: dict[str, Any], **options: Any) -> str | None:
    """Send one task message: None when sent, else why not (the broker is away; it is not
    asked again for RETRY_AFTER_SECONDS). `options` go to apply_async."""
    global _down_until
    if time.monotonic() < _down_until:
        return "the broker was unreachable a moment ago"
    try:
        current_app.tasks[name].apply_async(args=args, kwargs=kwargs, retry=False, **options)
        return None
    except (OperationalError, OSError) as exc:
        _down_until = time.monotonic() + RETRY_AFTER_SECONDS
        log.warning("%s: the broker cannot be reached (%s)", name, exc)
        return str(exc)


def send_now(name: str, args: list[Any], kwargs: dict[str, Any]) -> bool:
    """Send one task message; False (and the call kept in PendingTask) if the broker is away."""
    error = try_send(name, args, kwargs)
    if error is None:
        return True
    PendingTask.objects.create(name=name, args=list(args), kwargs=kwargs, error=error)
    log.info("%s: kept to send later", name)
    return False


def send_on_commit(task: Task, *args: Any, **kwargs: Any) -> None:
    transaction.on_commit(lambda: send_now(task.name, list(args), kwargs))


def send_pending(*, limit: int = 1000) -> int:
    """Send the kept tasks, oldest first; each one leaves the table only once it is sent.
    Rows are locked (skip locked): two workers running this at once send each task once.
    This is the probe: it tries the broker whatever the last failure was."""
    global _down_until
    sent = 0
    with transaction.atomic():
        for pending in PendingTask.objects.select_for_update(skip_locked=True)[:limit]:
            try:
                current_app.tasks[pending.name].apply_async(
                    args=pending.args, kwargs=pending.kwargs, retry=False
                )
            except (OperationalError, OSError):
                break  # still away: the rest waits for the next round
            pending.delete()
            sent += 1
    if sent:
        _down_until = 0.0
    return sent
