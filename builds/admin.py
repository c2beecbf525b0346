"""Admin of recipes and builds. A recipe is code the workers run: only superusers edit it."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from builds.models import Build, BuildRecipe
from builds.services import BuildError, cancel_build


@admin.register(BuildRecipe)
class BuildRecipeAdmin(admin.ModelAdmin):
    list_display = ["name", "board", "distribution", "queue", "timeout_seconds", "enabled"]
    list_filter = ["enabled", "queue", "board"]
    search_fields = ["name", "board__slug", "description"]

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(Build)
class BuildAdmin(admin.ModelAdmin):
    list_display = ["pk", "recipe", "release", "state", "result", "progress", "created_at"]
    list_filter = ["state", "result", "trigger"]
    list_select_related = ["recipe__board", "release"]
    search_fields = ["release__version", "recipe__name", "recipe__board__slug"]
    actions = ["cancel"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Cancel the selected builds"), permissions=["view"])
    def cancel(self, request, queryset):
        for build in queryset.exclude(state=Build.State.FINISHED):
            try:
                cancel_build(build=build, user=request.user)
            except BuildError as exc:
                self.message_user(request, str(exc), messages.WARNING)
