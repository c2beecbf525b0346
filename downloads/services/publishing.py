"""Releases from draft to public and back out: the one place where a release becomes public.

`publish_release` checks every file against its record (exists, same size, same SHA-256,
recomputed from the bytes on disk), signs the checksum lists when a key is configured (and
refuses to publish without one under REQUIRE_SIGNING), and
makes the release public, all in one transaction: if any file fails, nothing is published and
the error names the file.
"""

from __future__ import annotations

import datetime
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from downloads.caching import bump_generation_on_commit
from downloads.checksums import checksum_list, list_key
from downloads.models import Artifact, Board, Distribution, Release
from downloads.models.catalogue import VERSION_PATTERN
from downloads.services.announcing import announce_published, announce_withdrawn
from downloads.services.artifacts import (
    ArtifactError,
    add_artifact_from_path,
    check_import_path,
    guess_kind,
    hash_file,
    hash_stream,
)
from downloads.services.signing import SigningError, sign_text, signing_enabled
from downloads.storage import artifact_storage, local_path
from portal.markup import render_markdown

logger = logging.getLogger(__name__)

# Files in a folder given to publish_directory that are not artifacts: the lists are made here.
SKIPPED_NAMES = {"SHA256SUMS", "SHA256SUMS.asc", "MD5SUMS", "MD5SUMS.asc"}


class PublishError(ValueError):
    """A release that cannot be published; the message names the release and the file."""


def _check_version(version: str) -> None:
    if not re.fullmatch(VERSION_PATTERN, version) or version == "latest" or len(version) > 50:
        raise PublishError(
            f"{version!r}: a version is letters, digits and . _ + ~ - (at most 50), "
            "starting with a letter or digit"
        )


@transaction.atomic
def create_release(
    *,
    version: str,
    title: str = "",
    notes: str = "",
    is_prerelease: bool = False,
    release_date: datetime.date | None = None,
    user: AbstractBaseUser | None = None,
) -> Release:
    """A new draft release; its version must be new."""
    version = version.strip()
    _check_version(version)
    if Release.objects.filter(version=version).exists():
        raise PublishError(f"release {version} exists already")
    return Release.objects.create(
        version=version,
        title=title.strip(),
        notes=notes,
        notes_html=render_markdown(notes, trusted=True).html,
        is_prerelease=is_prerelease,
        release_date=release_date,
        created_by=user if user is not None and user.is_authenticated else None,
    )


@transaction.atomic
def update_release(
    *,
    release: Release,
    title: str,
    notes: str,
    is_prerelease: bool,
    release_date: datetime.date | None,
) -> Release:
    """Edit what a release says about itself (its files are edited on drafts only)."""
    release = Release.objects.select_for_update().get(pk=release.pk)
    release.title = title.strip()
    release.notes = notes
    release.notes_html = render_markdown(notes, trusted=True).html
    release.is_prerelease = is_prerelease
    release.release_date = release_date
    release.save(update_fields=["title", "notes", "notes_html", "is_prerelease", "release_date"])
    bump_generation_on_commit()
    return release


def verify_artifact(artifact: Artifact) -> None:
    """Recompute the file's digests from the bytes on disk; PublishError if they differ."""
    where = f"{artifact.release.version}/{artifact.path}"
    name = artifact.file.name
    path = local_path(name)
    if path is not None:
        if not path.is_file():
            raise PublishError(f"{where}: the file is missing from storage ({path})")
        digest = hash_file(path)
    else:  # object storage: the bytes are read back from it, once, in chunks
        if not artifact_storage.exists(name):
            raise PublishError(f"{where}: the file is missing from storage ({name})")
        with artifact_storage.open(name, "rb") as stream:
            digest = hash_stream(stream)
    if digest.size == 0:
        raise PublishError(f"{where}: the file is empty")
    if digest.size != artifact.size or digest.sha256 != artifact.sha256:
        raise PublishError(
            f"{where}: the file changed on disk (sha256 {digest.sha256}, {digest.size} bytes; "
            f"recorded {artifact.sha256}, {artifact.size} bytes)"
        )
    if artifact.md5 and digest.md5 != artifact.md5:
        raise PublishError(f"{where}: the file changed on disk (md5 {digest.md5})")


