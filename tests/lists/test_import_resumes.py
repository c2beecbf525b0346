"""A worker killed in the middle of an mbox import (SIGKILL, a real process, between two
committed batches): run again, the import goes on from where it stopped and the archive ends
with every message exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest
from django.core.files.base import ContentFile

from bench.mailgen import generate
from lists.mailboxes import mboxrd_entry
from lists.models import MboxUpload, Message
from lists.services.uploads import import_upload
from tests.conftest import ROOT, _database_url, wait_until

pytestmark = pytest.mark.django_db(transaction=True)  # the worker is another process

# Six batches of import_upload's 500: stopped after the first, with five left to stop in (the
# import is fast; fewer batches could all be done before the test looks again).
TOTAL = 3000


def test_a_killed_import_resumes_and_counts_each_message_once(public_list, settings, tmp_path):
    settings.LISTS_UPLOAD_ROOT = tmp_path / "uploads"
    from django.utils.functional import empty

    from lists.models import upload_storage

    upload_storage._wrapped = empty
    data = b"".join(
        mboxrd_entry(envelope.encode() + b"\n", raw) for envelope, raw in generate(TOTAL, seed=5)
    )
    # Made as queue_mbox_upload makes it, without sending its task: the suite's Celery worker,
    # when it runs, would take the import before the process this test kills.
    upload = MboxUpload(mailing_list=public_list, uploaded_by=None, total_bytes=len(data))
    upload.file.save("dev.mbox", ContentFile(data), save=False)
    upload.save()
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "LISTS_UPLOAD_ROOT": str(settings.LISTS_UPLOAD_ROOT),
        "DB_CONN_MAX_AGE": "0",
    }
    code = (
        "import django; django.setup();"
        "from lists.services import uploads;"
        f"uploads.import_upload(upload_id={upload.pk})"
    )
    output = tmp_path / "worker.log"
    with output.open("wb") as log:
        worker = subprocess.Popen(
            [sys.executable, "-c", code], cwd=ROOT, start_new_session=True,
            env={**env, "DJANGO_SETTINGS_MODULE": "portal.settings"},
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        wait_until(
            lambda: Message.objects.count() >= 500 or worker.poll() is not None,
            timeout=120,
            interval=0.02,
        )
        assert worker.poll() is None, f"the import ended by itself:\n{output.read_text()}"
        os.killpg(worker.pid, signal.SIGKILL)
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
    before = Message.objects.count()
    assert 0 < before < TOTAL, f"the import was not stopped in the middle ({before} of {TOTAL})"
    upload.refresh_from_db()
    assert upload.state == MboxUpload.State.RUNNING  # as a killed worker leaves it

    # The task runs again (Celery's acks_late redelivers it; here called directly).
    import_upload(upload_id=upload.pk)
    upload.refresh_from_db()
    assert upload.state == MboxUpload.State.DONE, upload.error
    assert Message.objects.count() == TOTAL
    assert upload.imported + upload.skipped == TOTAL and upload.skipped == before
