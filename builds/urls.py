"""The build pages, under /downloads/builds/ (the board slug `builds` is reserved for them)."""

from django.urls import path

from builds import views

app_name = "builds"
urlpatterns = [
    path("", views.build_list, name="list"),
    path("start/", views.build_start, name="start"),
    path("<int:pk>/", views.build_detail, name="detail"),
    path("<int:pk>/log/", views.build_log, name="log"),
    path("<int:pk>/log.txt", views.build_log_text, name="log_text"),
    path("<int:pk>/cancel/", views.build_cancel, name="cancel"),
    path("<int:pk>/retry/", views.build_retry, name="retry"),
    path("boot/<int:pk>/log.txt", views.boot_log, name="boot_log"),
    path("release/<str:version>/", views.release_builds, name="release"),
    path("release/<str:version>/publish/", views.release_publish, name="release_publish"),
]
