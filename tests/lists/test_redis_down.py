"""Redis down, as the broker and as the cache (a real URL where nothing listens): the tracker's,
the archive's and the lab's pages still serve, and each action that queues a task keeps it in
the database (portal/outbox.py) instead of failing a request whose work was committed; the kept
tasks leave once Redis is back. Nothing is lost silently."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from bugs.models import Component, Product
from bugs.services import filing
from lab.models import LabBoard
from lab.services.caliper import upload_run
from lists.models import MboxUpload, Thread, WebReply
from portal.celery import app
from portal.models import PendingTask
from portal.outbox import send_pending
from tests.lab.conftest import MACHINE, caliper_files, make_published

from .conftest import mail

DEAD_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1


def _fresh_producers() -> None:
    # Producers and connections are made from the broker URL on first use.
    app.amqp._producer_pool = None
    app._pool = None


@contextmanager
def redis_down(settings):
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(app.conf, "broker_url", DEAD_REDIS)
        _fresh_producers()
        old_caches, old_url = settings.CACHES, settings.REDIS_URL
        settings.REDIS_URL = DEAD_REDIS
        settings.CACHES = {"default": {**old_caches["default"], "LOCATION": DEAD_REDIS}}
        try:
            yield
        finally:
            settings.CACHES, settings.REDIS_URL = old_caches, old_url
            patch.undo()
            _fresh_producers()


def test_pages_serve_and_queued_work_waits_in_the_database(
    client, settings, public_list, archive, ada, eve, django_capture_on_commit_callbacks
):
    archive(public_list, mail("root@x", subject="Boot log"))
    archive(public_list, mail("child@x", subject="Re: Boot log", references=["root@x"]))
    component = Component.objects.create(
        product=Product.objects.create(name="Kernel", slug="kernel"), name="Net", slug="net"
    )
    bug = filing.file_bug(
        reporter=eve, component=component, summary="Drops", description="Run iperf3."
    )
    from downloads.models import Board

    d05 = Board.objects.create(slug="d05", name="D05", soc="Hi1616", arch="arm64")
    release = make_published("3.1", d05, days_ago=5)
    run = upload_run(board=d05, release=release, machine=MACHINE, files=caliper_files("d05-01"))
    lab_board = LabBoard.objects.create(board=d05, name="D05 lab #1", slug="d05-lab-1")
    admin = get_user_model().objects.create_superuser("root", "root@example.org", "pw-1-root")

    with redis_down(settings):
        pages = [
            "/bugs/", bug.get_absolute_url(), public_list.get_absolute_url(),
            Thread.objects.get().get_absolute_url(), "/lab/", lab_board.get_absolute_url(),
            "/lab/caliper/", run.get_absolute_url(),
        ]  # fmt: skip
        for url in pages:
            assert client.get(url).status_code == 200, url

        client.force_login(ada)
        with django_capture_on_commit_callbacks(execute=True):
            # A comment mails the reporter; a web reply goes to the list.
            commented = client.post(reverse("bugs:comment", args=[bug.pk]), {"body": "Same here."})
            replied = client.post(
                reverse("lists:reply", args=[public_list.name, "child@x"]),
                {"from_address": "ada@example.org", "subject": "Re: Boot log", "body": "Works."},
            )
        client.force_login(admin)
        with django_capture_on_commit_callbacks(execute=True):
            uploaded = client.post(
                reverse("admin:lists_mboxupload_add"),
                {"mailing_list": public_list.pk, "file": SimpleUploadedFile("a.mbox", b"From x")},
            )
        assert [commented.status_code, replied.status_code, uploaded.status_code] == [302] * 3
        kept = sorted(PendingTask.objects.values_list("name", flat=True))
        assert kept == ["lists.deliver_web_reply", "lists.import_upload", "portal.send_email"]
        assert WebReply.objects.get().sent_at is None
        assert MboxUpload.objects.get().state == MboxUpload.State.QUEUED

    assert send_pending() == 3  # back: they leave, and only once
    assert PendingTask.objects.count() == 0
    assert send_pending() == 0
