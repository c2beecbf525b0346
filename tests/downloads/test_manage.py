"""The release managers' pages: drafts, uploads, server files, preview, publish, withdraw."""

import hashlib
import os
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from downloads.models import Artifact, Release
from downloads.services.publishing import create_release

pytestmark = pytest.mark.django_db


def test_only_release_managers_may_manage(client, db):
    url = reverse("downloads:manage")
    assert client.get(url).status_code == 302  # to the login page
    user = get_user_model().objects.create_user("joe", "joe@example.org", "pw-for-tests-1")
    client.force_login(user)
    assert client.get(url).status_code == 403
    assert client.post(url, {"version": "9.9"}).status_code == 403
    assert not Release.objects.exists()


def test_create_a_draft_and_form_errors(client, release_manager):
    client.force_login(release_manager)
    response = client.post(reverse("downloads:manage"), {"version": "5.0", "title": "Five"})
    assert response.status_code == 302
    assert Release.objects.get(version="5.0").status == Release.Status.DRAFT
    again = client.post(reverse("downloads:manage"), {"version": "5.0"})
    assert again.status_code == 200 and "exists already" in again.content.decode()
    bad = client.post(reverse("downloads:manage"), {"version": "../etc"})
    assert "a version is" in bad.content.decode()
    assert Release.objects.count() == 1


def test_upload_preview_publish(client, release_manager, boards, storage):
    create_release(version="5.0")
    client.force_login(release_manager)
    upload = SimpleUploadedFile("Image", b"\x7fELF kernel", content_type="application/octet-stream")
    response = client.post(
        reverse("downloads:manage_upload", args=["5.0"]),
        {"file": upload, "board": boards["d02"].pk, "kind": ""},
    )
    assert response.status_code == 302
    artifact = Artifact.objects.get(release__version="5.0")
    assert artifact.kind == Artifact.Kind.KERNEL and artifact.board == boards["d02"]
    assert (storage / "5.0" / "d02" / "Image").read_bytes() == b"\x7fELF kernel"
    assert artifact.sha256 == hashlib.sha256(b"\x7fELF kernel").hexdigest()
    assert not list((storage / ".staging").iterdir())  # moved into place, nothing left over
    preview = client.get(reverse("downloads:release", args=["5.0"])).content.decode()
    assert "Draft preview" in preview and "/downloads/releases/5.0/d02/Image" in preview
    client.logout()
    assert client.get(reverse("downloads:release", args=["5.0"])).status_code == 404
    client.force_login(release_manager)
    response = client.post(reverse("downloads:manage_publish", args=["5.0"]))
    assert response.status_code == 302
    assert Release.objects.get(version="5.0").status == Release.Status.PUBLISHED
    client.logout()
    assert client.get(reverse("downloads:release", args=["5.0"])).status_code == 200


def test_duplicate_upload_is_a_form_error(client, release_manager, boards, make_release, storage):
    make_release("5.0", {"d02/Image": b"kernel"}, publish=False)
    client.force_login(release_manager)
    response = client.post(
        reverse("downloads:manage_upload", args=["5.0"]),
        {"file": SimpleUploadedFile("Image", b"other"), "board": boards["d02"].pk},
    )
    assert response.status_code == 400
    assert "already has it in d02/" in response.content.decode()
    assert Artifact.objects.count() == 1
    assert not list((storage / ".staging").iterdir())  # the refused upload is gone


