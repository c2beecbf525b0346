"""The storage of release files: STORAGES["artifacts"] (a folder, or S3-compatible storage).

FileField needs a Storage instance or a callable returning one; this lazy object stands for the
configured "artifacts" storage and follows a change of STORAGES (tests point it elsewhere).
"""

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.core.files.storage import storages
from django.core.signals import setting_changed
from django.utils.functional import LazyObject, empty
from django.utils.http import content_disposition_header

# Inside a local artifact storage, so that a received file is moved into place by a rename.
STAGING_FOLDER = ".staging"


class ArtifactStorage(LazyObject):
    def _setup(self) -> None:
        self._wrapped = storages["artifacts"]


artifact_storage = ArtifactStorage()


def get_artifact_storage() -> ArtifactStorage:
    return artifact_storage


def local_path(name: str) -> Path | None:
    """Where a stored file lies on this machine's disk; None on object storage (S3), which has
    no path: there the bytes go through the storage's open/save, and downloads by its URL."""
    try:
        return Path(artifact_storage.path(name))
    except NotImplementedError:
        return None


def signed_url(name: str, *, filename: str) -> str:
    """A short-lived URL of an object in the store (S3: presigned, ARTIFACTS_URL_EXPIRE
    seconds) that makes the browser save it under `filename`."""
    disposition = content_disposition_header(True, filename)
    try:
        return artifact_storage.url(
            name,
            parameters={"ResponseContentDisposition": disposition},
            expire=settings.ARTIFACTS_URL_EXPIRE,
        )
    except TypeError:  # a storage whose url() takes the name only
        return artifact_storage.url(name)


def staging_root() -> Path:
    """Where received bytes wait before they are stored: inside a local storage's own folder
    (so that storing is a rename), else a folder of this host (ARTIFACTS_STAGING_ROOT)."""
    root = local_path("")
    return root / STAGING_FOLDER if root is not None else Path(settings.ARTIFACTS_STAGING_ROOT)


def _storages_changed(*, setting: str, **kwargs) -> None:
    if setting == "STORAGES":
        artifact_storage._wrapped = empty


setting_changed.connect(_storages_changed)


@contextmanager
def local_copy(name: str) -> Iterator[Path]:
    """A stored file as a path on this host, for programs that need one (QEMU boots a kernel):
    the file itself on a local storage, else a copy in the staging folder, removed after."""
    path = local_path(name)
    if path is not None:
        yield path
        return
    folder = staging_root()
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder) as scratch:
        copy = Path(scratch) / Path(name).name
        with artifact_storage.open(name, "rb") as source, copy.open("xb") as sink:
            shutil.copyfileobj(source, sink, 1024 * 1024)
        yield copy
