"""The demo releases are real files: a kernel Image, device trees that compile, tarballs."""

import io
import tarfile

import pytest
from django.core.management import call_command
from django.urls import reverse

from downloads.models import Artifact, Board, Release
from tests.downloads.conftest import run

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(db):
    call_command("seed_demo", "--only", "site", "--only", "downloads", stdout=io.StringIO())


def _download(client, artifact: Artifact) -> bytes:
    return b"".join(client.get(artifact.get_absolute_url()).streaming_content)


def test_every_board_has_a_published_release(seeded, client):
    for board in Board.objects.all():
        data = client.get(reverse("downloads_api:board_latest", args=[board.slug])).json()
        assert data["release"]["version"] == "3.1", board.slug
        kinds = {a["kind"] for a in data["artifacts"]}
        assert {"kernel", "dtb", "bootloader", "rootfs"} <= kinds
    assert Release.objects.filter(status="published").count() == 3
    preview = Release.objects.get(is_prerelease=True)
    assert set(preview.artifacts.exclude(board=None).values_list("board__slug", flat=True)) == {
        "d05",
        "qemu",
    }


def test_seeding_twice_changes_nothing(seeded):
    before = sorted(Artifact.objects.values_list("release__version", "filename", "sha256"))
    call_command("seed_demo", "--only", "downloads", stdout=io.StringIO())
    assert sorted(Artifact.objects.values_list("release__version", "filename", "sha256")) == before


def test_the_demo_files_are_what_they_say(seeded, client, tmp_path):
    files = {
        a.filename: a for a in Artifact.objects.filter(release__version="3.1", board__slug="d02")
    }
    image = tmp_path / "Image"
    image.write_bytes(_download(client, files["Image"]))
    assert "Linux kernel ARM64 boot executable Image" in run("file", str(image)).stdout
    dts = tmp_path / "hip05-d02.dts"
    dts.write_bytes(_download(client, files["hip05-d02.dts"]))
    run("dtc", "-q", "-I", "dts", "-O", "dtb", "-o", str(tmp_path / "d02.dtb"), str(dts))
    assert (tmp_path / "d02.dtb").read_bytes()[:4] == bytes.fromhex("d00dfeed")
    grub = _download(client, files["grub.cfg"]).decode()
    assert "menuentry" in grub and "linux /Image" in grub and "devicetree /hip05-d02.dtb" in grub
    tarball = _download(client, files["ubuntu-16.04-rootfs.tar.gz"])
    with tarfile.open(fileobj=io.BytesIO(tarball)) as tar:
        os_release = tar.extractfile("./etc/os-release").read().decode()
    assert "ID=ubuntu" in os_release


def test_a_new_user_verifies_a_d02_file_with_sha256sum(seeded, client, tmp_path):
    sums = client.get(reverse("downloads:latest", args=["d02", "SHA256SUMS"]), follow=True)
    (tmp_path / "SHA256SUMS").write_bytes(sums.content)
    kernel = client.get(reverse("downloads:latest", args=["d02", "Image"]), follow=True)
    (tmp_path / "Image").write_bytes(b"".join(kernel.streaming_content))
    result = run("sha256sum", "-c", "--ignore-missing", "SHA256SUMS", cwd=tmp_path)
    assert result.stdout.strip() == "Image: OK"


def test_the_demo_releases_are_signed_with_a_throwaway_key(seeded, client, verifier):
    sums = client.get(reverse("downloads:latest", args=["d02", "SHA256SUMS"]), follow=True)
    signature = client.get(reverse("downloads:latest", args=["d02", "SHA256SUMS.asc"]), follow=True)
    key = client.get(reverse("downloads:key"))
    assert signature.status_code == 200 and key.status_code == 200
    verified = verifier(key.content, sums.content, signature.content)
    assert "Good signature" in verified.stderr
