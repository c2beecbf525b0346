from django.urls import path

from bugs import views

app_name = "bugs"
urlpatterns = [
    path("", views.index, name="index"),
]
