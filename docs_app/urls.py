from django.urls import path

from docs_app import views

app_name = "docs_app"
urlpatterns = [
    path("", views.index, name="index"),
]