def checksum_signatures(*, release: Release, artifacts: list[Artifact]) -> dict[str, str]:
    """Detached signatures of the release's SHA256SUMS and of each folder's."""
    folders = sorted({a.folder for a in artifacts})
    signatures = {}
    for folder in [None, *folders]:
        text = checksum_list(artifacts, name="SHA256SUMS", folder=folder)
        try:
            signatures[list_key(name="SHA256SUMS", folder=folder)] = sign_text(text)
        except SigningError as exc:
            raise PublishError(f"release {release.version}: {exc}") from exc
    return signatures


@transaction.atomic
def publish_release(
    *,
    release: Release,
    user: AbstractBaseUser | None = None,
    accepted: list[str] | tuple[str, ...] = (),
) -> Release:
    """Make a draft release public, or raise PublishError and change nothing.

    `accepted`: objections of other sections (portal.registry.publish_objections) that the
    person publishing confirmed; the release notes say them, so does what announces it.
    """
    release = Release.objects.select_for_update().get(pk=release.pk)
    if release.status != Release.Status.DRAFT:
        raise PublishError(
            f"release {release.version} is {release.get_status_display().lower()}, not a draft"
        )
    if accepted:
        lines = "\n".join(f"- {text}" for text in accepted)
        release.notes = f"{release.notes.rstrip()}\n\n**Published despite:**\n\n{lines}\n".lstrip()
        release.notes_html = render_markdown(release.notes, trusted=True).html
        release.save(update_fields=["notes", "notes_html"])
    artifacts = list(release.artifacts.select_related("board", "release").order_by("pk"))
    if not artifacts:
        raise PublishError(f"release {release.version} has no files")
    for artifact in artifacts:
        verify_artifact(artifact)
    if settings.REQUIRE_SIGNING and not signing_enabled():
        raise PublishError(
            f"release {release.version}: this site requires signed releases (REQUIRE_SIGNING) "
            "and has no signing key: run `python manage.py signing_key create`"
        )
    release.signatures = (
        checksum_signatures(release=release, artifacts=artifacts) if signing_enabled() else {}
    )
    release.status = Release.Status.PUBLISHED
    release.published_at = timezone.now()
    release.release_date = release.release_date or timezone.localdate()
    release.save(update_fields=["status", "published_at", "release_date", "signatures"])
    # The news item, the forum topic and the watchers' notifications belong to the publish:
    # in this transaction, so that if one fails the release stays a draft and none remains.
    try:
        announce_published(release=release, artifacts=artifacts, user=user)
    except Exception as exc:
        logger.exception("announcing release %s failed", release.version)
        raise PublishError(
            f"release {release.version}: announcing it failed ({exc}), so it stays a draft"
        ) from exc
    bump_generation_on_commit()
    return release


@transaction.atomic
def withdraw_release(
    *,
    release: Release,
    reason: str,
    replaced_by: Release | None = None,
    user: AbstractBaseUser | None = None,
) -> Release:
    """Take a published release off the lists; its files answer 410 and point to the replacement."""
    release = Release.objects.select_for_update().get(pk=release.pk)
    if release.status != Release.Status.PUBLISHED:
        raise PublishError(f"release {release.version} is not published")
    if replaced_by is not None and (
        replaced_by.pk == release.pk or replaced_by.status != Release.Status.PUBLISHED
    ):
        raise PublishError(f"release {replaced_by.version} cannot replace {release.version}")
    release.status = Release.Status.WITHDRAWN
    release.withdrawn_at = timezone.now()
    release.withdrawn_reason = reason.strip()[:300]
    release.replaced_by = replaced_by
    release.save(update_fields=["status", "withdrawn_at", "withdrawn_reason", "replaced_by"])
    announce_withdrawn(release=release, user=user)
    bump_generation_on_commit()
    return release


