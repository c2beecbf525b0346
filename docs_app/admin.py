from django.contrib import admin

from docs_app import fragments
from docs_app.models import DocImage, Page, PageRevision, Section


@admin.register(Section)
class SectionAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "order"]
    prepopulated_fields = {"slug": ["title"]}

    # Section titles are in every cached navigation and page: drop them once the change commits.
    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        fragments.bump_generation_on_commit()

    def delete_model(self, request, obj) -> None:
        super().delete_model(request, obj)
        fragments.bump_generation_on_commit()

    def delete_queryset(self, request, queryset) -> None:
        super().delete_queryset(request, queryset)
        fragments.bump_generation_on_commit()


class RevisionInline(admin.TabularInline):
    model = PageRevision
    fields = ["number", "author", "message", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False


@admin.register(Page)
class PageAdmin(admin.ModelAdmin):
    """Read-mostly: pages are written in the site's editor, which keeps revisions and search."""

    list_display = ["title", "section", "slug", "release", "language", "updated_at"]
    list_filter = ["section", "language", "release"]
    search_fields = ["title", "slug"]
    readonly_fields = [f.name for f in Page._meta.fields if f.name != "id"]
    inlines = [RevisionInline]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(DocImage)
class DocImageAdmin(admin.ModelAdmin):
    list_display = ["__str__", "width", "height", "uploaded_by", "created_at"]
    readonly_fields = ["width", "height", "uploaded_by", "created_at"]
