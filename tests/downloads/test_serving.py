"""Serving files: Range, ETag, HEAD, streaming; checksum lists that sha256sum -c accepts."""

import hashlib
import os
import subprocess
import tracemalloc
from pathlib import Path

import pytest
from django.urls import reverse

from downloads.models import Release
from downloads.serving import parse_range
from tests.downloads.conftest import run

pytestmark = pytest.mark.django_db

KERNEL = bytes(range(256)) * 64 + b"tail"  # 16388 bytes


@pytest.fixture
def release(boards, make_release) -> Release:
    return make_release(
        "3.1",
        {
            "d02/Image": KERNEL,
            "d02/hip05-d02.dts": b'/dts-v1/;\n/ { model = "D02"; };\n',
            "hikey/Image": b"hikey kernel",
            "common/README.txt": b"Read me\n",
        },
    )


def _url(path: str) -> str:
    folder, name = path.split("/")
    return reverse("downloads:file", args=["3.1", folder, name])


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_whole_file_with_validators(client, release):
    response = client.get(_url("d02/Image"))
    assert response.status_code == 200
    assert _body(response) == KERNEL
    assert response["Content-Length"] == str(len(KERNEL))
    assert response["Accept-Ranges"] == "bytes"
    assert response["Content-Disposition"] == 'attachment; filename="Image"'
    assert response["ETag"].startswith('"') and response["Last-Modified"]


def test_two_range_halves_equal_the_whole(client, release):
    half = len(KERNEL) // 2
    first = client.get(_url("d02/Image"), HTTP_RANGE=f"bytes=0-{half - 1}")
    second = client.get(_url("d02/Image"), HTTP_RANGE=f"bytes={half}-")
    assert first.status_code == second.status_code == 206
    assert first["Content-Range"] == f"bytes 0-{half - 1}/{len(KERNEL)}"
    assert second["Content-Range"] == f"bytes {half}-{len(KERNEL) - 1}/{len(KERNEL)}"
    assert second["Content-Length"] == str(len(KERNEL) - half)
    assert _body(first) + _body(second) == KERNEL


def test_suffix_range_and_range_past_the_end_is_clipped(client, release):
    tail = client.get(_url("d02/Image"), HTTP_RANGE="bytes=-4")
    assert tail.status_code == 206 and _body(tail) == b"tail"
    clipped = client.get(_url("d02/Image"), HTTP_RANGE="bytes=16384-99999")
    assert clipped.status_code == 206 and _body(clipped) == b"tail"


def test_unsatisfiable_range_is_416(client, release):
    response = client.get(_url("d02/Image"), HTTP_RANGE=f"bytes={len(KERNEL)}-")
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{len(KERNEL)}"


def test_malformed_or_multiple_ranges_send_the_whole_file(client, release):
    for header in ["bytes=5-1", "items=0-1", "bytes=0-1,5-6", "bytes=x-"]:
        response = client.get(_url("d02/Image"), HTTP_RANGE=header)
        assert response.status_code == 200 and _body(response) == KERNEL, header


def test_ranges_with_thousands_of_digits_answer_206_416_or_the_whole_file(client, release):
    huge = "9" * 5000
    answers = {
        f"bytes={huge}-": (416, None),  # starts past any end
        f"bytes=0-{huge}": (206, KERNEL),  # to the end
        f"bytes=-{huge}": (206, KERNEL),  # the last "huge" bytes: all of them
        f"bytes={'0' * 5000}1-2": (206, KERNEL[1:3]),  # leading zeros are still a number
        f"bytes={huge}-1": (200, KERNEL),  # last before first: ignored
        "bytes=\u0663-": (200, KERNEL),  # an Arabic-Indic three is no byte position
    }
    for header, (status, body) in answers.items():
        response = client.get(_url("d02/Image"), HTTP_RANGE=header)
        assert response.status_code == status, header[:30]
        if body is not None:
            assert _body(response) == body, header[:30]


def test_head_answers_the_headers_only(client, release):
    response = client.head(_url("d02/Image"))
    assert response.status_code == 200
    assert response["Content-Length"] == str(len(KERNEL))
    assert _body(response) == b""


def test_conditional_requests(client, release):
    etag = client.head(_url("d02/Image"))["ETag"]
    assert client.get(_url("d02/Image"), HTTP_IF_NONE_MATCH=etag).status_code == 304
    modified = client.head(_url("d02/Image"))["Last-Modified"]
    assert client.get(_url("d02/Image"), HTTP_IF_MODIFIED_SINCE=modified).status_code == 304
    # If-Range with the current ETag resumes; with a stale one, the whole file comes back.
    resumed = client.get(_url("d02/Image"), HTTP_RANGE="bytes=10-", HTTP_IF_RANGE=etag)
    assert resumed.status_code == 206
    stale = client.get(_url("d02/Image"), HTTP_RANGE="bytes=10-", HTTP_IF_RANGE='"old"')
    assert stale.status_code == 200 and _body(stale) == KERNEL


