"""Build recipes and builds: a worker runs a board's recipe for a release and attaches the files.

As LAVA does, a build's `state` (where it is in its life) is kept apart from its `result` (how it
ended), so "finished" never has to mean "succeeded".
"""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from downloads.models import Artifact, Board, Distribution, Release


def validate_output_patterns(value: object) -> None:
    """Output patterns: a list of globs under $OUTPUT_DIR, or of {"pattern", "kind", "optional"}."""
    from django.core.exceptions import ValidationError

    if not isinstance(value, list) or not value:
        raise ValidationError(_("Give a non-empty list of patterns."))
    kinds = {choice for choice, _label in Artifact.Kind.choices}
    for entry in value:
        spec = {"pattern": entry} if isinstance(entry, str) else entry
        if not isinstance(spec, dict) or not isinstance(spec.get("pattern"), str):
            raise ValidationError(
                _('%(entry)r is neither a glob nor a {"pattern": …} object.'),
                params={"entry": entry},
            )
        pattern = spec["pattern"]
        if not pattern or pattern.startswith("/") or ".." in pattern.split("/"):
            raise ValidationError(
                _("%(pattern)r must be a relative glob inside $OUTPUT_DIR."),
                params={"pattern": pattern},
            )
        unknown = set(spec) - {"pattern", "kind", "optional"}
        if unknown:
            raise ValidationError(
                _("%(pattern)r: unknown keys %(keys)s."),
                params={"pattern": pattern, "keys": ", ".join(sorted(unknown))},
            )
        if "kind" in spec and spec["kind"] not in kinds:
            raise ValidationError(
                _("%(pattern)r: unknown kind %(kind)r."),
                params={"pattern": pattern, "kind": spec["kind"]},
            )


def validate_tools(value: object) -> None:
    """Tools: a list of commands ("cpio") or of {"command": "cpio", "package": "cpio"}."""
    from django.core.exceptions import ValidationError

    if not isinstance(value, list):
        raise ValidationError(_("Give a list of commands."))
    for entry in value:
        spec = {"command": entry} if isinstance(entry, str) else entry
        command = spec.get("command") if isinstance(spec, dict) else None
        if (
            not isinstance(command, str)
            or not command
            or "/" in command
            or set(spec) - {"command", "package"}
        ):
            raise ValidationError(
                _('%(entry)r is neither a command name nor a {"command", "package"} object.'),
                params={"entry": entry},
            )


def tool_specs(tools: list) -> list[dict[str, str]]:
    """The recipe's tools as {"command", "package"} (the package defaults to the command)."""
    specs = []
    for entry in tools:
        spec = {"command": entry} if isinstance(entry, str) else dict(entry)
        spec.setdefault("package", spec["command"])
        specs.append(spec)
    return specs


class BuildRecipe(models.Model):
    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="recipes")
    distribution = models.ForeignKey(
        Distribution, null=True, blank=True, on_delete=models.PROTECT, related_name="recipes"
    )
    name = models.CharField(_("name"), max_length=100)
    script = models.TextField(
        _("script"), help_text=_("Run by bash in a fresh workspace on a build worker.")
    )
    output_patterns = models.JSONField(
        _("output patterns"),
        default=list,
        validators=[validate_output_patterns],
        help_text=_(
            'Glob patterns under $OUTPUT_DIR, e.g. ["*.dtb", "Image"], or objects such as '
            '{"pattern": "*.dtb", "kind": "dtb", "optional": true}. A pattern that is not '
            "optional must match at least one file."
        ),
    )
    tools = models.JSONField(
        _("tools it needs"),
        default=list,
        blank=True,
        validators=[validate_tools],
        help_text=_(
            'Commands the script runs that a worker may lack, e.g. ["dtc", {"command": "cpio", '
            '"package": "cpio"}]: a build fails at once, naming the Debian package, when one '
            "is missing."
        ),
    )
    boot_test = models.BooleanField(
        _("boot-test in QEMU"),
        default=False,
        help_text=_(
            "After a successful build, boot its kernel and initramfs with qemu-system-aarch64 "
            "and look for ESTUARY-BOOT-OK on the serial console."
        ),
    )
    timeout_seconds = models.PositiveIntegerField(_("timeout (seconds)"), default=1800)
    queue = models.CharField(_("queue"), max_length=50, default="builds")
    enabled = models.BooleanField(_("enabled"), default=True)
    description = models.CharField(_("description"), max_length=300, blank=True)

    class Meta:
        ordering = ["board__order", "name"]
        verbose_name = _("build recipe")
        verbose_name_plural = _("build recipes")
        constraints = [
            models.UniqueConstraint(fields=["board", "name"], name="recipe_unique_name_per_board"),
            models.CheckConstraint(condition=Q(timeout_seconds__gt=0), name="recipe_timeout_gt_0"),
        ]

    def __str__(self) -> str:
        return f"{self.board.slug}: {self.name}"


