"""Browser uploads streamed into artifact storage, hashed while they arrive.

Django's default handlers keep an upload in memory or in a temporary file, which would then be
copied into storage and read a second time. This handler writes each chunk straight into the
staging folder of artifact storage and feeds both digests on the way; the service then moves
the file into place with a rename (downloads.services.artifacts.add_staged_artifact).
"""

from __future__ import annotations

import contextlib
import hashlib
import uuid

from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.utils.translation import gettext as _

from downloads.services.artifacts import CHUNK_SIZE, Digest, StagedFile
from downloads.storage import staging_root


class StagedUpload(UploadedFile):
    """The uploaded file as it lies in the staging folder, with its digest."""

    def __init__(self, staged: StagedFile, *, name: str, content_type: str, charset: str | None):
        super().__init__(staged.path.open("rb"), name, content_type, staged.digest.size, charset)
        self.staged = staged

    def temporary_file_path(self) -> str:
        return str(self.staged.path)

    def discard(self) -> None:
        """Remove the staged bytes if no artifact took them."""
        self.close()
        self.staged.path.unlink(missing_ok=True)


class ArtifactUploadHandler(FileUploadHandler):
    chunk_size = CHUNK_SIZE

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        folder = staging_root()
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / uuid.uuid4().hex
        self.sink = self.path.open("xb")
        self.sha256 = hashlib.sha256()
        self.md5 = hashlib.md5(usedforsecurity=False)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        try:
            self.sink.write(raw_data)
        except OSError as exc:  # the disk is full (or failing): keep no partial file
            self.upload_interrupted()
            self.request.upload_error = _(
                "%(name)s could not be stored: the server has no room for it (%(reason)s). "
                "Nothing was kept; try again once space is freed."
            ) % {"name": self.file_name, "reason": exc.strerror or exc}
            raise StopUpload(connection_reset=False) from exc
        self.sha256.update(raw_data)
        self.md5.update(raw_data)
        return None  # consumed: no later handler sees the bytes

    def file_complete(self, file_size: int) -> StagedUpload:
        self.sink.close()
        digest = Digest(size=file_size, sha256=self.sha256.hexdigest(), md5=self.md5.hexdigest())
        return StagedUpload(
            StagedFile(path=self.path, digest=digest),
            name=self.file_name,
            content_type=self.content_type,
            charset=self.charset,
        )

    def upload_interrupted(self) -> None:
        if getattr(self, "sink", None) is not None:
            with contextlib.suppress(OSError):  # flushing onto a full disk fails again
                self.sink.close()
            self.path.unlink(missing_ok=True)