def test_parse_range():
    assert parse_range("bytes=0-0", 10) == (0, 0)
    assert parse_range("bytes=-20", 10) == (0, 9)
    assert parse_range("bytes=-0", 10) is False
    assert parse_range("bytes=10-", 10) is False
    assert parse_range("bytes=-", 10) is None


def test_unknown_files_and_drafts_are_404_for_the_public(
    client, boards, make_release, release_manager
):
    make_release("4.0", {"d02/Image": b"draft kernel"}, publish=False)
    draft_url = reverse("downloads:file", args=["4.0", "d02", "Image"])
    assert client.get(draft_url).status_code == 404
    assert client.get(reverse("downloads:file", args=["4.0", "d02", "nope"])).status_code == 404
    assert client.get(reverse("downloads:release", args=["4.0"])).status_code == 404
    client.force_login(release_manager)  # the draft preview
    assert _body(client.get(draft_url)) == b"draft kernel"
    assert client.get(reverse("downloads:release", args=["4.0"])).status_code == 200


def test_x_accel_redirect_hands_the_bytes_to_nginx(client, release, settings):
    settings.DOWNLOADS_X_ACCEL_PREFIX = "/protected-artifacts/"
    response = client.get(_url("d02/Image"))
    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == "/protected-artifacts/3.1/d02/Image"
    assert response.content == b""
    assert response["Content-Disposition"] == 'attachment; filename="Image"'


def test_memory_does_not_grow_with_the_file(client, boards, make_release):
    size = 48 * 1024 * 1024
    make_release("9.0", {"d02/big.img": os.urandom(1024) * (size // 1024)})
    response = client.get(reverse("downloads:file", args=["9.0", "d02", "big.img"]))
    tracemalloc.start()
    received = 0
    for chunk in response.streaming_content:
        received += len(chunk)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    response.close()
    assert received == size
    assert peak < 4 * 1024 * 1024, f"streaming {size} bytes peaked at {peak} bytes"


def _fetch_folder(client, folder: str, target: Path) -> None:
    sums = client.get(reverse("downloads:folder_checksums", args=["3.1", folder, "SHA256SUMS"]))
    (target / "SHA256SUMS").write_bytes(sums.content)
    md5 = client.get(reverse("downloads:folder_checksums", args=["3.1", folder, "MD5SUMS"]))
    (target / "MD5SUMS").write_bytes(md5.content)
    for line in sums.content.decode().splitlines():
        name = line.split("  ", 1)[1]
        (target / name).write_bytes(_body(client.get(_url(f"{folder}/{name}"))))


def test_sha256sum_and_md5sum_check_the_downloaded_files(client, release, tmp_path):
    _fetch_folder(client, "d02", tmp_path)
    result = run("sha256sum", "-c", "SHA256SUMS", cwd=tmp_path)
    assert result.stdout.splitlines() == ["Image: OK", "hip05-d02.dts: OK"]
    assert run("md5sum", "-c", "MD5SUMS", cwd=tmp_path).returncode == 0
    (tmp_path / "Image").write_bytes(KERNEL[:-1] + b"!")
    failed = run("sha256sum", "-c", "SHA256SUMS", cwd=tmp_path, check=False)
    assert failed.returncode != 0 and "Image: FAILED" in failed.stdout


def test_the_release_wide_list_checks_a_mirror_of_the_folders(client, release, tmp_path):
    sums = client.get(reverse("downloads:release_checksums", args=["3.1", "SHA256SUMS"]))
    lines = sums.content.decode().splitlines()
    assert [line.split("  ")[1] for line in lines] == [
        "common/README.txt",
        "d02/Image",
        "d02/hip05-d02.dts",
        "hikey/Image",
    ]
    (tmp_path / "SHA256SUMS").write_bytes(sums.content)
    for line in lines:
        path = line.split("  ")[1]
        (tmp_path / path).parent.mkdir(exist_ok=True)
        (tmp_path / path).write_bytes(_body(client.get(_url(path))))
    assert run("sha256sum", "-c", "--strict", "SHA256SUMS", cwd=tmp_path).returncode == 0
    assert (
        hashlib.sha256((tmp_path / "d02/Image").read_bytes()).hexdigest() in sums.content.decode()
    )


def test_curl_resumes_a_broken_download(live_server, release, tmp_path):
    url = live_server.url + _url("d02/Image")
    partial = tmp_path / "Image"
    partial.write_bytes(KERNEL[:5000])  # what a broken download left
    result = subprocess.run(
        ["curl", "-sS", "-f", "-C", "-", "-o", str(partial), "-w", "%{http_code}", url],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    assert result.stdout == "206"
    assert partial.read_bytes() == KERNEL
