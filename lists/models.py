"""The mailing-list archive: lists, threads, messages as they came (bytes kept), attachments.

A message's thread comes from the JWZ algorithm (lists/jwz.py) over ThreadNode rows: one node
per Message-ID ever seen in a list, for messages archived and for those only referenced (the
placeholders), so that a reply archived before its parent joins the parent's thread later.
Counters a list page shows (messages per thread, last activity) are kept on Thread by the
ingestion service, so that list pages read one indexed table.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.core.files.storage import FileSystemStorage
from django.core.signals import setting_changed
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.functional import LazyObject, empty
from django.utils.translation import gettext_lazy as _


class MailingList(models.Model):
    # Saved with one of these, it may leave readers' view (see withdraw in portal/page_cache.py).
    withdrawing_fields = frozenset({"is_private"})

    name = models.SlugField(_("name"), max_length=100, unique=True)
    title = models.CharField(_("title"), max_length=200, blank=True)
    posting_address = models.EmailField(_("posting address"), unique=True)
    description = models.TextField(_("description"), blank=True)
    is_private = models.BooleanField(
        _("private"), default=False, help_text=_("Only members may read a private archive.")
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="mailing_lists",
        verbose_name=_("members"),
    )
    reply_smtp = models.CharField(
        _("SMTP server for web replies"),
        max_length=200,
        blank=True,
        help_text=_("host:port of the list's mail server; blank: the site's own mail backend."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("mailing list")
        verbose_name_plural = _("mailing lists")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("lists:list", args=[self.name])


class Thread(models.Model):
    mailing_list = models.ForeignKey(MailingList, on_delete=models.CASCADE, related_name="threads")
    subject = models.TextField(_("subject"), blank=True)
    started_at = models.DateTimeField(null=True)
    last_activity = models.DateTimeField(null=True)
    message_count = models.PositiveIntegerField(default=0)
    # The site search's document of the thread (lists.documents keeps it; GIN index in 0005).
    search_document = SearchVectorField(null=True, editable=False)

    class Meta:
        verbose_name = _("thread")
        verbose_name_plural = _("threads")
        indexes = [
            models.Index(fields=["mailing_list", "-last_activity"], name="thread_latest"),
            models.Index(fields=["-last_activity"], name="thread_latest_anywhere"),
        ]

    def __str__(self) -> str:
        return self.subject or f"thread {self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("lists:thread", args=[self.mailing_list.name, self.pk])


class Message(models.Model):
    class DateSource(models.TextChoices):
        DATE = "date", _("Date header")
        RESENT_DATE = "resent-date", _("Resent-Date header")
        RECEIVED = "received", _("Received header")
        ENVELOPE = "envelope", _("mbox From line")
        ARCHIVED = "archived", _("time of archiving")

    mailing_list = models.ForeignKey(MailingList, on_delete=models.CASCADE, related_name="messages")
    thread = models.ForeignKey(Thread, on_delete=models.PROTECT, related_name="messages")
    # The nearest archived ancestor in the thread (None for a root or under a placeholder only).
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replies"
    )
    # Without angle brackets; unique in the list (a reused ID gets a ".dup-" suffix here, and
    # header_message_id keeps what the header said).
    message_id = models.TextField(_("Message-ID"))
    header_message_id = models.TextField(blank=True)
    references = models.JSONField(default=list, blank=True)
    in_reply_to = models.TextField(blank=True)
    sender_name = models.CharField(max_length=300, blank=True)
    sender_email = models.CharField(max_length=300, blank=True, db_index=True)
    date = models.DateTimeField(_("date"))
    date_source = models.CharField(max_length=12, choices=DateSource.choices)
    date_header = models.TextField(blank=True)
    subject = models.TextField(_("subject"), blank=True)
    text = models.TextField(blank=True)
    has_patch = models.BooleanField(default=False)
    raw = models.BinaryField()
    sha256 = models.CharField(max_length=64)
    envelope = models.TextField(blank=True)  # the mbox "From " line it came with, if any
    note = models.TextField(blank=True)  # what could not be understood, for readers and admins
    archived_at = models.DateTimeField(auto_now_add=True)
    search_vector = SearchVectorField(null=True, editable=False)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        constraints = [
            models.UniqueConstraint(fields=["mailing_list", "message_id"], name="message_id_once"),
            models.UniqueConstraint(fields=["mailing_list", "sha256"], name="message_bytes_once"),
        ]
        indexes = [
            models.Index(fields=["thread", "date"], name="message_in_thread"),
            models.Index(fields=["mailing_list", "date"], name="message_by_date"),
            models.Index(fields=["date"], name="message_date"),
            GinIndex(fields=["search_vector", "date"], name="message_search"),
        ]

    def __str__(self) -> str:
        return self.subject or self.message_id

    def get_absolute_url(self) -> str:
        return reverse("lists:message", args=[self.mailing_list.name, self.message_id])


class ThreadNode(models.Model):
    """One Message-ID of a list in the thread forest: archived (message set) or a placeholder."""

    mailing_list = models.ForeignKey(MailingList, on_delete=models.CASCADE, related_name="+")
    msgid = models.TextField()
    parent_ref = models.TextField(blank=True)  # the parent's Message-ID; blank for a root
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="nodes")
    message = models.OneToOneField(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="node"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["mailing_list", "msgid"], name="node_once"),
        ]
        indexes = [models.Index(fields=["thread"], name="node_thread")]

    def __str__(self) -> str:
        return self.msgid


TEXT_TYPES = {
    "application/x-patch",
    "application/x-diff",
    "application/json",
    "message/delivery-status",
}
TEXT_SUFFIXES = (".patch", ".diff", ".log", ".txt", ".c", ".h", ".py", ".sh", ".dts", ".dtsi",
                 ".config", ".rst", ".md")  # fmt: skip


class Attachment(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    position = models.PositiveSmallIntegerField(default=0)
    filename = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=255)
    size = models.PositiveIntegerField(default=0)
    data = models.BinaryField()

    class Meta:
        ordering = ["message", "position"]
        constraints = [
            models.UniqueConstraint(fields=["message", "position"], name="attachment_position")
        ]

    def __str__(self) -> str:
        return self.filename or f"attachment {self.position}"

    @property
    def is_text(self) -> bool:
        """Text a reader may view: text/* (HTML included, shown as text), patches and logs
        however their sender's client labelled them."""
        if self.content_type.startswith("text/") or self.content_type in TEXT_TYPES:
            return True
        return self.filename.lower().endswith(TEXT_SUFFIXES)


class UploadStorage(LazyObject):
    """Uploaded mboxes live outside MEDIA_ROOT, which the web server hands to anyone: a private
    list's archive must not be one guessable URL away."""

    def _setup(self) -> None:
        self._wrapped = FileSystemStorage(location=settings.LISTS_UPLOAD_ROOT)


upload_storage = UploadStorage()


def _upload_root_changed(*, setting: str, **kwargs) -> None:
    # Built again on the new folder (tests move it, and move it back).
    if setting == "LISTS_UPLOAD_ROOT":
        upload_storage._wrapped = empty


setting_changed.connect(_upload_root_changed)


def _upload_storage():
    return upload_storage


class MboxUpload(models.Model):
    """An mbox uploaded in the admin, imported by a worker; the row shows the progress."""

    class State(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("importing")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    mailing_list = models.ForeignKey(
        MailingList, on_delete=models.CASCADE, related_name="uploads", verbose_name=_("list")
    )
    file = models.FileField(
        _("mbox file"), storage=_upload_storage, upload_to="%Y/%m/", max_length=300
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    total_bytes = models.PositiveBigIntegerField(default=0)
    done_bytes = models.PositiveBigIntegerField(default=0)
    imported = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("mbox upload")
        verbose_name_plural = _("mbox uploads")

    def __str__(self) -> str:
        return f"{self.mailing_list}: {self.file.name}"

    @property
    def percent(self) -> int:
        if not self.total_bytes:
            return 100 if self.state == self.State.DONE else 0
        return min(100, int(100 * self.done_bytes / self.total_bytes))


class WebReply(models.Model):
    """A reply written on the site, sent to the list by a worker; archived when it comes back."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="web_replies")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    from_address = models.EmailField()
    subject = models.TextField()
    body = models.TextField()
    sent_message_id = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~Q(body=""), name="web_reply_has_body"),
        ]

    def __str__(self) -> str:
        return self.subject
