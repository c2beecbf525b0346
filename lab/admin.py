"""The lab in the admin: boards are edited here; health changes and reservations go through the
services (an admin action), so that holders get their notices."""

from django.contrib import admin, messages
from django.contrib.admin.options import ActionLocation
from django.utils.translation import gettext_lazy as _

from lab.errors import LabError
from lab.models import CaliperRun, LabBoard, Reservation
from lab.services.caliper import delete_run
from lab.services.reservations import set_health


@admin.register(LabBoard)
class LabBoardAdmin(admin.ModelAdmin):
    list_display = ["name", "board", "health", "order"]
    list_filter = ["health", "board"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["health", "health_note"]
    actions = ["to_maintenance", "to_good"]

    def _health(self, request, queryset, health: str) -> None:
        for lab_board in queryset:
            try:
                cancelled = set_health(lab_board=lab_board, health=health, user=request.user)
            except LabError as exc:
                self.message_user(request, str(exc), messages.ERROR)
                return
            self.message_user(
                request,
                _("%(board)s: %(count)d reservations cancelled")
                % {"board": lab_board.name, "count": len(cancelled)},
            )

    @admin.action(description=_("Put into maintenance (cancels the slots to come)"))
    def to_maintenance(self, request, queryset):
        self._health(request, queryset, LabBoard.Health.MAINTENANCE)

    @admin.action(description=_("Mark as in good health"))
    def to_good(self, request, queryset):
        self._health(request, queryset, LabBoard.Health.GOOD)


@admin.register(Reservation)
class ReservationAdmin(admin.ModelAdmin):
    list_display = ["lab_board", "user", "starts_at", "ends_at", "released_at", "cancelled_at"]
    list_filter = ["lab_board"]
    date_hierarchy = "starts_at"
    list_select_related = ["lab_board", "user"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(CaliperRun)
class CaliperRunAdmin(admin.ModelAdmin):
    list_display = ["host", "board", "release", "case_count", "failed_count", "created_at"]
    list_filter = ["board", "release"]
    list_select_related = ["board", "release"]
    search_fields = ["host", "cpu", "kernel"]
    actions = ["delete_runs"]
    exclude = ["host_yaml", "score_yaml", "score_post_yaml"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_actions(self, request, action_location=ActionLocation.CHANGE_LIST):
        # Deleting goes through the service (it bumps the kept comparisons), never the bulk one.
        actions = super().get_actions(request, action_location=action_location)
        actions.pop("delete_selected", None)
        return actions

    @admin.action(description=_("Delete the selected runs"), permissions=["delete"])
    def delete_runs(self, request, queryset):
        for run in queryset:
            delete_run(run=run)
