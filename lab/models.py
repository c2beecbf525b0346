"""The lab: Caliper benchmark runs with their scores, and the Open Lab's shared boards.

A reservation's time is [starts_at, ends_at). On PostgreSQL two live reservations of one board
cannot overlap: an exclusion constraint over the range built from the two columns refuses the
second row, whatever raced to write it. SQLite has no such constraint; the booking service
takes a lock and checks instead (lab/services/reservations.py).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateTimeRangeField, RangeBoundary, RangeOperators
from django.db import models
from django.db.models import F, Func, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from downloads.models import Board, Release


class TsTzRange(Func):
    """tstzrange(starts_at, ends_at, '[)'): the reservation's time as a PostgreSQL range."""

    function = "TSTZRANGE"
    output_field = DateTimeRangeField()


class PostgresExclusionConstraint(ExclusionConstraint):
    """An exclusion constraint that PostgreSQL enforces and other databases leave out."""

    def _postgresql(self, schema_editor) -> bool:
        return schema_editor.connection.vendor == "postgresql"

    def constraint_sql(self, model, schema_editor):
        return (
            super().constraint_sql(model, schema_editor)
            if self._postgresql(schema_editor)
            else None
        )

    def create_sql(self, model, schema_editor):
        return super().create_sql(model, schema_editor) if self._postgresql(schema_editor) else None

    def remove_sql(self, model, schema_editor):
        return super().remove_sql(model, schema_editor) if self._postgresql(schema_editor) else None

    def validate(self, model, instance, exclude=None, using="default"):
        # Forms and the admin never write reservations: the service checks, the database refuses.
        return None


class CaliperRun(models.Model):
    """One run of Caliper on one machine: its three YAML files as uploaded, and their scores."""

    board = models.ForeignKey(
        Board, on_delete=models.PROTECT, related_name="caliper_runs", verbose_name=_("board")
    )
    release = models.ForeignKey(
        Release, on_delete=models.PROTECT, related_name="caliper_runs", verbose_name=_("release")
    )
    host = models.CharField(_("host"), max_length=100)
    cpu = models.CharField(_("CPU"), max_length=200)
    memory = models.CharField(_("memory"), max_length=100)
    kernel = models.CharField(_("kernel"), max_length=200)
    distribution = models.CharField(_("distribution"), max_length=200)
    compiler = models.CharField(_("compiler"), max_length=200)
    host_yaml = models.TextField(_("<host>.yaml"))
    score_yaml = models.TextField(_("<host>_score.yaml"))
    score_post_yaml = models.TextField(_("<host>_score_post.yaml"))
    case_count = models.PositiveIntegerField(_("cases"), default=0)
    failed_count = models.PositiveIntegerField(_("failed cases"), default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="caliper_runs",
        verbose_name=_("uploaded by"),
    )
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("Caliper run")
        verbose_name_plural = _("Caliper runs")
        indexes = [
            models.Index(fields=["board", "release", "-created_at"], name="caliper_board_release"),
            models.Index(fields=["release", "-created_at"], name="caliper_release"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(host=""), name="caliper_run_host_not_empty"),
            models.CheckConstraint(
                condition=Q(failed_count__lte=F("case_count")), name="caliper_run_failed_le_cases"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.host} · {self.board.name} · {self.release.version}"

    def get_absolute_url(self) -> str:
        return reverse("lab:run", args=[self.pk])


class CaliperScore(models.Model):
    """One case of one file of a run: Test Item → Sub-item → Point → case = value (0: failed)."""

    class Source(models.TextChoices):
        RAW = "raw", _("results")
        SCORE = "score", _("scores")
        POST = "post", _("post-processed scores")

    run = models.ForeignKey(CaliperRun, on_delete=models.CASCADE, related_name="scores")
    source = models.CharField(_("file"), max_length=5, choices=Source.choices)
    item = models.CharField(_("test item"), max_length=100)
    sub_item = models.CharField(_("sub-item"), max_length=100)
    point = models.CharField(_("point"), max_length=100)
    case = models.CharField(_("case"), max_length=200)
    value = models.FloatField(_("value"))

    class Meta:
        ordering = ["item", "sub_item", "point", "case"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "source", "item", "sub_item", "point", "case"],
                name="caliper_score_unique_case",
            ),
            models.CheckConstraint(condition=Q(value__gte=0), name="caliper_score_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.item}/{self.sub_item}/{self.point}/{self.case} = {self.value}"

    @property
    def failed(self) -> bool:
        return self.value == 0


class LabBoard(models.Model):
    """A board of the Open Lab, shared by reservation."""

    class Health(models.TextChoices):
        GOOD = "good", _("good")
        MAINTENANCE = "maintenance", _("maintenance")
        BAD = "bad", _("bad")
        RETIRED = "retired", _("retired")

    board = models.ForeignKey(
        Board, on_delete=models.PROTECT, related_name="lab_boards", verbose_name=_("board model")
    )
    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(_("slug"), max_length=50, unique=True)
    health = models.CharField(
        _("health"), max_length=12, choices=Health.choices, default=Health.GOOD, db_index=True
    )
    health_note = models.CharField(_("health note"), max_length=300, blank=True)
    access_notes = models.TextField(
        _("access notes"),
        blank=True,
        help_text=_("Host, console command, power control: shown only to the holder of a slot."),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=100)

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("lab board")
        verbose_name_plural = _("lab boards")
        constraints = [
            models.CheckConstraint(condition=~Q(slug=""), name="lab_board_slug_not_empty"),
            models.CheckConstraint(
                condition=Q(health__in=["good", "maintenance", "bad", "retired"]),
                name="lab_board_health_known",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("lab:board", args=[self.slug])

    @property
    def bookable(self) -> bool:
        return self.health == self.Health.GOOD


class Reservation(models.Model):
    """A person's slot on a lab board: [starts_at, ends_at).

    Releasing early moves ends_at back to the moment of release, so the rest of the slot is
    free for others; cancelling (a board going into maintenance) takes the slot off the
    calendar and out of the overlap rule.
    """

    lab_board = models.ForeignKey(
        LabBoard, on_delete=models.CASCADE, related_name="reservations", verbose_name=_("board")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="lab_reservations",
        verbose_name=_("holder"),
    )
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    released_at = models.DateTimeField(_("released"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminded"), null=True, blank=True)
    created_at = models.DateTimeField(_("booked"), auto_now_add=True)

    class Meta:
        ordering = ["starts_at", "pk"]
        verbose_name = _("reservation")
        verbose_name_plural = _("reservations")
        indexes = [
            models.Index(fields=["lab_board", "starts_at"], name="reservation_board_start"),
            models.Index(fields=["user", "ends_at"], name="reservation_user_end"),
            models.Index(
                fields=["ends_at"],
                condition=Q(released_at__isnull=True, cancelled_at__isnull=True),
                name="reservation_open_end",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="reservation_ends_after_start"
            ),
            PostgresExclusionConstraint(
                name="reservation_no_overlap",
                expressions=[
                    ("lab_board", RangeOperators.EQUAL),
                    (
                        TsTzRange("starts_at", "ends_at", RangeBoundary()),
                        RangeOperators.OVERLAPS,
                    ),
                ],
                condition=Q(cancelled_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.lab_board} · {self.user} · {self.starts_at:%Y-%m-%d %H:%M}–{self.ends_at:%H:%M}"
        )

    def get_absolute_url(self) -> str:
        return reverse("lab:my_reservations") + f"#reservation-{self.pk}"
