"""Putting files into artifact storage: streamed, checksummed on the way, never read twice."""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.core.files import File
from django.db import transaction

from downloads.caching import bump_generation_on_commit
from downloads.checksums import ALGORITHMS
from downloads.models import Artifact, Board, Distribution, Release
from downloads.storage import artifact_storage, local_path, staging_root

CHUNK_SIZE = 1024 * 1024


class ArtifactError(ValueError):
    """A file that cannot become an artifact; the message names the file and the reason."""


@dataclass(frozen=True)
class Digest:
    size: int
    sha256: str
    md5: str


@dataclass(frozen=True)
class StagedFile:
    """Bytes received into the staging folder (downloads.storage.staging_root), with their
    digest."""

    path: Path
    digest: Digest


def hash_stream(stream: BinaryIO, *, sink: BinaryIO | None = None) -> Digest:
    """Read a stream once in chunks, computing both digests (and copying to `sink` if given)."""
    sha256 = hashlib.sha256()
    md5 = hashlib.md5(usedforsecurity=False)  # only for the legacy MD5SUMS lists
    size = 0
    while chunk := stream.read(CHUNK_SIZE):
        sha256.update(chunk)
        md5.update(chunk)
        size += len(chunk)
        if sink is not None:
            sink.write(chunk)
    return Digest(size=size, sha256=sha256.hexdigest(), md5=md5.hexdigest())


def hash_file(path: Path) -> Digest:
    with path.open("rb") as stream:
        return hash_stream(stream)


def storage_name(*, release: Release, board: Board | None, filename: str) -> str:
    folder = board.slug if board else "common"
    return f"{release.version}/{folder}/{filename}"


def _check_filename(filename: str) -> None:
    if not filename or "/" in filename or "\\" in filename or filename in {".", ".."}:
        raise ArtifactError(f"{filename!r}: not a plain file name")
    if filename.upper() in {*ALGORITHMS, "SHA256SUMS.ASC", "MD5SUMS.ASC"}:
        raise ArtifactError(f"{filename}: this name is reserved for the checksum lists")


@transaction.atomic
def _store(
    *,
    release: Release,
    filename: str,
    board: Board | None,
    distribution: Distribution | None,
    kind: str,
    description: str,
    write: Callable[[Path], Digest],
) -> Artifact:
    """Record a file on a draft release; `write(path)` puts its bytes at `path` (which does not
    exist yet) and returns their digest. If anything fails, the stored file is removed again."""
    _check_filename(filename)
    if release.status != Release.Status.DRAFT:
        raise ArtifactError(f"{filename}: release {release.version} is not a draft")
    if Artifact.objects.filter(release=release, board=board, filename=filename).exists():
        folder = board.slug if board else "common"
        raise ArtifactError(f"{filename}: release {release.version} already has it in {folder}/")
    name = storage_name(release=release, board=board, filename=filename)
    if artifact_storage.exists(name):
        artifact_storage.delete(name)  # a leftover of an earlier, failed attempt: no row has it
    path = local_path(name)
    remote = path is None
    if remote:  # object storage: the bytes are written here first, then sent in parts
        path = staging_root() / uuid.uuid4().hex
    path.parent.mkdir(parents=True, exist_ok=True)
    sent = False
    try:
        try:
            digest = write(path)
        except OSError as exc:  # a full or failing disk: nothing half-written stays
            raise ArtifactError(
                f"{filename}: could not be stored in {release.version}: {exc.strerror or exc}"
            ) from exc
        if digest.size == 0:
            raise ArtifactError(f"{filename}: the file is empty")
        if remote:
            _send(path, name=name, filename=filename, version=release.version)
            sent = True
        artifact = Artifact.objects.create(
            release=release,
            board=board,
            distribution=distribution,
            kind=kind,
            filename=filename,
            file=name,
            size=digest.size,
            sha256=digest.sha256,
            md5=digest.md5,
            description=description,
        )
    except BaseException:
        if sent:
            artifact_storage.delete(name)
        path.unlink(missing_ok=True)
        if not remote:
            _remove_empty_folders(path.parent)
        raise
    finally:
        if remote:
            path.unlink(missing_ok=True)
    # If an enclosing transaction rolls back later, the file stays without a row; the next
    # attempt at the same name replaces it (see above), and no page ever links to it.
    bump_generation_on_commit()  # the draft's preview shows the new file
    return artifact


def _send(path: Path, *, name: str, filename: str, version: str) -> None:
    """Upload a staged file to object storage under exactly `name` (the storage overwrites)."""
    try:
        with path.open("rb") as stream:
            saved = artifact_storage.save(name, File(stream, name=filename))
    except Exception as exc:  # the object store refused or is unreachable: nothing is recorded
        raise ArtifactError(f"{filename}: could not be stored in {version}: {exc}") from exc
    if saved != name:  # a storage that renames would break every link to the file
        artifact_storage.delete(saved)
        raise ArtifactError(f"{filename}: the storage kept it as {saved}, not {name}")


def _remove_empty_folders(folder: Path) -> None:
    """Remove `folder` and its parents up to the storage root while they are empty."""
    root = Path(artifact_storage.path(""))
    while folder != root and folder.is_relative_to(root):
        try:
            folder.rmdir()
        except OSError:
            return  # not empty (or gone): the release's other files live there
        folder = folder.parent


