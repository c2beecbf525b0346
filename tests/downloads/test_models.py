"""The catalogue's invariants, held by PostgreSQL itself."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from downloads.models import Artifact, Board, Release

pytestmark = pytest.mark.django_db

SHA = "a" * 64
NOW = timezone.now()


def _artifact(release, board, filename, **extra):
    return Artifact.objects.create(
        release=release,
        board=board,
        filename=filename,
        file=f"{release.version}/x/{filename}",
        size=1,
        sha256=extra.pop("sha256", SHA),
        **extra,
    )


def _check_deferred():
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_one_filename_per_release_and_board(boards):
    release = Release.objects.create(version="1.0")
    _artifact(release, boards["d02"], "Image")
    _artifact(release, boards["hikey"], "Image")  # another board folder: fine
    with pytest.raises(IntegrityError), transaction.atomic():
        _artifact(release, boards["d02"], "Image")


def test_one_filename_per_release_among_common_files(db):
    release = Release.objects.create(version="1.0")
    _artifact(release, None, "README")
    with pytest.raises(IntegrityError), transaction.atomic():
        _artifact(release, None, "README")


@pytest.mark.parametrize("sha256", ["A" * 64, "a" * 63, "g" * 64, ""])
def test_sha256_is_64_lowercase_hex(boards, sha256):
    release = Release.objects.create(version="1.0")
    with pytest.raises(IntegrityError), transaction.atomic():
        _artifact(release, boards["d02"], "Image", sha256=sha256)


@pytest.mark.parametrize("version", ["", "latest", "../x", "a/b", "-1", "1 0"])
def test_version_is_a_plain_path_segment(db, version):
    with pytest.raises(IntegrityError), transaction.atomic():
        Release.objects.create(version=version)


@pytest.mark.parametrize("slug", ["releases", "latest", "manage", "common"])
def test_board_slug_cannot_shadow_a_catalogue_path(db, slug):
    with pytest.raises(IntegrityError), transaction.atomic():
        Board.objects.create(slug=slug, name=slug)


def test_published_release_without_artifact_is_refused_by_the_database(db):
    release = Release.objects.create(version="1.0")
    with pytest.raises(IntegrityError, match="has no artifact"), transaction.atomic():
        Release.objects.filter(pk=release.pk).update(status="published", published_at=NOW)
        _check_deferred()


def test_the_last_file_of_a_published_release_cannot_be_deleted(boards):
    release = Release.objects.create(version="1.0")
    artifact = _artifact(release, boards["d02"], "Image")
    Release.objects.filter(pk=release.pk).update(status="published", published_at=NOW)
    _check_deferred()  # one file: holds
    with pytest.raises(IntegrityError, match="has no artifact"), transaction.atomic():
        artifact.delete()
        _check_deferred()


def test_the_rule_is_checked_at_commit_so_files_may_come_after_the_status(boards):
    release = Release.objects.create(version="1.0")
    with transaction.atomic():
        Release.objects.filter(pk=release.pk).update(status="published", published_at=NOW)
        _artifact(release, boards["d02"], "Image")
        _check_deferred()
    assert Release.objects.get(pk=release.pk).status == "published"
