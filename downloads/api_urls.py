"""URLs of the catalogue's JSON API, included under /api/v1/ by portal/urls.py."""

from django.urls import path

from downloads import api, converters  # noqa: F401 (converters registers)

app_name = "downloads_api"
urlpatterns = [
    path("boards/", api.boards, name="boards"),
    path("boards/<slug:slug>/latest/", api.board_latest, name="board_latest"),
    path("releases/", api.releases, name="releases"),
    path("releases/<version:version>/", api.release, name="release"),
]