def test_a_large_upload_is_streamed_into_storage_and_csrf_still_holds(
    release_manager, boards, storage
):
    create_release(version="5.0")
    client = Client(enforce_csrf_checks=True)
    client.force_login(release_manager)
    page = client.get(reverse("downloads:manage_release", args=["5.0"])).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    data = os.urandom(256 * 1024) * 24  # 6 MiB: past Django's in-memory limit
    url = reverse("downloads:manage_upload", args=["5.0"])
    refused = client.post(url, {"file": SimpleUploadedFile("big.img", data)})
    assert refused.status_code == 403
    assert not list((storage / ".staging").iterdir())
    response = client.post(
        url, {"file": SimpleUploadedFile("big.img", data), "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302
    artifact = Artifact.objects.get(filename="big.img")
    assert artifact.kind == Artifact.Kind.DISK_IMAGE and artifact.size == len(data)
    assert artifact.sha256 == hashlib.sha256(data).hexdigest()
    assert (storage / "5.0" / "common" / "big.img").read_bytes() == data


def test_attach_a_server_file_inside_and_outside_the_allowed_folders(
    client, release_manager, boards, incoming, tmp_path
):
    create_release(version="5.0")
    client.force_login(release_manager)
    (incoming / "grub.cfg").write_text("set timeout=5\n")
    url = reverse("downloads:manage_attach", args=["5.0"])
    ok = client.post(url, {"path": str(incoming / "grub.cfg"), "board": boards["d02"].pk})
    assert ok.status_code == 302
    assert Artifact.objects.get().kind == Artifact.Kind.BOOTLOADER
    secret = tmp_path / "secret.key"
    secret.write_text("secret")
    for path in [str(secret), str(incoming / ".." / "secret.key"), "/etc/passwd"]:
        response = client.post(url, {"path": path})
        assert response.status_code == 400
        assert "outside the folders" in response.content.decode()
    assert Artifact.objects.count() == 1


def test_publishing_a_tampered_draft_shows_the_error(
    client, release_manager, boards, make_release, storage
):
    make_release("5.0", {"d02/Image": b"kernel"}, publish=False)
    (storage / "5.0" / "d02" / "Image").write_bytes(b"kerneL")
    client.force_login(release_manager)
    response = client.post(reverse("downloads:manage_publish", args=["5.0"]), follow=True)
    assert "5.0/d02/Image: the file changed on disk" in response.content.decode()
    assert Release.objects.get(version="5.0").status == Release.Status.DRAFT


def test_remove_a_draft_file_and_withdraw(client, release_manager, boards, make_release, storage):
    draft = make_release("5.1", {"d02/Image": b"k", "d02/extra": b"x"}, publish=False)
    client.force_login(release_manager)
    extra = draft.artifacts.get(filename="extra")
    client.post(reverse("downloads:manage_remove", args=["5.1", extra.pk]))
    assert list(draft.artifacts.values_list("filename", flat=True)) == ["Image"]
    published = make_release("5.0", {"d02/Image": b"kernel"})
    new = make_release("5.2", {"d02/Image": b"kernel 2"})
    bad = client.post(reverse("downloads:manage_withdraw", args=["5.0"]), {"reason": ""})
    assert bad.status_code == 400
    response = client.post(
        reverse("downloads:manage_withdraw", args=["5.0"]),
        {"reason": "Broken on D02", "replaced_by": new.pk},
    )
    assert response.status_code == 302
    published.refresh_from_db()
    assert published.status == Release.Status.WITHDRAWN and published.replaced_by == new


def test_manage_pages_render(client, release_manager, boards, make_release):
    make_release("5.0", {"d02/Image": b"k"}, publish=False)
    make_release("4.0", {"d02/Image": b"k"})
    client.force_login(release_manager)
    page = client.get(reverse("downloads:manage")).content.decode()
    assert "/downloads/manage/5.0/" in page and "/downloads/manage/4.0/" in page
    draft = client.get(reverse("downloads:manage_release", args=["5.0"])).content.decode()
    assert 'data-test="publish"' in draft and 'enctype="multipart/form-data"' in draft
    published = client.get(reverse("downloads:manage_release", args=["4.0"])).content.decode()
    assert 'data-test="withdraw"' in published and 'data-test="publish"' not in published
    edit = client.post(
        reverse("downloads:manage_edit", args=["4.0"]),
        {"title": "Four", "notes": "**Bold** notes", "release_date": "2017-01-02"},
    )
    assert edit.status_code == 302
    assert "<strong>Bold</strong>" in Release.objects.get(version="4.0").notes_html
