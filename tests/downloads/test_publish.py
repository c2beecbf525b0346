"""Publishing: every file verified again, all or nothing, idempotent from a script."""

import io
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from downloads.models import Artifact, Release
from downloads.services.artifacts import (
    ArtifactError,
    add_artifact,
    add_artifact_from_path,
    check_import_path,
    remove_artifact,
)
from downloads.services.publishing import (
    PublishError,
    create_release,
    publish_release,
    withdraw_release,
)

pytestmark = pytest.mark.django_db


def _stored(artifact: Artifact) -> Path:
    return Path(artifact.file.path)


def test_publish_makes_a_draft_public(boards, make_release):
    release = make_release("3.1", {"d02/Image": b"kernel", "common/README": b"hi"}, publish=False)
    assert release.status == Release.Status.DRAFT
    published = publish_release(release=release)
    assert published.status == Release.Status.PUBLISHED
    assert published.published_at is not None and published.release_date is not None


def test_a_tampered_file_blocks_publishing_and_the_error_names_it(boards, make_release):
    release = make_release("3.1", {"d02/Image": b"kernel", "d02/grub.cfg": b"cfg"}, publish=False)
    tampered = release.artifacts.get(filename="grub.cfg")
    _stored(tampered).write_bytes(b"cfG")  # same size, other bytes
    with pytest.raises(PublishError, match=r"3\.1/d02/grub\.cfg: the file changed on disk"):
        publish_release(release=release)
    release.refresh_from_db()
    assert release.status == Release.Status.DRAFT and release.published_at is None


def test_a_missing_file_blocks_publishing(boards, make_release):
    release = make_release("3.1", {"d02/Image": b"kernel"}, publish=False)
    _stored(release.artifacts.get()).unlink()
    with pytest.raises(PublishError, match=r"3\.1/d02/Image: the file is missing"):
        publish_release(release=release)
    assert Release.objects.get(pk=release.pk).status == Release.Status.DRAFT


def test_an_empty_release_cannot_be_published(db):
    release = create_release(version="3.1")
    with pytest.raises(PublishError, match="has no files"):
        publish_release(release=release)


def test_a_release_is_published_once(boards, make_release):
    release = make_release("3.1", {"d02/Image": b"kernel"})
    with pytest.raises(PublishError, match="not a draft"):
        publish_release(release=release)


def test_a_version_that_exists_is_refused(db):
    create_release(version="3.1")
    with pytest.raises(PublishError, match="exists already"):
        create_release(version="3.1")


@pytest.mark.parametrize("version", ["", "latest", "../3.1", "3 1", "x" * 51])
def test_a_bad_version_is_refused_with_a_clear_message(db, version):
    with pytest.raises(PublishError, match="a version is"):
        create_release(version=version)
    assert not Release.objects.exists()


def test_an_empty_file_is_refused_and_leaves_nothing(boards, incoming, storage):
    release = create_release(version="3.1")
    empty = incoming / "empty.img"
    empty.write_bytes(b"")
    with pytest.raises(ArtifactError, match=r"empty\.img: the file is empty"):
        add_artifact_from_path(release=release, path=empty, board=boards["d02"])
    assert not release.artifacts.exists()
    assert not list(storage.rglob("empty.img"))


def test_a_duplicate_filename_is_refused(boards, make_release, incoming):
    release = make_release("3.1", {"d02/Image": b"kernel"}, publish=False)
    with pytest.raises(ArtifactError, match="already has it in d02/"):
        add_artifact(
            release=release, stream=io.BytesIO(b"data"), filename="Image", board=boards["d02"]
        )
    assert release.artifacts.count() == 1


@pytest.mark.parametrize("name", ["../x", "a/b", "SHA256SUMS", ".."])
def test_reserved_or_path_like_names_are_refused(boards, name):
    release = create_release(version="3.1")
    with pytest.raises(ArtifactError):
        add_artifact(release=release, stream=io.BytesIO(b"data"), filename=name)


def test_files_of_a_published_release_do_not_change(boards, make_release):
    release = make_release("3.1", {"d02/Image": b"kernel"})
    with pytest.raises(ArtifactError, match="not a draft"):
        add_artifact(release=release, stream=io.BytesIO(b"data"), filename="x", board=boards["d02"])
    with pytest.raises(ArtifactError, match="not a draft"):
        remove_artifact(artifact=release.artifacts.get())


