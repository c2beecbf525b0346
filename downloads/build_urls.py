"""The build pages, under /downloads/builds/ (included by downloads/urls.py)."""

from django.urls import path

from downloads import build_views as views

urlpatterns = [
    path("", views.build_list, name="build_list"),
    path("start/", views.build_start, name="build_start"),
    path("<int:pk>/", views.build_detail, name="build_detail"),
    path("<int:pk>/log/", views.build_log, name="build_log"),
    path("<int:pk>/log.txt", views.build_log_text, name="build_log_text"),
    path("<int:pk>/cancel/", views.build_cancel, name="build_cancel"),
    path("<int:pk>/retry/", views.build_retry, name="build_retry"),
    path("release/<str:version>/", views.release_builds, name="release_builds"),
    path("release/<str:version>/publish/", views.release_publish, name="release_builds_publish"),
]
