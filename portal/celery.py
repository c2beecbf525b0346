"""The Celery application: settings come from Django's (CELERY_* names)."""

import os

from celery import Celery
from kombu import Exchange, Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Two queues: "default" for mail and housekeeping, "builds" for long image builds, so that a
# build host can consume only builds and a web host's worker never waits behind one.
app.conf.task_queues = (
    Queue("default", Exchange("default"), routing_key="default"),
    Queue("builds", Exchange("builds"), routing_key="builds"),
)
app.autodiscover_tasks()
