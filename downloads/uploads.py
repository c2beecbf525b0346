"""Browser uploads streamed into artifact storage, hashed while they arrive.

Django's default handlers keep an upload in memory or in a temporary file, which would then be
copied into storage and read a second time. This handler writes each chunk straight into the
staging folder of artifact storage and feeds both digests on the way; the service then moves
the file into place with a rename (downloads.services.artifacts.add_staged_artifact).
"""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path

from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler

from downloads.services.artifacts import CHUNK_SIZE, STAGING_FOLDER, Digest, StagedFile
from downloads.storage import artifact_storage


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
        folder = Path(artifact_storage.path(STAGING_FOLDER))
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / uuid.uuid4().hex
        self.sink = self.path.open("xb")
        self.sha256 = hashlib.sha256()
        self.md5 = hashlib.md5(usedforsecurity=False)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        self.sink.write(raw_data)
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
            self.sink.close()
            self.path.unlink(missing_ok=True)
