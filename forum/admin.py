from django.contrib import admin

from forum.models import Category, Flag, ModerationLog, Topic
from forum.services import save_category


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "parent", "position", "read_access", "post_access"]
    list_filter = ["read_access", "post_access"]
    prepopulated_fields = {"slug": ["name"]}
    fields = [
        "name",
        "slug",
        "description",
        "parent",
        "position",
        "read_access",
        "read_group",
        "post_access",
        "post_group",
    ]

    def save_model(self, request, obj, form, change):
        save_category(category=obj)


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    # Read-only here: topics change through the forum's moderation, which logs every action.
    list_display = ["title", "category", "author", "reply_count", "last_post_at", "is_hidden"]
    list_filter = ["is_pinned", "is_locked", "is_hidden"]
    search_fields = ["title"]
    raw_id_fields = ["author", "last_poster", "answer"]

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Flag)
class FlagAdmin(admin.ModelAdmin):
    list_display = ["post", "user", "reason", "resolution", "created_at"]
    list_filter = ["reason", "resolution"]
    raw_id_fields = ["post", "user", "resolved_by"]


@admin.register(ModerationLog)
class ModerationLogAdmin(admin.ModelAdmin):
    list_display = ["created_at", "moderator", "action", "topic", "reason"]
    list_filter = ["action"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False
