from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from lists.models import MailingList, MboxUpload, Message, Thread
from lists.services.ingestion import refresh_threads
from lists.services.uploads import queue_mbox_upload


@admin.register(MailingList)
class MailingListAdmin(admin.ModelAdmin):
    list_display = ["name", "title", "posting_address", "is_private"]
    list_filter = ["is_private"]
    search_fields = ["name", "title", "posting_address"]
    filter_horizontal = ["members"]


class ReadOnlyAdmin(admin.ModelAdmin):
    # Archived mail changes only through ingestion: what came in is kept as it came.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Thread)
class ThreadAdmin(ReadOnlyAdmin):
    list_display = ["subject", "mailing_list", "message_count", "last_activity"]
    list_filter = ["mailing_list"]
    search_fields = ["subject"]


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = ["subject", "mailing_list", "sender_email", "date", "has_note", "raw_link"]
    list_filter = ["mailing_list", "date_source"]
    search_fields = ["message_id", "subject", "sender_email"]
    exclude = ["raw", "search_vector"]
    raw_id_fields = ["thread", "parent"]

    @admin.display(boolean=True, description=_("note"))
    def has_note(self, obj):
        return bool(obj.note)

    @admin.display(description=_("original"))
    def raw_link(self, obj):
        url = reverse("lists:raw", args=[obj.mailing_list.name, obj.message_id])
        return format_html('<a href="{}">{}</a>', url, _("raw"))

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("mailing_list").defer("raw", "text")

    # Ingestion adds a batch's messages to its threads' counts and documents: what is deleted
    # here is taken out by recounting its threads in full.
    def delete_model(self, request, obj):
        thread_id = obj.thread_id
        super().delete_model(request, obj)
        refresh_threads({thread_id})

    def delete_queryset(self, request, queryset):
        thread_ids = set(queryset.values_list("thread", flat=True))
        super().delete_queryset(request, queryset)
        refresh_threads(thread_ids)


@admin.register(MboxUpload)
class MboxUploadAdmin(admin.ModelAdmin):
    list_display = [
        "file",
        "mailing_list",
        "state",
        "progress",
        "imported",
        "skipped",
        "created_at",
    ]
    list_filter = ["state", "mailing_list"]
    fields = ["mailing_list", "file"]
    readonly_fields = ["state", "progress", "imported", "skipped", "error"]

    @admin.display(description=_("progress"))
    def progress(self, obj):
        return format_html(
            '<progress max="100" value="{}">{} %</progress> {} %',
            obj.percent,
            obj.percent,
            obj.percent,
        )

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["mailing_list", "file"]
        return ["mailing_list", "file", "state", "progress", "imported", "skipped", "error"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["mailing_list", "file", "state", "progress", "imported", "skipped", "error"]

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if change:
            return
        saved = queue_mbox_upload(
            mailing_list=form.cleaned_data["mailing_list"],
            file=form.cleaned_data["file"],
            user=request.user,
        )
        obj.pk = saved.pk
