"""Celery as configured, and a real worker on Redis delivering real mail."""

import pytest
from django.db import transaction

from portal.celery import app
from portal.tasks import send_email


def test_worker_settings_are_safe_for_long_jobs():
    conf = app.conf
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.task_soft_time_limit < conf.task_time_limit
    assert {q.name for q in conf.task_queues} == {"default", "builds"}
    assert conf.task_default_queue == "default"


@pytest.mark.django_db(transaction=True)
def test_mail_is_sent_by_the_worker_only_after_commit(celery_worker):
    celery_worker.clear_mail()
    with transaction.atomic():
        send_email.delay_on_commit(
            subject="Release 5.0 is out",
            body="D02 images are ready.",
            to=["watcher@example.org"],
            html="<p>D02 images are <b>ready</b>.</p>",
        )
        # Nothing leaves before the commit: a rolled-back change would mail nobody.
        assert celery_worker.sent_mail() == []
    message = celery_worker.wait_for_mail(to="watcher@example.org")
    assert message["Subject"] == "Release 5.0 is out"
    assert message.get_body(preferencelist=("plain",)).get_content().strip() == (
        "D02 images are ready."
    )
    assert "<b>ready</b>" in message.get_body(preferencelist=("html",)).get_content()


@pytest.mark.django_db(transaction=True)
def test_nothing_is_sent_when_the_transaction_rolls_back(celery_worker):
    celery_worker.clear_mail()

    class Abort(Exception):
        pass

    with pytest.raises(Abort), transaction.atomic():
        send_email.delay_on_commit(subject="x", body="y", to=["ghost@example.org"])
        raise Abort
    send_email.delay_on_commit(subject="marker", body="m", to=["marker@example.org"])
    celery_worker.wait_for_mail(to="marker@example.org")
    assert not [m for m in celery_worker.sent_mail() if "ghost" in str(m["To"])]


def test_builds_are_routed_to_their_own_queue_only():
    queues = {q.name: q for q in app.conf.task_queues}
    assert queues["builds"].routing_key == "builds"
    assert queues["default"].routing_key == "default"
    assert queues["builds"].exchange.name != queues["default"].exchange.name
    assert app.amqp.router.route({}, "portal.send_email")["queue"].name == "default"