def add_artifact(
    *,
    release: Release,
    stream: BinaryIO,
    filename: str,
    board: Board | None = None,
    distribution: Distribution | None = None,
    kind: str = Artifact.Kind.OTHER,
    description: str = "",
) -> Artifact:
    """Stream a file into artifact storage and record it on a draft release.

    The bytes are hashed while they are written, so a 4 GiB image is read once. If the database
    row cannot be written (a duplicate file name, say), the stored file is removed again.
    """

    def write(path: Path) -> Digest:
        with path.open("xb") as sink:
            return hash_stream(stream, sink=sink)

    return _store(
        release=release,
        filename=filename,
        board=board,
        distribution=distribution,
        kind=kind,
        description=description,
        write=write,
    )


def add_staged_artifact(
    *,
    release: Release,
    staged: StagedFile,
    filename: str,
    board: Board | None = None,
    distribution: Distribution | None = None,
    kind: str = Artifact.Kind.OTHER,
    description: str = "",
) -> Artifact:
    """Record a file already received into the staging folder (a browser upload, hashed while
    it arrived): it is moved into place, not copied, and not read again."""

    def write(path: Path) -> Digest:
        os.replace(staged.path, path)
        return staged.digest

    return _store(
        release=release,
        filename=filename,
        board=board,
        distribution=distribution,
        kind=kind,
        description=description,
        write=write,
    )


def add_artifact_from_path(
    *,
    release: Release,
    path: Path,
    board: Board | None = None,
    distribution: Distribution | None = None,
    kind: str = Artifact.Kind.OTHER,
    filename: str | None = None,
    description: str = "",
) -> Artifact:
    """Copy a file on this machine into artifact storage (see add_artifact).

    The caller decides whether `path` may be read; for a path a person typed, pass it through
    check_import_path first.
    """
    if not path.is_file():
        raise ArtifactError(f"{path}: not a regular file")
    with path.open("rb") as stream:
        return add_artifact(
            release=release,
            stream=stream,
            filename=filename or path.name,
            board=board,
            distribution=distribution,
            kind=kind,
            description=description,
        )


@transaction.atomic
def remove_artifact(*, artifact: Artifact) -> None:
    """Take a file off a draft release (published files never change)."""
    artifact = Artifact.objects.select_related("release").select_for_update().get(pk=artifact.pk)
    if artifact.release.status != Release.Status.DRAFT:
        raise ArtifactError(
            f"{artifact.path}: release {artifact.release.version} is not a draft; "
            "its files cannot be removed"
        )
    name = artifact.file.name
    artifact.delete()
    transaction.on_commit(lambda: artifact_storage.delete(name))
    bump_generation_on_commit()


def import_dirs() -> list[Path]:
    return [Path(d).resolve() for d in settings.ARTIFACT_IMPORT_DIRS if d]


def check_import_path(path: Path | str) -> Path:
    """Resolve a path a person gave and make sure it lies in one of ARTIFACT_IMPORT_DIRS.

    Symbolic links and `..` are resolved first, so neither can lead outside the folders.
    """
    resolved = Path(path).resolve()
    for folder in import_dirs():
        if resolved == folder or resolved.is_relative_to(folder):
            return resolved
    allowed = ", ".join(str(d) for d in import_dirs()) or "none configured"
    raise ArtifactError(f"{path}: outside the folders files may be taken from ({allowed})")


# File name patterns → kind, first match wins: for uploads, `publish_release --from-dir` and
# the outputs of builds alike.
KIND_PATTERNS: list[tuple[str, str]] = [
    ("*.sha256", Artifact.Kind.OTHER),
    ("*uefi*", Artifact.Kind.FIRMWARE),
    ("*.fd", Artifact.Kind.FIRMWARE),
    ("*grub*", Artifact.Kind.BOOTLOADER),
    ("*.efi", Artifact.Kind.BOOTLOADER),
    ("*.nsh", Artifact.Kind.BOOTLOADER),
    ("image", Artifact.Kind.KERNEL),
    ("image-*", Artifact.Kind.KERNEL),
    ("vmlinu[xz]*", Artifact.Kind.KERNEL),
    ("zimage*", Artifact.Kind.KERNEL),
    ("*.dtb", Artifact.Kind.DEVICE_TREE),
    ("*.dts", Artifact.Kind.DEVICE_TREE),
    ("*initr*", Artifact.Kind.INITRAMFS),
    ("mini-rootfs*", Artifact.Kind.INITRAMFS),
    ("*.cpio*", Artifact.Kind.INITRAMFS),
    ("*rootfs*", Artifact.Kind.ROOTFS),
    ("*.iso", Artifact.Kind.DISK_IMAGE),
    ("*.img", Artifact.Kind.DISK_IMAGE),
    ("*.img.*", Artifact.Kind.DISK_IMAGE),
    ("*toolchain*", Artifact.Kind.TOOLCHAIN),
    ("gcc-*", Artifact.Kind.TOOLCHAIN),
    ("*source*", Artifact.Kind.SOURCE),
    ("*.src.*", Artifact.Kind.SOURCE),
]


def guess_kind(filename: str) -> str:
    lowered = filename.lower()
    for pattern, kind in KIND_PATTERNS:
        if fnmatchcase(lowered, pattern):
            return kind
    return Artifact.Kind.OTHER