def test_paths_outside_the_import_folders_are_refused(incoming, tmp_path):
    inside = incoming / "ok.bin"
    inside.write_bytes(b"x")
    assert check_import_path(inside) == inside.resolve()
    outside = tmp_path / "secret"
    outside.write_bytes(b"x")
    for path in [outside, incoming / ".." / "secret", "/etc/passwd"]:
        with pytest.raises(ArtifactError, match="outside the folders"):
            check_import_path(path)
    link = incoming / "link"
    link.symlink_to(outside)
    with pytest.raises(ArtifactError, match="outside the folders"):
        check_import_path(link)


def test_withdrawn_release_answers_410_and_points_to_its_replacement(client, boards, make_release):
    old = make_release("3.0", {"d02/Image": b"old kernel"})
    new = make_release("3.1", {"d02/Image": b"new kernel"})
    withdraw_release(release=old, reason="Bricks some boards.", replaced_by=new)
    response = client.get(reverse("downloads:file", args=["3.0", "d02", "Image"]))
    assert response.status_code == 410
    assert new.get_absolute_url() in response["Link"]
    assert 'href="/downloads/releases/3.1/"' in response.content.decode()
    page = client.get(old.get_absolute_url())
    assert page.status_code == 410 and "Bricks some boards." in page.content.decode()
    assert (
        client.get(reverse("downloads:release_checksums", args=["3.0", "SHA256SUMS"])).status_code
        == 410
    )
    listing = client.get(reverse("downloads:releases")).content.decode()
    assert "/downloads/releases/3.1/" in listing and "/downloads/releases/3.0/" not in listing


def test_withdraw_needs_a_published_release_and_a_published_replacement(boards, make_release):
    draft = make_release("3.2", {"d02/Image": b"k"}, publish=False)
    release = make_release("3.1", {"d02/Image": b"kernel"})
    with pytest.raises(PublishError):
        withdraw_release(release=draft, reason="x")
    with pytest.raises(PublishError, match="cannot replace"):
        withdraw_release(release=release, reason="x", replaced_by=draft)
    assert Release.objects.get(pk=release.pk).status == Release.Status.PUBLISHED


def test_latest_follows_a_new_publication(client, boards, make_release):
    make_release("3.0", {"d02/Image": b"kernel 3.0"})
    url = reverse("downloads:latest", args=["d02", "Image"])
    response = client.get(url)
    assert (
        response.status_code == 302 and response["Location"] == "/downloads/releases/3.0/d02/Image"
    )
    make_release("3.1-rc1", {"d02/Image": b"kernel rc"}, prerelease=True)
    assert client.get(url)["Location"] == "/downloads/releases/3.0/d02/Image"  # not a pre-release
    make_release("3.1", {"d02/Image": b"kernel 3.1"})
    assert client.get(url)["Location"] == "/downloads/releases/3.1/d02/Image"
    sums = client.get(reverse("downloads:latest", args=["d02", "SHA256SUMS"]))
    assert sums["Location"] == "/downloads/releases/3.1/d02/SHA256SUMS"
    assert client.get(reverse("downloads:latest", args=["d02", "nope"])).status_code == 404


# --- the management command ----------------------------------------------------------------


def _release_dir(incoming: Path) -> Path:
    root = incoming / "estuary-5.0"
    (root / "d02").mkdir(parents=True)
    (root / "hikey").mkdir()
    (root / "README.txt").write_text("Estuary 5.0\n")
    (root / "d02" / "Image").write_bytes(b"\x7fkernel for d02")
    (root / "d02" / "hip05-d02.dts").write_text("/dts-v1/;\n/ { };\n")
    (root / "hikey" / "Image").write_bytes(b"\x7fkernel for hikey")
    return root


def _snapshot():
    return sorted(
        Artifact.objects.values_list(
            "release__version", "filename", "sha256", "kind", "board__slug"
        )
    ), sorted(Release.objects.values_list("version", "status", "published_at"))


