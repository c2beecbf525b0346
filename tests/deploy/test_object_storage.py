"""Release files and bug attachments on S3-compatible object storage (django-storages).

moto's standalone S3 server runs as its own process and is spoken to over HTTP, as MinIO or a
cloud's S3 would be: a release manager's upload and a published release's file land in the
bucket, a download is a redirect to a signed URL that the store answers whole and by Range,
and a bug attachment is stored in the bucket and read back through the site.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import urllib.request
from collections.abc import Iterator

import boto3
import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from bench.common import _wait_for_port, free_port
from bugs.models import Attachment, Component, Product
from bugs.services import filing
from downloads.models import Artifact, Board
from downloads.services.artifacts import add_artifact_from_path
from downloads.services.publishing import create_release, publish_release
from downloads.storage import local_copy
from portal.storage import object_storages

pytestmark = pytest.mark.django_db
KERNEL = hashlib.sha256(b"kernel").digest() * 2048  # 64 KiB
BUCKET = "estuary-test"


@pytest.fixture(scope="module")
def s3_server() -> Iterator[str]:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        _wait_for_port(port)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def bucket(s3_server, settings, tmp_path, monkeypatch):
    """STORAGES as portal/settings.py builds them when AWS_STORAGE_BUCKET_NAME is set."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "estuary")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "estuary-secret")
    s3 = boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1")
    s3.create_bucket(Bucket=BUCKET)
    settings.STORAGES = {
        **settings.STORAGES,
        **object_storages(
            bucket=BUCKET, endpoint_url=s3_server, region_name="us-east-1", addressing_style="path"
        ),
    }
    settings.ARTIFACTS_STAGING_ROOT = tmp_path / "staging"
    settings.SIGNING_KEY_ID = ""
    settings.REQUIRE_SIGNING = False
    yield s3
    for item in s3.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        s3.delete_object(Bucket=BUCKET, Key=item["Key"])
    s3.delete_bucket(Bucket=BUCKET)


def _object(s3, key: str) -> bytes:
    return s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()


def _get(url: str, headers: dict | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return answer.status, answer.read()


def test_release_files_are_stored_published_and_downloaded_from_the_bucket(
    bucket, client, release_manager, tmp_path
):
    board = Board.objects.create(slug="d02", name="D02", soc="Hip05")
    release = create_release(version="7.0")
    source = tmp_path / "Image"
    source.write_bytes(KERNEL)
    add_artifact_from_path(release=release, path=source, board=board, kind="kernel")
    # A release manager's upload through the site goes to the bucket too, nothing stays staged.
    client.force_login(release_manager)
    answer = client.post(
        reverse("downloads:manage_upload", args=["7.0"]),
        {"file": SimpleUploadedFile("boot.img", b"boot image bytes"), "board": board.pk},
    )
    assert answer.status_code == 302
    assert _object(bucket, "artifacts/7.0/d02/Image") == KERNEL
    assert _object(bucket, "artifacts/7.0/d02/boot.img") == b"boot image bytes"
    assert not any((tmp_path / "staging").iterdir())
    assert not (tmp_path / "artifacts").exists()  # nothing went to a local folder

    publish_release(release=release)  # reads every file back from the bucket to verify it
    with local_copy("7.0/d02/Image") as copy:  # what a boot test hands QEMU
        assert copy.read_bytes() == KERNEL
    assert not copy.exists()
    client.logout()
    url = reverse("downloads:file", args=["7.0", "d02", "Image"])
    answer = client.get(url)
    assert answer.status_code == 302 and answer["Cache-Control"] == "private, no-store"
    signed = answer["Location"]
    assert signed.startswith(bucket.meta.endpoint_url) and "Signature" in signed
    assert "X-Accel-Redirect" not in answer
    assert _get(signed) == (200, KERNEL)
    assert _get(signed, {"Range": "bytes=40000-"}) == (206, KERNEL[40000:])
    # The site still answers what it knows without the store: HEAD, 304 and an impossible range.
    head = client.head(url)
    assert head.status_code == 200 and head["Content-Length"] == str(len(KERNEL))
    assert client.get(url, headers={"If-None-Match": head["ETag"]}).status_code == 304
    assert client.get(url, headers={"Range": f"bytes={len(KERNEL)}-"}).status_code == 416

    # A file changed in the bucket behind the site's back: a new release refuses to publish it.
    second = create_release(version="7.1")
    add_artifact_from_path(release=second, path=source, board=board, kind="kernel")
    bucket.put_object(Bucket=BUCKET, Key="artifacts/7.1/d02/Image", Body=b"tampered")
    with pytest.raises(Exception, match="changed on disk"):
        publish_release(release=second)
    assert Artifact.objects.filter(release=second).count() == 1


def test_a_bug_attachment_goes_to_the_bucket_and_comes_back(bucket, client):
    reporter = get_user_model().objects.create_user("rita", "rita@example.org", "pw-1-rita")
    product = Product.objects.create(name="Kernel", slug="kernel")
    component = Component.objects.create(product=product, name="Drivers", slug="drivers")
    bug = filing.file_bug(
        summary="Network drops", reporter=reporter, component=component, description="It drops."
    )
    log = b"[    0.000000] Booting Linux on physical CPU 0x0\n" * 100
    client.force_login(reporter)
    answer = client.post(
        reverse("bugs:comment", args=[bug.pk]),
        {"body": "Here is the log.", "attachment": SimpleUploadedFile("boot.log", log)},
    )
    assert answer.status_code == 302
    item = Attachment.objects.get(bug=bug)
    assert _object(bucket, f"attachments/{item.file.name}") == log
    raw = client.get(reverse("bugs:attachment_raw", args=[bug.pk, item.pk]))
    assert raw.status_code == 200 and b"".join(raw.streaming_content) == log
    assert client.get(item.get_absolute_url()).status_code == 200
