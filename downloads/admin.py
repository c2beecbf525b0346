from django.contrib import admin

from downloads.models import Board, Distribution


@admin.register(Board)
class BoardAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "soc", "arch", "support_level", "order"]
    list_filter = ["arch", "support_level"]
    search_fields = ["name", "slug", "soc", "vendor"]


@admin.register(Distribution)
class DistributionAdmin(admin.ModelAdmin):
    list_display = ["name", "version", "slug", "order"]
