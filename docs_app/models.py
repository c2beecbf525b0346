"""Docs: sections, pages per release and language, their revisions, and images editors upload.

A page with no release is the "latest" page: it serves every release that has no page of its
own. Its Markdown source is stored with the rendered HTML, the table of contents and the plain
text beside it (rebuilt by docs_app.services when the source changes, never per request).
"""

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from downloads.models import Release

LATEST = "latest"


class Section(models.Model):
    slug = models.SlugField(_("slug"), max_length=50, unique=True)
    title = models.CharField(_("title"), max_length=100)
    title_zh = models.CharField(_("title (Simplified Chinese)"), max_length=100, blank=True)
    description = models.CharField(_("description"), max_length=300, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=100)

    class Meta:
        ordering = ["order", "title"]
        verbose_name = _("section")
        verbose_name_plural = _("sections")

    def __str__(self) -> str:
        return self.title

    def title_in(self, language: str) -> str:
        return self.title_zh if language == "zh-hans" and self.title_zh else self.title


class Page(models.Model):
    class Language(models.TextChoices):
        ENGLISH = "en", _("English")
        CHINESE = "zh-hans", _("Simplified Chinese")

    section = models.ForeignKey(Section, on_delete=models.PROTECT, related_name="pages")
    slug = models.SlugField(_("slug"), max_length=100)
    release = models.ForeignKey(
        Release,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="doc_pages",
        verbose_name=_("release"),
        help_text=_("Empty: the latest page, shown for every release without its own."),
    )
    language = models.CharField(
        _("language"), max_length=10, choices=Language.choices, default=Language.ENGLISH
    )
    title = models.CharField(_("title"), max_length=200)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="children",
        verbose_name=_("parent"),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=100)
    tags = models.JSONField(_("tags"), default=list, blank=True)
    source = models.TextField(_("Markdown source"))
    html = models.TextField(editable=False, default="")
    toc = models.JSONField(editable=False, default=list)
    text = models.TextField(editable=False, default="")
    # [[artifact:...]] references found in the source, resolved when the page is shown.
    artifact_refs = models.JSONField(editable=False, default=list)
    search_vector = SearchVectorField(null=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(db_index=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        ordering = ["section__order", "order", "title"]
        verbose_name = _("page")
        verbose_name_plural = _("pages")
        constraints = [
            models.UniqueConstraint(
                fields=["section", "slug", "release", "language"],
                condition=Q(release__isnull=False),
                name="docs_page_unique_per_release",
            ),
            models.UniqueConstraint(
                fields=["section", "slug", "language"],
                condition=Q(release__isnull=True),
                name="docs_page_unique_latest",
            ),
            models.CheckConstraint(condition=~Q(title=""), name="docs_page_title_not_empty"),
        ]
        indexes = [models.Index(fields=["section", "language", "release", "order"])]

    def __str__(self) -> str:
        return f"{self.section.slug}/{self.slug} ({self.version}, {self.language})"

    def get_absolute_url(self, version: str | None = None) -> str:
        return reverse(
            "docs_app:page",
            kwargs={
                "version": version or self.version,
                "section": self.section.slug,
                "slug": self.slug,
            },
        )

    @property
    def version(self) -> str:
        return self.release.version if self.release_id else LATEST


class PageRevision(models.Model):
    """One save of a page: what it said, who saved it and why."""

    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField(_("number"))
    title = models.CharField(_("title"), max_length=200)
    source = models.TextField(_("Markdown source"))
    tags = models.JSONField(_("tags"), default=list, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    message = models.CharField(_("message"), max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-number"]
        verbose_name = _("page revision")
        verbose_name_plural = _("page revisions")
        constraints = [
            models.UniqueConstraint(fields=["page", "number"], name="docs_revision_unique_number")
        ]

    def __str__(self) -> str:
        return f"{self.page} r{self.number}"


class DocImage(models.Model):
    """An image an editor uploaded, for pages to show with ![alt](url)."""

    image = models.ImageField(
        _("image"), upload_to="docs/%Y/%m/", width_field="width", height_field="height"
    )
    width = models.PositiveIntegerField(default=0, editable=False)
    height = models.PositiveIntegerField(default=0, editable=False)
    title = models.CharField(_("title"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("image")
        verbose_name_plural = _("images")

    def __str__(self) -> str:
        return self.title or self.image.name
