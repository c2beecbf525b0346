"""The tracker's data: products and components, bugs, comments, attachments, change history.

Invariants the database can hold are constraints here; who may change what lives in
bugs/workflow.py and the services, never in save() or signals.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.core.files.storage import FileSystemStorage, storages
from django.core.signals import setting_changed
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import LazyObject, empty
from django.utils.translation import gettext_lazy as _


class AttachmentStorage(LazyObject):
    """Attachments live outside MEDIA_ROOT: a security bug's log must pass the bug's check.
    STORAGES["attachments"], when configured (object storage), else BUGS_ATTACHMENT_ROOT."""

    def _setup(self) -> None:
        if "attachments" in settings.STORAGES:
            self._wrapped = storages["attachments"]
        else:
            self._wrapped = FileSystemStorage(location=settings.BUGS_ATTACHMENT_ROOT)


attachment_storage = AttachmentStorage()


def _storages_changed(*, setting: str, **kwargs) -> None:
    if setting in {"STORAGES", "BUGS_ATTACHMENT_ROOT"}:
        attachment_storage._wrapped = empty


setting_changed.connect(_storages_changed)


def _attachment_storage():
    return attachment_storage


class Product(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(_("slug"), max_length=50, unique=True)
    description = models.TextField(_("description"), blank=True)
    default_assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("default assignee"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    order = models.PositiveSmallIntegerField(_("order"), default=100)

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("product")
        verbose_name_plural = _("products")

    def __str__(self) -> str:
        return self.name


class Component(models.Model):
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.CASCADE, related_name="components"
    )
    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(_("slug"), max_length=50)
    description = models.TextField(_("description"), blank=True)
    default_assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("default assignee"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["product__order", "product__name", "name"]
        verbose_name = _("component")
        verbose_name_plural = _("components")
        constraints = [
            models.UniqueConstraint(fields=["product", "slug"], name="component_slug_per_product")
        ]

    def __str__(self) -> str:
        return f"{self.product.name} / {self.name}"


class Keyword(models.Model):
    name = models.SlugField(_("name"), max_length=40, unique=True)
    description = models.CharField(_("description"), max_length=200, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("keyword")
        verbose_name_plural = _("keywords")

    def __str__(self) -> str:
        return self.name


class Status(models.TextChoices):
    UNCONFIRMED = "UNCONFIRMED", _("unconfirmed")
    CONFIRMED = "CONFIRMED", _("confirmed")
    IN_PROGRESS = "IN_PROGRESS", _("in progress")
    RESOLVED = "RESOLVED", _("resolved")
    VERIFIED = "VERIFIED", _("verified")
    REOPENED = "REOPENED", _("reopened")


OPEN_STATUSES = (Status.UNCONFIRMED, Status.CONFIRMED, Status.IN_PROGRESS, Status.REOPENED)
CLOSED_STATUSES = (Status.RESOLVED, Status.VERIFIED)


class Resolution(models.TextChoices):
    NONE = "", _("none")
    FIXED = "FIXED", _("fixed")
    INVALID = "INVALID", _("invalid")
    WONTFIX = "WONTFIX", _("won't fix")
    DUPLICATE = "DUPLICATE", _("duplicate")
    WORKSFORME = "WORKSFORME", _("works for me")


class Severity(models.TextChoices):
    BLOCKER = "blocker", _("blocker")
    CRITICAL = "critical", _("critical")
    MAJOR = "major", _("major")
    NORMAL = "normal", _("normal")
    MINOR = "minor", _("minor")
    TRIVIAL = "trivial", _("trivial")
    ENHANCEMENT = "enhancement", _("enhancement")


class Priority(models.TextChoices):
    P1 = "P1", "P1"
    P2 = "P2", "P2"
    P3 = "P3", "P3"
    P4 = "P4", "P4"
    P5 = "P5", "P5"


def _label(choices: type[models.TextChoices], value: str) -> str:
    """A choice's label as get_FOO_display gives it (the value itself when it is none of them),
    from the choices' enum: Django's makes a dict of the field's choices on every call (30 µs,
    three per row of a bug list: 5 of the 11 ms of rendering fifty rows)."""
    try:
        return str(choices(value).label)
    except ValueError:
        return value


class Bug(models.Model):
    # Saved with one of these, it may leave readers' view (see withdraw in portal/page_cache.py).
    withdrawing_fields = frozenset({"is_security"})

    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="bugs"
    )
    component = models.ForeignKey(
        Component, verbose_name=_("component"), on_delete=models.PROTECT, related_name="bugs"
    )
    board = models.ForeignKey(
        "downloads.Board",
        verbose_name=_("board"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="bugs",
        help_text=_("Empty: not board-specific."),
    )
    release = models.ForeignKey(
        "downloads.Release",
        verbose_name=_("affected release"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="bugs",
    )
    fixed_in = models.ForeignKey(
        "downloads.Release",
        verbose_name=_("fixed in"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="fixed_bugs",
    )
    severity = models.CharField(
        _("severity"), max_length=12, choices=Severity.choices, default=Severity.NORMAL
    )
    priority = models.CharField(
        _("priority"), max_length=2, choices=Priority.choices, default=Priority.P3
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.UNCONFIRMED
    )
    resolution = models.CharField(
        _("resolution"), max_length=12, choices=Resolution.choices, default="", blank=True
    )
    summary = models.CharField(_("summary"), max_length=200)
    description = models.TextField(_("description (Markdown)"))
    description_html = models.TextField(editable=False, default="")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reporter"),
        on_delete=models.PROTECT,
        related_name="reported_bugs",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_bugs",
    )
    cc = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("CC"), blank=True, related_name="cc_bugs"
    )
    keywords = models.ManyToManyField(
        Keyword, verbose_name=_("keywords"), blank=True, related_name="bugs"
    )
    is_security = models.BooleanField(
        _("security bug"),
        default=False,
        help_text=_("Visible only to the security team, the reporter, the assignee and CC."),
    )
    duplicate_of = models.ForeignKey(
        "self",
        verbose_name=_("duplicate of"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="duplicates",
    )
    depends_on = models.ManyToManyField(
        "self",
        verbose_name=_("depends on"),
        symmetrical=False,
        blank=True,
        related_name="blocks",
    )
    comment_count = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(_("filed"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("changed"), default=timezone.now, db_index=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    search_vector = SearchVectorField(null=True, editable=False)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("bug")
        verbose_name_plural = _("bugs")
        constraints = [
            # A resolution belongs to closed bugs only, and every closed bug has one.
            models.CheckConstraint(
                condition=(
                    Q(status__in=["RESOLVED", "VERIFIED"]) & ~Q(resolution="")
                    | ~Q(status__in=["RESOLVED", "VERIFIED"]) & Q(resolution="")
                ),
                name="bug_resolution_iff_closed",
            ),
            models.CheckConstraint(
                condition=Q(resolution="DUPLICATE") | Q(duplicate_of__isnull=True),
                name="bug_duplicate_of_only_for_duplicates",
            ),
            models.CheckConstraint(
                condition=~Q(duplicate_of=models.F("pk")), name="bug_not_duplicate_of_itself"
            ),
        ]
        indexes = [
            GinIndex(fields=["search_vector", "created_at"], name="bug_search"),
            models.Index(fields=["status", "board"], name="bug_status_board"),
            models.Index(fields=["status", "-id"], name="bug_status_recent"),
            models.Index(fields=["is_security"], name="bug_security"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.summary}"

    def get_absolute_url(self) -> str:
        return reverse("bugs:detail", args=[self.pk])

    def get_status_display(self) -> str:
        return _label(Status, self.status)

    def get_resolution_display(self) -> str:
        return _label(Resolution, self.resolution)

    def get_severity_display(self) -> str:
        return _label(Severity, self.severity)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class Comment(models.Model):
    bug = models.ForeignKey(Bug, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bug_comments"
    )
    body = models.TextField(_("comment (Markdown)"))
    body_html = models.TextField(editable=False, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        indexes = [models.Index(fields=["bug", "created_at"], name="bug_comment_timeline")]

    def __str__(self) -> str:
        return f"#{self.bug_id} comment {self.pk}"


class Attachment(models.Model):
    class Kind(models.TextChoices):
        PATCH = "patch", _("patch")
        LOG = "log", _("text log")
        IMAGE = "image", _("image")
        OTHER = "other", _("file")

    bug = models.ForeignKey(Bug, on_delete=models.CASCADE, related_name="attachments")
    comment = models.ForeignKey(
        Comment, null=True, blank=True, on_delete=models.SET_NULL, related_name="attachments"
    )
    uploader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bug_attachments"
    )
    file = models.FileField(storage=_attachment_storage, upload_to="%Y/%m/", max_length=300)
    original_name = models.CharField(_("file name"), max_length=200)
    description = models.CharField(_("description"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    size = models.PositiveBigIntegerField(_("size"))
    is_obsolete = models.BooleanField(_("obsolete"), default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.original_name

    def get_absolute_url(self) -> str:
        return reverse("bugs:attachment", args=[self.bug_id, self.pk])


class BugChange(models.Model):
    """One field of one bug changed: who, when, from what, to what. Written by the services."""

    bug = models.ForeignKey(Bug, on_delete=models.CASCADE, related_name="changes")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    field = models.CharField(_("field"), max_length=40)
    old_value = models.TextField(_("old value"), blank=True)
    new_value = models.TextField(_("new value"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("change")
        verbose_name_plural = _("changes")
        indexes = [models.Index(fields=["bug", "created_at"], name="bug_change_timeline")]

    def __str__(self) -> str:
        return f"#{self.bug_id} {self.field}: {self.old_value} → {self.new_value}"


class SavedSearch(models.Model):
    # Filled in for its reader on the bug list kept for many (portal/page_cache.py).
    is_reader_state = True

    # A reader's own, or for managers: no signed-out page shows it (portal/page_cache.py).
    shown_to_signed_out = False

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_bug_searches"
    )
    name = models.CharField(_("name"), max_length=80)
    query = models.CharField(_("query"), max_length=1000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("saved search")
        verbose_name_plural = _("saved searches")
        constraints = [
            models.UniqueConstraint(fields=["user", "name"], name="saved_search_name_per_user")
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("bugs:index") + ("?" + self.query if self.query else "")