def test_command_publishes_a_folder_and_a_second_run_changes_nothing(boards, incoming, storage):
    root = _release_dir(incoming)
    call_command("publish_release", "5.0", "--from-dir", str(root), stdout=StringIO())
    release = Release.objects.get(version="5.0")
    assert release.status == Release.Status.PUBLISHED
    paths = sorted(a.path for a in release.artifacts.select_related("board"))
    assert paths == ["common/README.txt", "d02/Image", "d02/hip05-d02.dts", "hikey/Image"]
    assert release.artifacts.get(filename="hip05-d02.dts").kind == Artifact.Kind.DEVICE_TREE
    before = _snapshot()
    stored = {p: p.stat().st_mtime_ns for p in storage.rglob("*") if p.is_file()}
    out = StringIO()
    call_command("publish_release", "5.0", "--from-dir", str(root), stdout=out)
    assert "already published" in out.getvalue()
    assert _snapshot() == before
    assert {p: p.stat().st_mtime_ns for p in storage.rglob("*") if p.is_file()} == stored


def test_command_refuses_other_files_for_a_published_version(boards, incoming):
    root = _release_dir(incoming)
    call_command("publish_release", "5.0", "--from-dir", str(root), stdout=StringIO())
    before = _snapshot()
    (root / "d02" / "Image").write_bytes(b"another kernel")
    with pytest.raises(CommandError, match=r"exists already and .*d02/Image differs"):
        call_command("publish_release", "5.0", "--from-dir", str(root))
    assert _snapshot() == before


def test_command_with_board_and_distribution(boards, ubuntu, incoming):
    root = incoming / "hikey-only"
    root.mkdir()
    (root / "ubuntu-rootfs.tar.gz").write_bytes(b"tarball")
    call_command(
        "publish_release", "5.1", "--from-dir", str(root), "--board", "hikey",
        "--distribution", "ubuntu", stdout=StringIO(),
    )  # fmt: skip
    artifact = Artifact.objects.get(release__version="5.1")
    assert artifact.board == boards["hikey"] and artifact.distribution == ubuntu
    assert artifact.kind == Artifact.Kind.ROOTFS


@pytest.mark.parametrize(
    ("make_bad", "message"),
    [
        (lambda root: (root / "d02" / "empty").write_bytes(b""), "the file is empty"),
        (lambda root: (root / "d99").mkdir(), "no board is called 'd99'"),
        (lambda root: (root / "d02" / "deeper").mkdir(), "folders nest one level"),
    ],
)
def test_command_bad_input_names_the_file_and_publishes_nothing(
    boards, incoming, storage, make_bad, message
):
    root = _release_dir(incoming)
    make_bad(root)
    with pytest.raises(CommandError, match=message):
        call_command("publish_release", "5.0", "--from-dir", str(root))
    assert not Release.objects.exists() and not Artifact.objects.exists()


def test_command_refuses_a_folder_outside_the_import_folders(boards, tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "Image").write_bytes(b"k")
    with pytest.raises(CommandError, match="outside the folders"):
        call_command("publish_release", "5.0", "--from-dir", str(outside), "--board", "d02")
    with pytest.raises(CommandError, match="no board is called"):
        call_command("publish_release", "5.0", "--from-dir", str(outside), "--board", "zz")
    assert not Release.objects.exists()


def test_command_refuses_a_symlink_out_of_the_import_folders(boards, incoming, tmp_path, storage):
    secret = tmp_path / "secret.key"
    secret.write_bytes(b"not for everyone")
    root = incoming / "linked"
    (root / "d02").mkdir(parents=True)
    (root / "d02" / "Image").write_bytes(b"kernel")
    (root / "d02" / "id_rsa").symlink_to(secret)
    with pytest.raises(CommandError, match=r"id_rsa.*outside the folders"):
        call_command("publish_release", "5.0", "--from-dir", str(root))
    assert not Release.objects.exists() and not Artifact.objects.exists()
    (root / "d02" / "id_rsa").unlink()
    (root / "common").symlink_to(tmp_path)  # a linked folder, too
    with pytest.raises(CommandError, match="outside the folders"):
        call_command("publish_release", "5.0", "--from-dir", str(root))
    assert not Release.objects.exists()


def test_an_empty_file_leaves_no_release_folder_behind(boards, incoming, storage):
    root = _release_dir(incoming)
    (root / "hikey" / "zz-empty").write_bytes(b"")
    with pytest.raises(CommandError, match="zz-empty: the file is empty"):
        call_command("publish_release", "5.0", "--from-dir", str(root))
    assert not Release.objects.exists()
    assert not (storage / "5.0").exists()
