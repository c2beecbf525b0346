"""The site's URLs plus one view that fails, to see the 500 page's headers."""

from django.urls import path

from portal.urls import urlpatterns as site_urlpatterns


def fail(request):
    raise RuntimeError("a view that fails, on purpose")


urlpatterns = [path("fail-for-test/", fail), *site_urlpatterns]