class Build(models.Model):
    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        FINISHED = "finished", _("Finished")

    class Result(models.TextChoices):
        UNKNOWN = "unknown", _("Unknown")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")
        TIMED_OUT = "timed-out", _("Timed out")

    class Trigger(models.TextChoices):
        WEB = "web", _("Web page")
        COMMAND = "command", _("Command")
        NIGHTLY = "nightly", _("Nightly schedule")

    recipe = models.ForeignKey(BuildRecipe, on_delete=models.PROTECT, related_name="builds")
    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="builds")
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.QUEUED, db_index=True
    )
    result = models.CharField(
        _("result"), max_length=10, choices=Result.choices, default=Result.UNKNOWN
    )
    progress = models.PositiveSmallIntegerField(_("progress"), default=0)
    exit_code = models.IntegerField(_("exit code"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    # The log lives in BuildLogChunk rows (appended, read by byte offset); this is its length.
    log_size = models.BigIntegerField(_("log size in bytes"), default=0)
    trigger = models.CharField(
        _("started from"), max_length=10, choices=Trigger.choices, default=Trigger.WEB
    )
    worker_host = models.CharField(_("worker"), max_length=200, blank=True)
    worker_pid = models.IntegerField(_("worker process"), null=True, blank=True)
    # The recipe's process group on worker_host, so that a reaper on that host can end orphans.
    process_group = models.IntegerField(_("process group"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    cancel_requested_at = models.DateTimeField(null=True, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    artifacts = models.ManyToManyField(
        Artifact, blank=True, related_name="builds", verbose_name=_("attached files")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # The outbox: set once the task's message reached the broker. A queued build whose message
    # never left is sent again by the builds.send_queued task (see services.send_unsent_builds).
    message_sent_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("build")
        verbose_name_plural = _("builds")
        constraints = [
            # At most one active build per recipe and release, whoever or whatever starts it.
            models.UniqueConstraint(
                fields=["recipe", "release"],
                condition=Q(state__in=["queued", "running"]),
                name="build_one_active_per_recipe_release",
            ),
            models.CheckConstraint(condition=Q(progress__lte=100), name="build_progress_0_100"),
            models.CheckConstraint(condition=Q(log_size__gte=0), name="build_log_size_gte_0"),
            # A result is known exactly when the build has finished.
            models.CheckConstraint(
                condition=(Q(state="finished") & ~Q(result="unknown"))
                | (~Q(state="finished") & Q(result="unknown")),
                name="build_result_iff_finished",
            ),
        ]
        indexes = [
            models.Index(
                fields=["heartbeat_at"],
                condition=Q(state="running"),
                name="build_running_heartbeat",
            ),
            models.Index(fields=["release", "recipe", "-created_at"], name="build_release_recipe"),
            models.Index(
                fields=["created_at"],
                condition=Q(state="queued", message_sent_at__isnull=True),
                name="build_unsent",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.recipe} @ {self.release.version}"

    def get_absolute_url(self) -> str:
        return reverse("builds:detail", args=[self.pk])

    @property
    def is_active(self) -> bool:
        return self.state != self.State.FINISHED

    @property
    def duration(self) -> timedelta | None:
        if self.started_at is None:
            return None
        return (self.finished_at or timezone.now()) - self.started_at


class BuildLogChunk(models.Model):
    """A piece of a build's log: bytes [offset, end) of it, cut at a character boundary.

    Appending a row costs the same at the first and at the ten-thousandth chunk (a growing text
    column would be rewritten whole each time), and a reader asks for what lies past its offset.
    """

    # A reader's own, or for managers: no signed-out page shows it (portal/page_cache.py).
    shown_to_signed_out = False

    build = models.ForeignKey(Build, on_delete=models.CASCADE, related_name="log_chunks")
    offset = models.BigIntegerField()
    end = models.BigIntegerField()
    text = models.TextField()

    class Meta:
        ordering = ["build", "offset"]
        constraints = [
            models.UniqueConstraint(fields=["build", "offset"], name="build_log_chunk_offset"),
            models.CheckConstraint(
                condition=Q(offset__gte=0) & Q(end__gt=models.F("offset")),
                name="build_log_chunk_span",
            ),
        ]
        indexes = [models.Index(fields=["build", "end"], name="build_log_chunk_end")]

    def __str__(self) -> str:
        return f"build {self.build_id} log [{self.offset}, {self.end})"


class BootTest(models.Model):
    """Booting what a build made (its kernel and initramfs, in QEMU): kept apart from the
    build's own result, as a build can succeed and still make something that does not boot."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        RUNNING = "running", _("Running")
        PASSED = "passed", _("Passed")
        FAILED = "failed", _("Failed")

    build = models.ForeignKey(Build, on_delete=models.CASCADE, related_name="boot_tests")
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    console_log = models.TextField(_("console log"), blank=True)
    duration_seconds = models.FloatField(_("duration (seconds)"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("boot test")
        verbose_name_plural = _("boot tests")
        constraints = [
            # At most one boot test of a build waiting or running.
            models.UniqueConstraint(
                fields=["build"],
                condition=Q(status__in=["pending", "running"]),
                name="boot_test_one_active_per_build",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "running"]) | Q(finished_at__isnull=False),
                name="boot_test_finished_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"boot test of build #{self.build_id}: {self.status}"

    def get_absolute_url(self) -> str:
        return reverse("builds:boot_log", args=[self.pk])

    @property
    def is_active(self) -> bool:
        return self.status in (self.Status.PENDING, self.Status.RUNNING)