@dataclass
class DirectoryOutcome:
    release: Release
    changed: bool
    added: list[str] = field(default_factory=list)


def _plan_directory(directory: Path, *, board: Board | None) -> list[tuple[Board | None, Path]]:
    """Which file goes to which folder: with --board, the files of DIR; else DIR's files are
    common to all boards and each sub-folder named after a board holds that board's files.

    Every entry is resolved and must stay inside the import folders (a symbolic link out of
    them is refused, as the web form refuses its path), and no file may be empty: all is
    checked before anything is written."""
    boards = {b.slug: b for b in Board.objects.all()}
    plan: list[tuple[Board | None, Path]] = []

    def entries(folder: Path) -> list[Path]:
        found = []
        for entry in sorted(folder.iterdir()):
            if entry.name.startswith(".") or entry.name in SKIPPED_NAMES:
                continue
            try:
                check_import_path(entry)
            except ArtifactError as exc:
                raise PublishError(str(exc)) from exc
            found.append(entry)
        return found

    def add(file_board: Board | None, path: Path) -> None:
        if path.stat().st_size == 0:
            raise PublishError(f"{path}: the file is empty")
        plan.append((file_board, path))

    for entry in entries(directory):
        if entry.is_file():
            add(board, entry)
        elif entry.is_dir() and board is None:
            folder_board = None if entry.name == "common" else boards.get(entry.name)
            if folder_board is None and entry.name != "common":
                raise PublishError(f"{entry}: no board is called {entry.name!r}")
            for inner in entries(entry):
                if not inner.is_file():
                    raise PublishError(f"{inner}: not a regular file (folders nest one level)")
                add(folder_board, inner)
        else:
            raise PublishError(f"{entry}: not a regular file")
    if not plan:
        raise PublishError(f"{directory}: no files to publish")
    return plan


def _folder(board: Board | None) -> str:
    return board.slug if board else "common"


@transaction.atomic
def publish_directory(
    *,
    version: str,
    directory: Path,
    board: Board | None = None,
    distribution: Distribution | None = None,
    title: str = "",
    notes: str = "",
    is_prerelease: bool = False,
    release_date: datetime.date | None = None,
    user: AbstractBaseUser | None = None,
) -> DirectoryOutcome:
    """Publish the files of a folder on this machine as a release, idempotently.

    Run again with the same files, it changes nothing; with other files for a published
    version, it refuses. Everything happens in one transaction.
    """
    try:
        directory = check_import_path(directory)
    except ArtifactError as exc:
        raise PublishError(str(exc)) from exc
    if not directory.is_dir():
        raise PublishError(f"{directory}: not a folder")
    plan = _plan_directory(directory, board=board)
    release = Release.objects.select_for_update().filter(version=version.strip()).first()
    if release is not None and release.status != Release.Status.DRAFT:
        existing = {
            (a.board_id, a.filename): a
            for a in release.artifacts.select_related("board", "release")
        }
        for file_board, path in plan:
            artifact = existing.get((file_board.pk if file_board else None, path.name))
            where = f"{release.version}/{_folder(file_board)}/{path.name}"
            if artifact is None:
                raise PublishError(f"release {release.version} exists already without {where}")
            if hash_file(path).sha256 != artifact.sha256:
                raise PublishError(
                    f"release {release.version} exists already and {path} differs from {where}"
                )
        return DirectoryOutcome(release=release, changed=False)
    if release is None:
        release = create_release(
            version=version,
            title=title,
            notes=notes,
            is_prerelease=is_prerelease,
            release_date=release_date,
            user=user,
        )
    added = []
    for file_board, path in plan:
        try:
            add_artifact_from_path(
                release=release,
                path=path,
                board=file_board,
                distribution=distribution,
                kind=guess_kind(path.name),
            )
        except ArtifactError as exc:
            raise PublishError(f"{path}: {exc}") from exc
        added.append(f"{_folder(file_board)}/{path.name}")
    release = publish_release(release=release, user=user)
    return DirectoryOutcome(release=release, changed=True, added=added)
