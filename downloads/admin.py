from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from downloads.models import Artifact, Board, Distribution, Release
from downloads.services.publishing import PublishError, publish_release, update_release
from portal.markup import render_markdown


@admin.register(Board)
class BoardAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "soc", "arch", "support_level", "order"]
    list_filter = ["arch", "support_level"]
    search_fields = ["name", "slug", "soc", "vendor"]

    def save_model(self, request, obj, form, change):
        obj.description_html = render_markdown(obj.description, trusted=True).html
        super().save_model(request, obj, form, change)


@admin.register(Distribution)
class DistributionAdmin(admin.ModelAdmin):
    list_display = ["name", "version", "slug", "order"]


class ArtifactInline(admin.TabularInline):
    model = Artifact
    extra = 0
    can_delete = False
    fields = ["folder", "filename", "kind", "distribution", "size", "sha256", "download_count"]
    readonly_fields = fields
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        # Files are attached through the release pages or `publish_release --from-dir`,
        # which stream and checksum them.
        return False


@admin.register(Release)
class ReleaseAdmin(admin.ModelAdmin):
    list_display = ["version", "title", "status", "is_prerelease", "release_date", "published_at"]
    list_filter = ["status", "is_prerelease"]
    search_fields = ["version", "title"]
    fields = ["version", "title", "is_prerelease", "release_date", "notes"]
    inlines = [ArtifactInline]
    actions = ["publish"]

    def get_readonly_fields(self, request, obj=None):
        return ["version"] if obj else []

    def save_model(self, request, obj, form, change):
        if change:
            update_release(
                release=obj,
                title=obj.title,
                notes=obj.notes,
                is_prerelease=obj.is_prerelease,
                release_date=obj.release_date,
            )
        else:
            obj.notes_html = render_markdown(obj.notes, trusted=True).html
            obj.created_by = request.user
            super().save_model(request, obj, form, change)

    @admin.action(description=_("Publish the selected drafts"))
    def publish(self, request, queryset):
        for release in queryset:
            try:
                publish_release(release=release, user=request.user)
            except PublishError as exc:
                self.message_user(request, str(exc), messages.ERROR)
            else:
                self.message_user(request, _("%s published.") % release.version)


@admin.register(Artifact)
class ArtifactAdmin(admin.ModelAdmin):
    list_display = ["filename", "release", "board", "kind", "size", "download_count"]
    list_filter = ["kind", "board", "release__status"]
    search_fields = ["filename", "sha256", "release__version"]
    list_select_related = ["release", "board"]
    readonly_fields = [f.name for f in Artifact._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
