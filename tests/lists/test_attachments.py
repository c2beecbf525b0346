"""Attachments: text ones viewable in the message's page (escaped, patches highlighted) with a
download beside them; binary ones only downloaded, never rendered from the site's origin."""

from __future__ import annotations

import pytest
from django.urls import reverse

from lists.models import Attachment, Message

pytestmark = pytest.mark.django_db

MAIL = b"""From: Wei Zhang <wei@example.org>
To: dev@lists.example.org
Subject: [PATCH] hns: logs and a fix
Date: Mon, 02 May 2016 10:00:00 +0000
Message-ID: <attach@x>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b"

--b
Content-Type: text/plain; charset=utf-8

The fix and the boot log.
--b
Content-Type: text/x-patch; name="0001-fix.patch"
Content-Disposition: attachment; filename="0001-fix.patch"

diff --git a/hns.c b/hns.c
--- a/hns.c
+++ b/hns.c
@@ -1 +1 @@
-\told_call(dev); /* <b>old</b> */
+\tnew_call(dev);
--b
Content-Type: application/octet-stream; name="boot.log"
Content-Disposition: attachment; filename="boot.log"

> UEFI firmware <starting> & booting
--b
Content-Type: text/html; name="page.html"
Content-Disposition: attachment; filename="page.html"

<script>alert(1)</script><p>hello</p>
--b
Content-Type: application/pdf; name="board.pdf"
Content-Disposition: attachment; filename="board.pdf"
Content-Transfer-Encoding: base64

JVBERi0xLjQKPGh0bWw+PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==
--b--
"""


def _url(attachment: Attachment) -> str:
    message = attachment.message
    return reverse(
        "lists:attachment",
        args=[
            message.mailing_list.name,
            message.message_id,
            attachment.position,
            attachment.filename,
        ],
    )


def test_text_attachments_are_viewable_and_binary_ones_downloaded(
    client, public_list, archive, django_assert_max_num_queries
):
    archive(public_list, MAIL)
    message = Message.objects.get(message_id="attach@x")
    by_name = {a.filename: a for a in Attachment.objects.filter(message=message)}
    assert set(by_name) == {"0001-fix.patch", "boot.log", "page.html", "board.pdf"}

    with django_assert_max_num_queries(8):
        page = client.get(message.get_absolute_url()).content.decode()
    # Every text attachment shown in a <pre>, escaped, with its download link beside it.
    assert page.count('data-test="attachment-text"') == 3
    assert '<span class="gd">-\told_call(dev); /* &lt;b&gt;old&lt;/b&gt; */</span>' in page
    assert '<span class="gi">+\tnew_call(dev);</span>' in page
    assert "&gt; UEFI firmware &lt;starting&gt; &amp; booting" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
    for name in ("0001-fix.patch", "boot.log", "page.html"):
        assert f'href="{_url(by_name[name])}?download"' in page
    assert f'href="{_url(by_name["board.pdf"])}"' in page
    assert f'href="{_url(by_name["board.pdf"])}?download"' not in page

    # Viewed raw: plain text whatever the sender said (HTML too), never sniffed, sandboxed.
    for name in ("0001-fix.patch", "boot.log", "page.html"):
        response = client.get(_url(by_name[name]))
        assert response["Content-Type"] == "text/plain; charset=utf-8"
        assert response["Content-Disposition"] == "inline"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in response["Content-Security-Policy"]
        assert bytes(response.content) == bytes(by_name[name].data)
        download = client.get(_url(by_name[name]) + "?download")
        assert download["Content-Disposition"] == f"attachment; filename*=UTF-8''{name}"
        assert bytes(download.content) == bytes(by_name[name].data)

    # Binary: always a download, as bytes of no type a browser would render.
    response = client.get(_url(by_name["board.pdf"]))
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == "attachment; filename*=UTF-8''board.pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert bytes(response.content).startswith(b"%PDF-1.4\n<html><script>")


def test_large_text_attachments_are_offered_as_a_download(client, public_list, archive):
    big = "x" * 300_000
    raw = MAIL.replace(b"> UEFI firmware <starting> & booting", big.encode())
    archive(public_list, raw)
    message = Message.objects.get(message_id="attach@x")
    page = client.get(message.get_absolute_url()).content.decode()
    assert page.count('data-test="attachment-text"') == 2
    assert "Too large to show here: download it." in page
    assert big not in page


def test_a_missing_attachment_is_a_404(client, public_list, archive):
    archive(public_list, MAIL)
    message = Message.objects.get(message_id="attach@x")
    url = reverse("lists:attachment", args=[public_list.name, message.message_id, 9, "x.txt"])
    assert client.get(url).status_code == 404
