"""The storage of release files: STORAGES["artifacts"] (a folder, or S3-compatible storage).

FileField needs a Storage instance or a callable returning one; this lazy object stands for the
configured "artifacts" storage and follows a change of STORAGES (tests point it elsewhere).
"""

from django.core.files.storage import storages
from django.core.signals import setting_changed
from django.utils.functional import LazyObject, empty


class ArtifactStorage(LazyObject):
    def _setup(self) -> None:
        self._wrapped = storages["artifacts"]


artifact_storage = ArtifactStorage()


def get_artifact_storage() -> ArtifactStorage:
    return artifact_storage


def _storages_changed(*, setting: str, **kwargs) -> None:
    if setting == "STORAGES":
        artifact_storage._wrapped = empty


setting_changed.connect(_storages_changed)
