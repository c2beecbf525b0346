"""An mbox uploaded in the admin: recorded, then imported by a worker that writes its progress
on the row (the admin list shows it)."""

from __future__ import annotations

import uuid
from pathlib import Path

from django.contrib.auth.models import AbstractBaseUser
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from lists.models import MailingList, MboxUpload
from lists.services.ingestion import ArchiveError, import_paths
from portal.outbox import send_on_commit


@transaction.atomic
def queue_mbox_upload(
    *, mailing_list: MailingList, file: UploadedFile, user: AbstractBaseUser | None
) -> MboxUpload:
    from lists.tasks import import_upload as task

    upload = MboxUpload(mailing_list=mailing_list, uploaded_by=user, total_bytes=file.size or 0)
    # The sender's name is shown in the admin; the stored name is ours: no "..", no
    # separators, no control characters reach the file system.
    upload.file.save(f"{uuid.uuid4().hex}.mbox", file, save=False)
    upload.save()
    send_on_commit(task, upload.pk)
    return upload


def import_upload(*, upload_id: int) -> int:
    """Import an uploaded mbox in batches; each batch commits and moves the progress on."""
    claimed = MboxUpload.objects.filter(
        pk=upload_id, state__in=[MboxUpload.State.QUEUED, MboxUpload.State.RUNNING]
    ).update(state=MboxUpload.State.RUNNING)
    if not claimed:
        return 0
    upload = MboxUpload.objects.select_related("mailing_list").get(pk=upload_id)
    path = Path(upload.file.path)

    def progress(done: int, total: int, result) -> None:
        MboxUpload.objects.filter(pk=upload_id).update(
            done_bytes=done, total_bytes=total, imported=result.imported, skipped=result.skipped
        )

    try:
        result = import_paths(
            mailing_list=upload.mailing_list, paths=[path], batch_size=500, progress=progress
        )
    except (ArchiveError, OSError) as exc:
        MboxUpload.objects.filter(pk=upload_id).update(
            state=MboxUpload.State.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
        )
        return 0
    MboxUpload.objects.filter(pk=upload_id).update(
        state=MboxUpload.State.DONE,
        imported=result.imported,
        skipped=result.skipped,
        done_bytes=upload.total_bytes or path.stat().st_size,
        finished_at=timezone.now(),
    )
    return result.imported
