"""Every kind of file a person or a mail put on the site, fetched as a reader fetches it: each
is saved as an attachment (or shown inline only as a re-encoded image, or as plain text), with
`X-Content-Type-Options: nosniff`, and never answered as HTML from the site's origin.

The files carry HTML on purpose: a browser that sniffed them would run it.
"""

from __future__ import annotations

import io
from email.message import EmailMessage

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from bugs.services import filing
from lab.services.caliper import upload_run
from lists.mailboxes import Entry
from lists.models import Attachment as MailAttachment
from lists.models import MailingList, Message
from lists.services.ingestion import archive_batch
from tests.lab.conftest import MACHINE, caliper_files

HTML = b"<html><body><script>alert(1)</script><img src=x onerror=alert(2)></body></html>\n"


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(out, "PNG")
    return out.getvalue() + HTML  # a polyglot: an image with HTML after it


def _mail() -> bytes:
    message = EmailMessage()
    message["From"] = "Wei <wei@example.org>"
    message["To"] = "dev@lists.example.org"
    message["Subject"] = "Files"
    message["Message-ID"] = "<files@example.org>"
    message["Date"] = "Mon, 02 May 2016 10:00:00 +0000"
    message.set_content("See attached.\n")
    message.add_attachment(HTML, maintype="text", subtype="html", filename="page.html")
    message.add_attachment(HTML, maintype="application", subtype="octet-stream", filename="x.bin")
    message.add_attachment(HTML.decode(), subtype="plain", filename="notes.txt")
    message.add_attachment(_png(), maintype="image", subtype="png", filename="shot.png")
    return message.as_bytes()


def _served_user_files(client, bug, reporter, make_release, boards) -> dict[str, object]:
    served = {}
    log = filing.add_attachment(
        bug=bug, uploader=reporter, upload=SimpleUploadedFile("page.html", HTML)
    )
    binary = filing.add_attachment(
        bug=bug, uploader=reporter, upload=SimpleUploadedFile("x.html", b"\x00\x01" + HTML)
    )
    image = filing.add_attachment(
        bug=bug, uploader=reporter, upload=SimpleUploadedFile("shot.png", _png())
    )
    for name, item in {"log": log, "binary": binary, "image": image}.items():
        served[f"bug {name}, raw"] = reverse("bugs:attachment_raw", args=[bug.pk, item.pk])
    served["bug binary, page"] = reverse("bugs:attachment", args=[bug.pk, binary.pk])
    served["bug image, page"] = reverse("bugs:attachment", args=[bug.pk, image.pk])
    served["bugs as CSV"] = reverse("bugs:csv")

    dev = MailingList.objects.create(name="estuary-dev", posting_address="dev@lists.example.org")
    archive_batch(mailing_list=dev, entries=[Entry("", _mail(), 0)])
    message = Message.objects.get()
    for found in MailAttachment.objects.filter(message=message):
        served[f"mail attachment {found.filename}"] = reverse(
            "lists:attachment",
            kwargs={
                "list_name": dev.name,
                "message_id": message.message_id,
                "position": found.position,
                "filename": found.filename,
            },
        )
    served["mail, raw"] = reverse("lists:raw", args=[dev.name, message.message_id])
    served["thread as mbox"] = reverse("lists:thread_mbox", args=[dev.name, message.thread_id])

    release = make_release("3.1", {"d02/Image": HTML, "common/README.html": HTML})
    served["release file"] = reverse("downloads:file", args=["3.1", "common", "README.html"])
    run = upload_run(
        board=boards["d02"], release=release, machine=MACHINE, files=caliper_files("d05-01")
    )
    for source in ("raw", "score", "post"):
        served[f"Caliper {source} file"] = reverse("lab:run_file", args=[run.pk, source])
    return served


def test_every_kind_of_served_user_file_is_saved_or_inert(
    client, bug, reporter, make_release, boards, storage
):
    served = _served_user_files(client, bug, reporter, make_release, boards)
    assert len(served) >= 15
    problems = []
    for what, url in served.items():
        response = client.get(url)
        kind = response.get("Content-Type", "").split(";")[0].strip().lower()
        disposition = response.get("Content-Disposition", "").split(";")[0].strip().lower()
        where = f"{what} ({url}): {response.status_code} {kind} {disposition or '-'}"
        if response.status_code != 200:
            problems.append(f"{where}: not served")
            continue
        if response.get("X-Content-Type-Options") != "nosniff":
            problems.append(f"{where}: no nosniff")
        if "page" in what and kind == "text/html":
            continue  # the site's own page about the file, its text escaped
        if kind in {"text/html", "application/xhtml+xml", "image/svg+xml", "text/xml"}:
            problems.append(f"{where}: a browser would render it")
        elif disposition != "attachment" and not (
            kind in {"image/png", "image/jpeg", "image/webp", "image/gif"} or kind == "text/plain"
        ):
            problems.append(f"{where}: shown inline")
        if kind.startswith("image/"):
            body = b"".join(response) if response.streaming else response.content
            if b"<script>" in body:
                problems.append(f"{where}: an image served with the sender's bytes")
    assert not problems, "\n".join(problems)
