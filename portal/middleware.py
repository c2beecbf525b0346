"""Only under DEBUG (make run): a missing page shows the site's own 404, not Django's list of
every URL pattern. Tracebacks of real errors stay on, which is what DEBUG is for locally."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import Resolver404, get_resolver
from django.views.defaults import page_not_found


class SiteNotFoundMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            get_resolver(getattr(request, "urlconf", None)).resolve(request.path_info)
        except Resolver404 as exc:
            # CommonMiddleware (outside) still turns this into a redirect when only "/" is missing.
            return page_not_found(request, exc)
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception):
        if isinstance(exception, Http404):
            return page_not_found(request, exception)
        return None
