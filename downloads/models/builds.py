"""Build recipes and builds: a worker runs a board's recipe for a release and attaches the files.

As LAVA does, a build's `state` (where it is in its life) is kept apart from its `result` (how it
ended), so "finished" never has to mean "succeeded".
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from downloads.models.catalogue import Board, Distribution, Release


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
        help_text=_('Glob patterns under $OUTPUT_DIR, e.g. ["*.dtb", "Image"].'),
    )
    timeout_seconds = models.PositiveIntegerField(_("timeout (seconds)"), default=1800)
    queue = models.CharField(_("queue"), max_length=50, default="builds")
    enabled = models.BooleanField(_("enabled"), default=True)

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
    log = models.TextField(_("log"), blank=True, default="")
    worker_host = models.CharField(_("worker"), max_length=200, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)
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
            # A result is known exactly when the build has finished.
            models.CheckConstraint(
                condition=(Q(state="finished") & ~Q(result="unknown"))
                | (~Q(state="finished") & Q(result="unknown")),
                name="build_result_iff_finished",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.recipe} @ {self.release.version}"

    @property
    def is_active(self) -> bool:
        return self.state != self.State.FINISHED
