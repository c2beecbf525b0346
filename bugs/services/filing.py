"""Filing bugs, commenting, attaching files."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from pathlib import PurePath

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from bugs.models import Attachment, Bug, Comment, Component, Keyword, Priority, Severity, Status
from bugs.services.common import BUGS, BugError, Change, index_bugs, record, tell
from bugs.workflow import ASSIGNEE, REPORTER, STAFF, TRIAGER, roles
from downloads.models import Board, Release
from portal.images import prepare_image
from portal.markup import MarkupTooLong, render_markdown

SUMMARY_MIN = 5
PATCH_SUFFIXES = {".patch", ".diff"}
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".webp"}
SNIFF_BYTES = 8192


def _render(source: str, *, what: str) -> str:
    if len(source.strip()) < 2:
        raise BugError(_("The %(what)s is empty.") % {"what": what}, code="empty")
    try:
        return render_markdown(source).html
    except MarkupTooLong as exc:
        raise BugError(str(exc), code="too_long") from exc


def clean_summary(summary: str) -> str:
    kept = (c if c.isprintable() else " " for c in summary)
    summary = " ".join("".join(kept).split())
    if len(summary) < SUMMARY_MIN:
        raise BugError(
            _("The summary needs at least %(n)d characters.") % {"n": SUMMARY_MIN}, code="summary"
        )
    return summary[:200]


def _require_active(user: AbstractBaseUser) -> None:
    if not user.is_authenticated or not user.is_active:
        raise BugError(_("Sign in to file or comment on bugs."), code="anonymous")


@transaction.atomic
def file_bug(
    *,
    reporter: AbstractBaseUser,
    component: Component,
    summary: str,
    description: str,
    board: Board | None = None,
    release: Release | None = None,
    severity: str = Severity.NORMAL,
    priority: str = Priority.P3,
    is_security: bool = False,
    keywords: Sequence[Keyword] = (),
    attachments: Sequence[UploadedFile] = (),
) -> Bug:
    """File a bug; the component's (else the product's) default assignee gets it."""
    _require_active(reporter)
    if severity not in Severity.values:
        raise BugError(_("Unknown severity %(s)s.") % {"s": severity}, code="severity")
    if priority not in Priority.values:
        raise BugError(_("Unknown priority %(p)s.") % {"p": priority}, code="priority")
    if release is not None and release.status != Release.Status.PUBLISHED:
        raise BugError(_("Release %(v)s is not published.") % {"v": release.version})
    product = component.product
    now = timezone.now()
    bug = Bug.objects.create(
        product=product,
        component=component,
        board=board,
        release=release,
        severity=severity,
        priority=priority,
        status=Status.UNCONFIRMED,
        summary=clean_summary(summary),
        description=description,
        description_html=_render(description, what=_("description")),
        reporter=reporter,
        assignee_id=component.default_assignee_id or product.default_assignee_id,
        is_security=is_security,
        created_at=now,
        updated_at=now,
    )
    if keywords:
        bug.keywords.set(keywords)
    for upload in attachments:
        add_attachment(bug=bug, uploader=reporter, upload=upload)
    record(bug=bug, actor=reporter, changes=[Change("status", "", Status.UNCONFIRMED)], at=now)
    index_bugs([bug.pk])
    tell(bug=bug, actor=reporter, verb="bug_filed", excerpt=bug.summary)
    return bug


@transaction.atomic
def add_comment(
    *,
    bug: Bug,
    author: AbstractBaseUser,
    body: str,
    attachments: Sequence[UploadedFile] = (),
    notify: bool = True,
) -> Comment:
    _require_active(author)
    html = _render(body, what=_("comment"))
    comment = Comment.objects.create(
        bug=bug, author=author, body=body, body_html=html, created_at=timezone.now()
    )
    for upload in attachments:
        add_attachment(bug=bug, uploader=author, upload=upload, comment=comment)
    Bug.objects.filter(pk=bug.pk).update(
        comment_count=F("comment_count") + 1, updated_at=comment.created_at
    )
    bug.comment_count += 1
    index_bugs([bug.pk])
    BUGS.bump_on_commit()
    if notify:
        tell(
            bug=bug,
            actor=author,
            verb="bug_commented",
            excerpt=body,
            url=f"{bug.get_absolute_url()}#c{comment.pk}",
        )
    return comment


def classify(upload: UploadedFile) -> str:
    """patch, image, text log or anything else, from the name and the first bytes."""
    suffix = PurePath(upload.name or "").suffix.lower()
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    upload.seek(0)
    if suffix in PATCH_SUFFIXES or (
        head.startswith((b"diff --git ", b"From ")) and b"\n--- " in head
    ):
        return Attachment.Kind.PATCH
    if suffix in IMAGE_SUFFIXES or head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8")):
        return Attachment.Kind.IMAGE
    if b"\x00" not in head:
        try:
            head.decode("utf-8")
            return Attachment.Kind.LOG
        except UnicodeDecodeError as exc:
            # A multi-byte character cut at the end of the sample is still text.
            if exc.start >= len(head) - 4:
                return Attachment.Kind.LOG
    return Attachment.Kind.OTHER


def _safe_name(name: str) -> str:
    name = PurePath(name.replace("\\", "/")).name
    name = "".join(c for c in name if c.isprintable() and c not in '"<>:|?*')
    # "..", "." or a name of dots and spaces names no file: it would read as a path.
    name = name.strip(" .")
    if len(name) > 200:  # keep the suffix: it says what the file is
        stem, dot, suffix = name.rpartition(".")
        name = stem[: 199 - len(suffix)] + dot + suffix if dot and len(suffix) <= 10 else name[:200]
    return name or "attachment"


@transaction.atomic
def add_attachment(
    *,
    bug: Bug,
    uploader: AbstractBaseUser,
    upload: UploadedFile,
    description: str = "",
    comment: Comment | None = None,
) -> Attachment:
    """Stream an upload to the attachment storage (images are re-encoded first)."""
    _require_active(uploader)
    name = _safe_name(upload.name or "")
    limit = settings.BUGS_ATTACHMENT_MAX_BYTES
    if upload.size is None or upload.size > limit:
        raise BugError(
            _("%(name)s is larger than %(limit)d MiB.")
            % {"name": name, "limit": limit // (1024 * 1024)},
            code="attachment_size",
        )
    if upload.size == 0:
        raise BugError(_("%(name)s is empty.") % {"name": name}, code="attachment_empty")
    kind = classify(upload)
    attachment = Attachment(
        bug=bug,
        comment=comment,
        uploader=uploader,
        original_name=name,
        description=description[:200],
        kind=kind,
        size=upload.size,
    )
    if kind == Attachment.Kind.IMAGE:
        try:
            prepared = prepare_image(upload)
        except ValidationError as exc:
            raise BugError(exc.messages[0], code="attachment_image") from exc
        attachment.size = len(prepared.content)
        content = ContentFile(prepared.content)
        stored_name = f"{uuid.uuid4().hex}.{prepared.extension}"
    else:
        upload.seek(0)
        content = upload  # Storage.save copies it chunk by chunk: never whole in memory.
        suffix = PurePath(name).suffix.lower()
        stored_name = uuid.uuid4().hex + (suffix if suffix.isascii() and len(suffix) <= 10 else "")
    attachment.file.save(stored_name, content, save=False)
    stored = attachment.file.name
    try:
        attachment.save()
    except Exception:
        attachment.file.storage.delete(stored)
        raise
    record(bug=bug, actor=uploader, changes=[Change("attachment", "", f"+{name}")])
    return attachment


@transaction.atomic
def set_attachment_obsolete(
    *, actor: AbstractBaseUser, attachment: Attachment, obsolete: bool
) -> Attachment:
    bug = attachment.bug
    held = roles(actor, bug)
    if attachment.uploader_id != actor.pk and not held & {STAFF, TRIAGER, ASSIGNEE, REPORTER}:
        raise BugError(
            _("Only the uploader, the reporter, the assignee or a triager may do that."),
            code="rights",
        )
    if attachment.is_obsolete == obsolete:
        return attachment
    attachment.is_obsolete = obsolete
    attachment.save(update_fields=["is_obsolete"])
    record(
        bug=bug,
        actor=actor,
        changes=[
            Change(
                f"attachment {attachment.original_name} obsolete", str(not obsolete), str(obsolete)
            )
        ],
    )
    return attachment
