"""Products, components and keywords are set up here; bugs are changed on the site, where the
services record every change (the admin shows them read-only)."""

from django.contrib import admin

from bugs.models import Bug, BugChange, Component, Keyword, Product


class ComponentInline(admin.TabularInline):
    model = Component
    extra = 0
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = ["default_assignee"]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "default_assignee", "order"]
    prepopulated_fields = {"slug": ("name",)}
    inlines = [ComponentInline]
    autocomplete_fields = ["default_assignee"]


@admin.register(Keyword)
class KeywordAdmin(admin.ModelAdmin):
    list_display = ["name", "description"]
    search_fields = ["name"]


class ChangeInline(admin.TabularInline):
    model = BugChange
    extra = 0
    can_delete = False
    fields = ["created_at", "actor", "field", "old_value", "new_value"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Bug)
class BugAdmin(admin.ModelAdmin):
    list_display = ["id", "summary", "product", "component", "status", "resolution", "severity"]
    list_filter = ["status", "resolution", "severity", "priority", "is_security", "product"]
    search_fields = ["summary"]
    list_select_related = ["product", "component"]
    inlines = [ChangeInline]

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        return False
