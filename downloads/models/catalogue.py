"""The catalogue: boards, distributions, releases and the files (artifacts) of a release."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from downloads.storage import get_artifact_storage

# Path segments of /downloads/ that a board slug may not take (see downloads/urls.py, and
# /downloads/builds/ of the builds section in portal/urls.py).
RESERVED_BOARD_SLUGS = [
    "releases", "latest", "manage", "feed", "common", "files", "api", "builds",
]  # fmt: skip
VERSION_PATTERN = r"^[0-9A-Za-z][0-9A-Za-z._+~-]*$"


class Board(models.Model):
    class SupportLevel(models.TextChoices):
        SUPPORTED = "supported", _("Supported")
        COMMUNITY = "community", _("Community")
        EXPERIMENTAL = "experimental", _("Experimental")
        END_OF_LIFE = "eol", _("End of life")

    slug = models.SlugField(_("slug"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=100)
    soc = models.CharField(_("SoC"), max_length=100, blank=True)
    arch = models.CharField(_("architecture"), max_length=20, default="arm64")
    vendor = models.CharField(_("vendor"), max_length=100, blank=True)
    support_level = models.CharField(
        _("support level"),
        max_length=20,
        choices=SupportLevel.choices,
        default=SupportLevel.SUPPORTED,
    )
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    description = models.TextField(_("description (Markdown)"), blank=True)
    description_html = models.TextField(editable=False, default="")
    specs = models.JSONField(_("specifications"), default=dict, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=100)
    quickstart_url = models.CharField(
        _("quick-start guide"),
        max_length=300,
        blank=True,
        help_text=_("Path or URL of the board's quick-start guide in the docs."),
    )

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("board")
        verbose_name_plural = _("boards")
        constraints = [
            models.CheckConstraint(
                condition=~Q(slug__in=RESERVED_BOARD_SLUGS), name="board_slug_not_reserved"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("downloads:board", args=[self.slug])


class Distribution(models.Model):
    slug = models.SlugField(_("slug"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=100)
    version = models.CharField(_("version"), max_length=50, blank=True)
    homepage = models.URLField(_("home page"), blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=100)

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("distribution")
        verbose_name_plural = _("distributions")

    def __str__(self) -> str:
        return f"{self.name} {self.version}".strip()


class Release(models.Model):
    # Saved with one of these, it may leave readers' view (see withdraw in portal/page_cache.py).
    withdrawing_fields = frozenset({"status"})

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    version = models.CharField(_("version"), max_length=50, unique=True)
    title = models.CharField(_("title"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    is_prerelease = models.BooleanField(_("pre-release"), default=False)
    release_date = models.DateField(_("release date"), null=True, blank=True)
    notes = models.TextField(_("release notes (Markdown)"), blank=True)
    notes_html = models.TextField(editable=False, default="")
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdrawn_reason = models.CharField(_("reason for withdrawal"), max_length=300, blank=True)
    replaced_by = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="replaces",
        verbose_name=_("replaced by"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    # Detached signatures of the checksum lists, made at publication: {"SHA256SUMS": armour,
    # "d02/SHA256SUMS": armour, ...}; empty when no signing key is configured.
    signatures = models.JSONField(_("checksum signatures"), default=dict, blank=True)
    # The news item publishing wrote (portal.announcements); staff may edit or publish it.
    announcement = models.ForeignKey(
        "portal.NewsItem",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("announcement"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-published_at", "-created_at"]
        verbose_name = _("release")
        verbose_name_plural = _("releases")
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="published") | Q(published_at__isnull=False),
                name="release_published_has_date",
            ),
            models.CheckConstraint(condition=~Q(version=""), name="release_version_not_empty"),
            models.CheckConstraint(
                condition=Q(version__regex=VERSION_PATTERN) & ~Q(version="latest"),
                name="release_version_plain",
            ),
            models.CheckConstraint(
                condition=~Q(status="withdrawn") | Q(withdrawn_at__isnull=False),
                name="release_withdrawn_has_date",
            ),
            # "A published release has at least one artifact" spans two tables: it is a deferred
            # constraint trigger in PostgreSQL (migration 0001) and a check in publish_release.
        ]

    def __str__(self) -> str:
        return self.version

    def get_absolute_url(self) -> str:
        return reverse("downloads:release", args=[self.version])


class Artifact(models.Model):
    class Kind(models.TextChoices):
        FIRMWARE = "firmware", _("UEFI firmware")
        BOOTLOADER = "bootloader", _("Bootloader (GRUB)")
        KERNEL = "kernel", _("Kernel image")
        DEVICE_TREE = "dtb", _("Device tree")
        INITRAMFS = "initramfs", _("Initramfs / mini rootfs")
        ROOTFS = "rootfs", _("Distribution rootfs")
        DISK_IMAGE = "image", _("Installer / disk image")
        TOOLCHAIN = "toolchain", _("Toolchain")
        SOURCE = "source", _("Source")
        OTHER = "other", _("Other")

    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="artifacts")
    # No board: the file serves every board (published under /common/).
    board = models.ForeignKey(
        Board, null=True, blank=True, on_delete=models.PROTECT, related_name="artifacts"
    )
    distribution = models.ForeignKey(
        Distribution, null=True, blank=True, on_delete=models.PROTECT, related_name="artifacts"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.OTHER)
    filename = models.CharField(_("file name"), max_length=255)
    file = models.FileField(_("file"), storage=get_artifact_storage, max_length=500)
    size = models.BigIntegerField(_("size in bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    md5 = models.CharField(_("MD5"), max_length=32, blank=True)
    signature = models.TextField(_("detached signature (ASCII armour)"), blank=True)
    description = models.CharField(_("description"), max_length=300, blank=True)
    download_count = models.PositiveBigIntegerField(_("downloads"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["board__order", "kind", "filename"]
        verbose_name = _("artifact")
        verbose_name_plural = _("artifacts")
        constraints = [
            # One file name per release and board folder; common files (no board) are one folder.
            models.UniqueConstraint(
                fields=["release", "board", "filename"],
                condition=Q(board__isnull=False),
                name="artifact_unique_filename_per_board",
            ),
            models.UniqueConstraint(
                fields=["release", "filename"],
                condition=Q(board__isnull=True),
                name="artifact_unique_filename_common",
            ),
            models.CheckConstraint(
                condition=Q(sha256__regex=r"^[0-9a-f]{64}$"), name="artifact_sha256_hex64"
            ),
            models.CheckConstraint(
                condition=Q(md5="") | Q(md5__regex=r"^[0-9a-f]{32}$"), name="artifact_md5_hex32"
            ),
            models.CheckConstraint(condition=Q(size__gt=0), name="artifact_size_positive"),
            models.CheckConstraint(
                condition=~Q(filename="") & ~Q(filename__contains="/"),
                name="artifact_filename_plain",
            ),
        ]
        indexes = [
            models.Index(fields=["release", "board"]),
            # "the newest release with a file for this board": the board grid and latest links.
            models.Index(fields=["board", "release"], name="artifact_board_release_idx"),
            # The site search: a full sha256 finds its file, and so does part of a file name
            # (Django's icontains is UPPER(filename) LIKE UPPER(...), which a trigram index on
            # PostgreSQL serves: migration 0002 makes it there, SQLite has no such index).
            models.Index(fields=["sha256"], name="artifact_sha256_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.release.version}/{self.folder}/{self.filename}"

    def get_absolute_url(self) -> str:
        return reverse("downloads:file", args=[self.release.version, self.folder, self.filename])

    @property
    def folder(self) -> str:
        return self.board.slug if self.board_id else "common"

    @property
    def path(self) -> str:
        """Where the file lives under a release: `d02/Image`, `common/README.txt`."""
        return f"{self.folder}/{self.filename}"
