from django.urls import include, path

from downloads import views

app_name = "downloads"
urlpatterns = [
    path("", views.index, name="index"),
    # Builds come before the board catch-all so that "builds/" is never read as a board.
    path("builds/", include("downloads.build_urls")),
    path("<slug:slug>/", views.board, name="board"),
]
