"""A full disk during an upload or an import: a clear error, no partial file, no record.

Artifact storage is put on a real 512 KiB tmpfs, which fills up as a production disk does."""

import subprocess
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from downloads.models import Artifact
from downloads.services.artifacts import ArtifactError, add_artifact_from_path
from downloads.services.publishing import create_release

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_disk(settings, tmp_path):
    mount_point = tmp_path / "small-disk"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {mounted.stderr.strip()}")
    settings.STORAGES = {
        **settings.STORAGES,
        "artifacts": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": mount_point, "base_url": "/downloads/files/"},
        },
    }
    yield mount_point
    # Lazily: a file the code under test left open must not keep the mount behind.
    subprocess.run(["umount", "--lazy", str(mount_point)], check=True)


def _files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def test_an_upload_onto_a_full_disk_is_refused_clearly_and_keeps_nothing(
    client, release_manager, boards, small_disk
):
    create_release(version="5.0")
    client.force_login(release_manager)
    rootfs = SimpleUploadedFile("rootfs.tar.gz", b"\x1f\x8b" + b"r" * (2 * 1024 * 1024))
    response = client.post(
        reverse("downloads:manage_upload", args=["5.0"]),
        {"file": rootfs, "board": boards["d02"].pk, "kind": ""},
    )
    assert response.status_code == 507
    page = response.content.decode()
    assert "rootfs.tar.gz could not be stored: the server has no room for it" in page
    assert "This field is required" not in page
    assert Artifact.objects.count() == 0 and _files(small_disk) == []
    # Once there is room again, the same upload goes through.
    small = SimpleUploadedFile("Image", b"\x7fELF kernel")
    response = client.post(
        reverse("downloads:manage_upload", args=["5.0"]),
        {"file": small, "board": boards["d02"].pk, "kind": ""},
    )
    assert response.status_code == 302 and Artifact.objects.get().filename == "Image"


def test_an_import_onto_a_full_disk_names_the_file_and_keeps_nothing(boards, small_disk, incoming):
    release = create_release(version="5.0")
    source = incoming / "debian-rootfs.tar.gz"
    source.write_bytes(b"d" * (2 * 1024 * 1024))
    with pytest.raises(ArtifactError, match=r"debian-rootfs.tar.gz: could not be stored in 5.0"):
        add_artifact_from_path(release=release, path=source, board=boards["d02"])
    assert Artifact.objects.count() == 0 and _files(small_disk) == []
