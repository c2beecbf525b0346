from django.urls import path

from bugs import feeds, views

app_name = "bugs"
urlpatterns = [
    path("", views.index, name="index"),
    path("feed/", feeds.BugQueryFeed(), name="feed"),
    path("export.csv", views.export_csv, name="csv"),
    path("mine/", views.mine, name="mine"),
    path("new/", views.new, name="new"),
    path("bulk/", views.bulk_edit, name="bulk_edit"),
    path("reports/", views.report, name="reports"),
    path("searches/", views.save_search, name="save_search"),
    path("searches/<int:search_id>/delete/", views.delete_search, name="delete_search"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/comment/", views.comment, name="comment"),
    path("<int:pk>/status/", views.change_status, name="status"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/cc/", views.cc, name="cc"),
    path("<int:pk>/dependencies/", views.dependency, name="dependency"),
    path("<int:pk>/tree/", views.tree, name="tree"),
    path("<int:pk>/attachments/<int:attachment_id>/", views.attachment, name="attachment"),
    path(
        "<int:pk>/attachments/<int:attachment_id>/download/",
        views.raw_attachment,
        name="attachment_raw",
    ),
    path(
        "<int:pk>/attachments/<int:attachment_id>/obsolete/",
        views.attachment_obsolete,
        name="attachment_obsolete",
    ),
]
