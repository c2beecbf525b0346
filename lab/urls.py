from django.urls import path

import downloads.converters  # noqa: F401  (registers the "version" converter)
from lab import views

app_name = "lab"

urlpatterns = [
    path("", views.index, name="index"),
    path("calendar/", views.calendar, name="calendar"),
    path("reservations/", views.my_reservations, name="my_reservations"),
    path("reservations/<int:pk>/extend/", views.extend, name="extend"),
    path("reservations/<int:pk>/release/", views.release, name="release"),
    path("boards/<slug:slug>/", views.board, name="board"),
    path("boards/<slug:slug>/book/", views.book, name="book"),
    path("boards/<slug:slug>/health/", views.set_health, name="set_health"),
    path("caliper/", views.caliper_index, name="caliper"),
    path("caliper/upload/", views.upload, name="upload"),
    path("caliper/compare/", views.compare_pick, name="compare_pick"),
    path("caliper/board/<slug:slug>/", views.caliper_board, name="caliper_board"),
    path("caliper/release/<version:version>/", views.caliper_release, name="caliper_release"),
    path("caliper/runs/<int:pk>/", views.run, name="run"),
    path("caliper/runs/<int:pk>/<str:source>.yaml", views.run_file, name="run_file"),
    path(
        "caliper/compare/runs/<int:before>/<int:after>/",
        views.compare_two_runs,
        name="compare_runs",
    ),
    path(
        "caliper/compare/runs/<int:before>/<int:after>/csv/",
        views.compare_two_runs,
        {"as_csv": True},
        name="compare_runs_csv",
    ),
    path(
        "caliper/compare/<slug:slug>/<version:before>/<version:after>/",
        views.compare_releases,
        name="compare_releases",
    ),
    path(
        "caliper/compare/<slug:slug>/<version:before>/<version:after>/csv/",
        views.compare_releases,
        {"as_csv": True},
        name="compare_releases_csv",
    ),
]
