"""Only under DEBUG (make run): a missing page shows the site's own 404, not Django's list of
every URL pattern. Tracebacks of real errors stay on, which is what DEBUG is for locally."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import Resolver404, get_resolver
from django.views.defaults import page_not_found

from portal import page_cache


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


class HeadWithoutBodyMiddleware:
    """A HEAD answered with the headers only, its streamed body never made. Django leaves
    dropping the body to the server, and gunicorn iterates it first: a HEAD on a thread's mbox
    built and gzipped every message, one on a release file read it from disk, to be thrown away.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.method == "HEAD" and response.streaming:
            response.close()  # the file it would have read, the cursor it would have opened
            response.streaming_content = []
        return response


class RequestSizeLimitMiddleware:
    """Refuse a body larger than its URL may carry before anything reads it (413).

    Django streams file uploads to temporary files and checks a form's own limit only once the
    whole body has arrived; nginx lets release images of gigabytes through. So each URL prefix
    gets a ceiling (REQUEST_MAX_BYTES_BY_PATH, longest prefix wins, REQUEST_MAX_BYTES otherwise)
    judged on Content-Length: the body is never read, no temporary file is written.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > request_limit(request.path_info):
            return request_too_large(request, limit=request_limit(request.path_info))
        return self.get_response(request)


def request_limit(path: str) -> int:
    from django.conf import settings

    found = ("", settings.REQUEST_MAX_BYTES)
    for prefix, limit in settings.REQUEST_MAX_BYTES_BY_PATH.items():
        if path.startswith(prefix) and len(prefix) > len(found[0]):
            found = (prefix, limit)
    return found[1]


def request_too_large(request: HttpRequest, *, limit: int) -> HttpResponse:
    from django.shortcuts import render
    from django.template.defaultfilters import filesizeformat
    from django.utils import translation
    from django.utils.translation import gettext as _

    # Refused before LocaleMiddleware: the thread still speaks whatever it served last.
    with translation.override(translation.get_language_from_request(request)):
        message = _("This request is larger than %(limit)s, the most this page accepts.") % {
            "limit": filesizeformat(limit)
        }
        response = render(request, "413.html", {"message": message}, status=413)
    # The client is still sending the body we refused: close rather than read it all.
    response["Connection"] = "close"
    return response


class AnonymousPageCacheMiddleware:
    """Whole pages for signed-out readers, from the cache before sessions or the database are
    touched (see portal/page_cache.py for what is kept and how it goes stale)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key = page_cache.page_key(request)
        if key is None:
            return self.get_response(request)
        gzipped = page_cache.accepts_gzip(request)
        lookup = page_cache.lookup(request, key, gzipped=gzipped)
        if lookup is None:  # a task renewing a reader's page
            return self.get_response(request)
        if lookup.response is not None:
            return lookup.response
        response = self.get_response(request)  # an error is a response here too (a 500)
        return page_cache.keep(key, lookup, request, response, gzipped=gzipped)


class ReaderPageCacheMiddleware:
    """Pages shared by the signed-in readers of one kind, each reader's own parts filled in
    (see portal/page_cache.py). Last in the list: the session, the user and the checks of the
    middlewares before it have run."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key = page_cache.reader_page_key(request)
        if key is None:
            return self.get_response(request)
        gzipped = page_cache.accepts_gzip(request)
        lookup = page_cache.lookup(
            request, key, page_cache.reader_keys(request, key), gzipped=gzipped
        )
        if lookup is None:
            return self.get_response(request)
        if lookup.response is not None:
            lookup.response.reader_parts = lookup.reader_parts
            filled = page_cache.for_reader(request, lookup.response, lookup, gzipped=gzipped)
            if filled is not None:
                return filled
            return self.get_response(request)  # their own page: rendered without marks
        request.shared_page = True  # templates render the reader's parts as marks
        response = self.get_response(request)
        page_cache.keep(key, lookup, request, response)
        if page_cache.is_renewal(request):  # no reader waits for it
            return response
        filled = page_cache.for_reader(request, response, lookup, gzipped=gzipped)
        if filled is not None:
            return filled
        # The view shared a page this reader may not get (theirs): rendered for them after all.
        request.shared_page = False
        return self.get_response(request)
