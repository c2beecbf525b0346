"""What the worker does for the archive, tested through the real worker: an mbox uploaded in
the admin is imported with its progress on the page; a web reply goes out by SMTP to a real
(aiosmtpd) server with the headers that thread it, and is archived when it comes back."""

from __future__ import annotations

import email
import email.policy

import pytest
from aiosmtpd.controller import Controller
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from bench.common import free_port
from bench.mailgen import generate
from lists.mailboxes import mboxrd_entry
from lists.models import MboxUpload, Message, Thread, WebReply
from lists.services.ingestion import archive_message
from tests.conftest import wait_until

from .conftest import mail

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


def test_admin_upload_is_imported_by_the_worker(celery_worker, client, public_list):
    admin = get_user_model().objects.create_superuser("root", "root@example.org", "pw-1-root")
    client.force_login(admin)
    data = b"".join(
        mboxrd_entry(envelope.encode() + b"\n", raw) for envelope, raw in generate(300, seed=2)
    )
    response = client.post(
        reverse("admin:lists_mboxupload_add"),
        {
            "mailing_list": public_list.pk,
            "file": SimpleUploadedFile("dev.mbox", data, content_type="application/mbox"),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    upload = MboxUpload.objects.get()

    def finished():
        upload.refresh_from_db()
        return upload.state in (MboxUpload.State.DONE, MboxUpload.State.FAILED)

    wait_until(finished, timeout=120)
    assert upload.state == MboxUpload.State.DONE, upload.error + celery_worker.log()[-3000:]
    assert upload.imported == 300 and upload.percent == 100
    assert Message.objects.filter(mailing_list=public_list).count() == 300
    page = client.get(reverse("admin:lists_mboxupload_changelist")).content.decode()
    assert '<progress max="100" value="100">' in page


def test_a_broken_upload_fails_with_a_message(celery_worker, client, public_list, tmp_path):
    admin = get_user_model().objects.create_superuser("root", "root@example.org", "pw-1-root")
    client.force_login(admin)
    client.post(
        reverse("admin:lists_mboxupload_add"),
        {"mailing_list": public_list.pk, "file": SimpleUploadedFile("x.mbox", b"From x\n")},
    )
    upload = MboxUpload.objects.get()
    upload.file.storage.delete(upload.file.name)  # the file went away before the worker came

    def finished():
        upload.refresh_from_db()
        return upload.state in (MboxUpload.State.DONE, MboxUpload.State.FAILED)

    wait_until(finished, timeout=60)
    assert upload.state == MboxUpload.State.FAILED and "no such file" in upload.error


class Collector:
    def __init__(self):
        self.received = []

    async def handle_DATA(self, server, session, envelope):
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


@pytest.fixture
def smtp_server():
    collector = Collector()
    controller = Controller(collector, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield collector, controller.port
    finally:
        controller.stop()


def test_web_reply_goes_out_by_smtp_and_comes_back_threaded(
    celery_worker, client, public_list, archive, ada, smtp_server
):
    collector, port = smtp_server
    public_list.reply_smtp = f"127.0.0.1:{port}"
    public_list.save()
    archive(public_list, mail("root@x", subject="Boot log"))
    archive(public_list, mail("child@x", subject="Re: Boot log", references=["root@x"]))
    client.force_login(ada)
    url = reverse("lists:reply", args=[public_list.name, "child@x"])
    form = client.get(url)
    assert form.status_code == 200 and "&gt; Some text." in form.content.decode()
    response = client.post(
        url,
        {
            "from_address": "ada@example.org",
            "subject": "Re: Boot log",
            "body": "Works here with 5.0.",
        },
    )
    assert response.status_code == 302
    wait_until(lambda: collector.received, timeout=60)
    _mail_from, recipients, content = collector.received[0]
    assert recipients == [public_list.posting_address]
    sent = email.message_from_bytes(content, policy=email.policy.default)
    assert sent["To"] == public_list.posting_address
    assert sent["From"] == "ada <ada@example.org>"
    assert sent["In-Reply-To"] == "<child@x>"
    assert sent["References"] == "<root@x> <child@x>"
    assert sent.get_content().strip() == "Works here with 5.0."
    assert WebReply.objects.get().sent_at is not None
    # The list delivers it back to the archive: it lands under the message it answers.
    archived = archive_message(mailing_list=public_list, raw=content.replace(b"\r\n", b"\n"))
    assert archived.parent.message_id == "child@x"
    assert Thread.objects.filter(mailing_list=public_list).count() == 1


def test_web_reply_refuses_unverified_addresses(client, public_list, archive, make_user):
    archive(public_list, mail("root@x"))
    url = reverse("lists:reply", args=[public_list.name, "root@x"])
    assert client.get(url).status_code == 302  # signed out: to the sign-in page
    mallory = make_user("mallory", verified=False)
    client.force_login(mallory)
    response = client.get(url)
    assert response.status_code == 302  # nothing to reply from
    ada = make_user("ada")
    client.force_login(ada)
    response = client.post(
        url, {"from_address": "mallory@example.org", "subject": "x", "body": "hello"}
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    response = client.post(url, {"from_address": "ada@example.org", "subject": "x", "body": " "})
    assert response.status_code == 200
    assert WebReply.objects.count() == 0
