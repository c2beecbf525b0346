from django.contrib import admin

from portal.models import NewsItem, Profile
from portal.services import save_news


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "display_name", "trust_level", "updated_at"]
    list_filter = ["trust_level"]
    search_fields = ["user__username", "user__email", "display_name"]
    raw_id_fields = ["user"]


@admin.register(NewsItem)
class NewsItemAdmin(admin.ModelAdmin):
    list_display = ["title", "published_at", "is_published"]
    list_filter = ["is_published"]
    search_fields = ["title", "body"]
    prepopulated_fields = {"slug": ["title"]}
    fields = ["title", "slug", "body", "published_at", "is_published"]

    def save_model(self, request, obj, form, change):
        # The rendered body is made by the service, never in save().
        if obj.author_id is None:
            obj.author = request.user
        save_news(item=obj)
