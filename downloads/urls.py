from django.urls import path

from downloads import converters, feeds, views  # noqa: F401 (converters registers)

app_name = "downloads"
urlpatterns = [
    path("", views.index, name="index"),
    path("feed/", feeds.ReleaseFeed(), name="feed"),
    path("KEY.asc", views.signing_key, name="key"),
    path("releases/", views.releases, name="releases"),
    path("releases/<version:version>/", views.release, name="release"),
    path("releases/<version:version>/<sums:name>", views.checksums, name="release_checksums"),
    path("releases/<version:version>/<slug:folder>/", views.folder, name="folder"),
    path(
        "releases/<version:version>/<slug:folder>/<sums:name>",
        views.checksums,
        name="folder_checksums",
    ),
    path(
        "releases/<version:version>/<slug:folder>/<filename:filename>",
        views.download,
        name="file",
    ),
    path("latest/<slug:folder>/<filename:filename>", views.latest, name="latest"),
    path("manage/", views.manage, name="manage"),
    path("manage/<version:version>/", views.manage_release, name="manage_release"),
    path("manage/<version:version>/edit/", views.manage_edit, name="manage_edit"),
    path("manage/<version:version>/upload/", views.manage_upload, name="manage_upload"),
    path("manage/<version:version>/attach/", views.manage_attach, name="manage_attach"),
    path("manage/<version:version>/remove/<int:pk>/", views.manage_remove, name="manage_remove"),
    path("manage/<version:version>/publish/", views.manage_publish, name="manage_publish"),
    path("manage/<version:version>/withdraw/", views.manage_withdraw, name="manage_withdraw"),
    path("watch-releases/", views.watch_releases, name="watch_releases"),
    path("<slug:slug>/", views.board, name="board"),
    path("<slug:slug>/watch/", views.watch_board, name="watch_board"),
    path("<slug:slug>/feed/", feeds.BoardReleaseFeed(), name="board_feed"),
]
