"""Tasks of the lab: thin, they call a service. Beat sends both each minute
(CELERY_BEAT_SCHEDULE in portal/settings.py)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="lab.release_ended_slots", ignore_result=True)
def release_ended_slots() -> list[int]:
    from lab.services.reservations import release_ended

    return release_ended()


@shared_task(name="lab.send_slot_reminders", ignore_result=True)
def send_slot_reminders() -> list[int]:
    from lab.services.reservations import send_reminders

    return send_reminders()
