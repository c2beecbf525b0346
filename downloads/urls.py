from django.urls import path

from downloads import views

app_name = "downloads"
urlpatterns = [
    path("", views.index, name="index"),
    path("<slug:slug>/", views.board, name="board"),
]
