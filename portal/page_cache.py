"""Whole pages kept for signed-out readers, answered before sessions, users or the database,
and pages shared by the signed-in readers of one kind, each reader's own parts filled in (the
second half of this module, ReaderPageCacheMiddleware).

Most readers are not signed in and see the same page for the same address and language, so
AnonymousPageCacheMiddleware keeps the whole answer in the cache and gives it back in one round
trip: the page and the site-wide generation (portal.caching.PAGES) are read together, and a page
kept under an older generation is rendered again. The generation moves when any section bumps
its own (they already do when what readers see changes) and when any row of the site's own
models is saved or deleted (the catch-all below), so a reader sees a change at once; counters
moved with .update() and "3 minutes ago" are at most ANONYMOUS_PAGE_SECONDS old. A page whose
rows changed is rendered again by one request at a time; readers arriving during that render get
the old one (a busy page is never rendered by every worker at once). A page only older than its
time is rendered again by a Celery task while every reader gets the old one (`lookup`). Not so
when something was taken away from readers (a row deleted, a bug made a security bug, a post
hidden: `withdraw`, and the models' `withdrawing_fields`): a page kept before that is never
served again.

A page is kept only when nothing in it belongs to one visitor: no cookie set, no CSRF token or
CSP nonce used, no Cache-Control saying private/no-store/no-cache, no Vary on anything but the
cookie and the language, and a view that did not opt out (`not_kept_for_signed_out`: search,
whose free text makes endless addresses). What must still happen for every reader of a kept page
(a topic's view counted) is named with `on_every_read` and done on each answer from the cache.
Requests with a session, a message, or an Authorization header are never answered from it.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import io
import re
import struct
import sys
import threading
import time
import zlib
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass, field, replace
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIHandler
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.urls import Resolver404, resolve, reverse
from django.utils.cache import patch_vary_headers
from django.utils.crypto import salted_hmac
from django.utils.module_loading import import_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, get_language_from_request

from portal.caching import PAGES, WITHDRAWALS, Generation

# The apps whose rows readers see; a row of Django's own (sessions, permissions) changes no page.
SITE_APPS = {"portal", "downloads", "builds", "docs_app", "forum", "lists", "bugs", "lab"}
# Cookies that do not change a signed-out page: the CSRF cookie (a page that uses the token is
# not kept), the language (in the key as Django chooses it) and the replica pin (which database
# answers, not what it says). Any other cookie the visitor sends goes into the key.
NEUTRAL_COOKIES = {"CSRF_COOKIE_NAME", "LANGUAGE_COOKIE_NAME"}
# The cookies that matter are in the key or keep a request out; the language is in the key.
SAFE_VARY = {"cookie", "accept-language"}
PRIVATE_CACHE_CONTROL = {"private", "no-store", "no-cache"}
# The longest a stale page is served while one request renders it again (its render failed),
# or a task renews it; their turns, key suffixes.
RENDER_LOCK_SECONDS = 30
RENDERING, RENEWING = "rendering", "renewing"
RENDERING_NOW = 1
# How long a reader with no page to serve waits for the request that renders it, looking every
# MISS_POLL_SECONDS (a heavy page renders in 0.3 s on a busy machine).
MISS_WAIT_SECONDS = 3.0
MISS_POLL_SECONDS = 0.02
# How long one request's turn to make a reader's parts again lasts (they take milliseconds).
PARTS_LOCK_SECONDS = 5
# Bodies larger than this are kept apart from their entry, and copied in each process (_Bodies)
# up to BODIES_BYTES.
BIG_PAGE_BYTES = 64 * 1024
BODIES_BYTES = 64 * 1024 * 1024
# Signed-out pages are kept gzipped as well, and answered so to every browser that accepts it
# (all do): compressed once when kept, not on each answer, and a 300-message thread crosses the
# network as 40 KB instead of 440. Safe from BREACH-style guessing: a kept page holds no secret
# (keepable: no form token, no nonce, no reader's own part). Smaller pages fit a packet anyway.
COMPRESS_MIN_BYTES = 1024
COMPRESSIBLE_TYPES = (
    "text/", "application/json", "application/xml", "application/atom+xml",
    "application/rss+xml", "application/javascript", "image/svg+xml",
)  # fmt: skip


def not_kept_for_signed_out(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A view whose answer must be made for each request even when nobody is signed in (its
    side effect counts, or it must be live), without telling browsers not to cache it."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response.not_kept_for_signed_out = True
        return response

    wrapped.not_kept_for_signed_out = True  # its requests do not even ask (_never_kept)
    return wrapped


@functools.lru_cache(maxsize=4096)
def _never_kept(path: str) -> bool:
    """Whether the view at `path` opted out: no page of it is ever kept, so its requests need
    not look for one (a search's address differs by its query, not its path: one resolve per
    path and process)."""
    try:
        view = resolve(path).func
    except Resolver404:
        return False
    return getattr(view, "not_kept_for_signed_out", False)


def on_every_read(response: HttpResponse, function: str, *args: Any) -> HttpResponse:
    """What a kept page must still do for each reader (count a topic's view): `function`, a
    dotted path, is called with args on every answer from the cache too."""
    response.on_every_read = (function, args)
    return response


@functools.cache
def _probes() -> frozenset[str]:
    """The health probes and the status page: live answers that must not even ask the cache
    (/healthz/live touches nothing, and is the floor the benches measure pages against)."""
    return frozenset(reverse(name) for name in ("live", "healthz", "status"))


def _neutral_cookies() -> set[str]:
    from portal.replica import PIN_COOKIE

    return {getattr(settings, name) for name in NEUTRAL_COOKIES} | {PIN_COOKIE}


def _may_be_kept(request: HttpRequest) -> bool:
    """A read of a page (not a probe) with no message waiting in a cookie for this visitor."""
    if request.method not in ("GET", "HEAD") or settings.ANONYMOUS_PAGE_SECONDS <= 0:
        return False
    if request.path_info in _probes() or "HTTP_AUTHORIZATION" in request.META:
        return False
    if _never_kept(request.path_info):
        return False
    return not request.COOKIES.get(CookieStorage.cookie_name)  # emptied: no message left


def _address(request: HttpRequest) -> str | None:
    """The page asked for, as a key part: the address, the language and any cookie that could
    change the page (a session is judged apart: it is the reader)."""
    try:
        host = request.get_host()
    except Exception:  # DisallowedHost: the handler answers it as usual
        return None
    # A messages cookie here is an emptied one (_may_be_kept): it changes nothing.
    neutral = _neutral_cookies() | {settings.SESSION_COOKIE_NAME, CookieStorage.cookie_name}
    others = sorted((k, v) for k, v in request.COOKIES.items() if k not in neutral)
    address = "\n".join(
        [request.scheme, host, request.get_full_path(), *(f"{k}={v}" for k, v in others)]
    )
    digest = hashlib.sha256(address.encode("utf-8", "surrogateescape")).hexdigest()
    return f"{get_language_from_request(request)}:{digest}"


def page_key(request: HttpRequest) -> str | None:
    """The key of the page a signed-out request asks for, or None when it may not be kept."""
    if not _may_be_kept(request) or settings.SESSION_COOKIE_NAME in request.COOKIES:
        return None
    address = _address(request)
    return None if address is None else f"page:{address}"


def keepable(request: HttpRequest, response: HttpResponse) -> bool:
    """Whether the answer is the same for every signed-out reader of this address."""
    if request.method != "GET" or response.status_code != 200 or response.streaming:
        return False
    if response.cookies or getattr(response, "not_kept_for_signed_out", False):
        return False
    if getattr(request, "made_for_this_reader", False):  # a part kept for no one else
        return False
    # A page with a form token: CsrfViewMiddleware sets the cookie too, but a view that asked
    # for the token outside it (or a middleware order that changes) must not leak it either.
    if request.META.get("CSRF_COOKIE_NEEDS_UPDATE"):
        return False
    if getattr(request, "_csp_nonce", None):  # a LazyNonce is true once a page used it
        return False
    directives = {d.split("=", 1)[0] for d in _header_words(response, "Cache-Control")}
    if directives & PRIVATE_CACHE_CONTROL:
        return False
    return _header_words(response, "Vary") <= SAFE_VARY


def _header_words(response: HttpResponse, header: str) -> set[str]:
    return {w.strip().lower() for w in response.get(header, "").split(",") if w.strip()}


@dataclass
class Lookup:
    """What the cache had for a request: the page to answer with, or what to render and keep."""

    response: HttpResponse | None
    generation: int  # the one a page rendered now is kept under (read before rendering)
    renewing: bool = False  # this request took the turn to render a stale page again
    turn: str = RENDERING  # which turn (RENDERING or RENEWING), let go of once it is kept
    # The page answered took its turn to be rendered again, by a task (see lookup)
    renew_elsewhere: bool = False
    reader_parts: tuple | None = None  # a shared signed-in page: what fills in its reader's parts
    key: str = ""
    stored_at: float | None = None  # when the page answered (or kept now) was rendered
    extra: dict[str, Any] = field(default_factory=dict)  # the other keys read with the page
    withdrawals: int = 0  # WITHDRAWALS as read before rendering: kept with the page
    # A shared signed-in page's layout and texts deflated apart (read only for a reader who
    # accepts gzip, else None), filled in by for_reader
    reader_gzip: tuple[tuple, bytes | None] | None = None


class _Bodies:
    """This process's copies of the big pages' bodies, the least recently served dropped first.

    A 400 KB page (a 300-message thread) costs milliseconds to fetch from Redis and parse on
    every hit; kept here it costs a dictionary lookup. The kept entry names its body by the
    moment it was rendered, so a copy here is always the body of the entry read."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.items: OrderedDict[str, bytes] = OrderedDict()
        self.size = 0
        self.lock = threading.Lock()

    def get(self, name: str) -> bytes | None:
        with self.lock:
            body = self.items.get(name)
            if body is not None:
                self.items.move_to_end(name)
            return body

    def clear(self) -> None:
        with self.lock:
            self.items.clear()
            self.size = 0

    def put(self, name: str, body: bytes) -> None:
        with self.lock:
            if name in self.items or len(body) > self.limit:
                return
            self.items[name] = body
            self.size += len(body)
            while self.size > self.limit:
                _name, dropped = self.items.popitem(last=False)
                self.size -= len(dropped)


_bodies = _Bodies(BODIES_BYTES)


def accepts_gzip(request: HttpRequest) -> bool:
    """Whether the visitor's Accept-Encoding takes gzip ("gzip" or "*" with a weight above 0;
    an explicit "gzip;q=0" refuses it whatever "*" says)."""
    weights = {}
    for item in request.META.get("HTTP_ACCEPT_ENCODING", "").split(","):
        coding, _semicolon, parameters = item.partition(";")
        weight = 1.0
        for parameter in parameters.split(";"):
            name, _equals, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        weights[coding.strip().lower()] = weight
    return weights.get("gzip", weights.get("x-gzip", weights.get("*", 0.0))) > 0


def _compressed(response: HttpResponse, content: bytes) -> bytes | None:
    """The page gzipped, when its type compresses and it is worth it."""
    content_type = response.get("Content-Type", "")
    if len(content) < COMPRESS_MIN_BYTES or response.has_header("Content-Encoding"):
        return None
    if not content_type.startswith(COMPRESSIBLE_TYPES):
        return None
    # mtime=0: the same page compresses to the same bytes in every process.
    compressed = gzip.compress(content, mtime=0)
    return compressed if len(compressed) < len(content) else None


def _encoded(response: HttpResponse, compressed: bytes | None, use_it: bool) -> HttpResponse:
    """A page that has a gzipped copy: answered with it when `use_it`, and either way marked as
    varying with Accept-Encoding (a shared cache must not give one reader's copy to another)."""
    if compressed is None:
        return response
    patch_vary_headers(response, ["Accept-Encoding"])
    if use_it:
        response.content = compressed
        response.headers["Content-Encoding"] = "gzip"
        response.headers["Content-Length"] = str(len(compressed))
        etag = response.get("ETag", "")
        if etag.startswith('"'):  # no longer the same bytes (as GZipMiddleware marks it)
            response.headers["ETag"] = f"W/{etag}"
    return response


def _stash(
    stored: dict, key: str, kind: str, body: bytes | None
) -> tuple[bytes | None, str | None]:
    """A body kept in its entry, or apart under a name of its own when big (see _Bodies)."""
    if body is None or len(body) <= BIG_PAGE_BYTES:
        return body, None
    name = f"{key}:{kind}:{time.time_ns()}"
    stored[name] = body
    _bodies.put(name, body)
    return None, name


def _unstash(body: bytes | None, name: str | None) -> bytes | None:
    """The body _stash kept: from the entry, this process's copy, or the cache (None: expired)."""
    if name is None:
        return body
    body = _bodies.get(name)
    if body is None:
        body = cache.get(name)
        if body is not None:
            _bodies.put(name, body)
    return body


def read(
    key: str, extra_keys: list[str] | None = None, *, gzipped: bool = False, head: bool = False
) -> Lookup:
    """The kept page and the site-wide generation, in one round trip (a big page's body comes
    from this process's copy; a second round trip only the first time a process serves it), and
    any `extra_keys` with them (in Lookup.extra). `gzipped`: the reader accepts a gzipped body
    (a signed-out page kept with one is answered with it); `head`: a HEAD, which reads nothing
    (what is done on every read is not done for it).

    A page older than ANONYMOUS_PAGE_SECONDS or kept under an older generation is rendered
    again by one request at a time (a short lock); readers arriving meanwhile get the old page
    rather than all rendering it at once. A page there is none of (never kept, gone from the
    cache, or kept before a withdrawal) is rendered by one request too, and the readers
    arriving meanwhile wait for it (up to MISS_WAIT_SECONDS): a burst of readers on a page
    nobody asked for in minutes, or on every busy page after a withdrawal, renders it once."""
    found = _read_once(key, extra_keys, gzipped=gzipped, head=head)
    if found.response is not None or found.renewing or head:  # a HEAD is never kept
        return found
    turn = f"{key}:{RENDERING}"
    if cache.add(turn, RENDERING_NOW, timeout=RENDER_LOCK_SECONDS):
        return replace(found, renewing=True)
    # Another request renders it: wait for its page while its turn lasts. A turn let go with no
    # page kept (a 404, a page with a form token), or none seen at all (the cache is down: add
    # and get both fail open), and this reader renders it too.
    deadline = time.monotonic() + MISS_WAIT_SECONDS
    while cache.get(turn) == RENDERING_NOW and time.monotonic() < deadline:
        time.sleep(MISS_POLL_SECONDS)
        found = _read_once(key, extra_keys, gzipped=gzipped, head=head)
        if found.response is not None or found.renewing:
            return found
    return found


def _generations(found: dict[str, Any]) -> tuple[int, int]:
    """PAGES and WITHDRAWALS as read with a page: what a page rendered now is kept under."""
    generation = found.get(PAGES.key)
    if generation is None:
        generation = PAGES.current()
    # 0 until the first withdrawal (or when the cache lost it: pages kept since are not served)
    return generation, found.get(WITHDRAWALS.key, 0)


def _read_once(key: str, extra_keys: list[str] | None, *, gzipped: bool, head: bool) -> Lookup:
    """read, once: the page, the turn to render it again, or neither (no page to serve)."""
    found = cache.get_many([key, PAGES.key, WITHDRAWALS.key, *(extra_keys or [])])
    generation, withdrawals = _generations(found)
    kept = found.get(key)
    if not kept:
        return Lookup(None, generation, key=key, extra=found, withdrawals=withdrawals)
    kept_generation, stored_at, headers, content, body_name, on_read, *rest = kept
    # Older entries end at the reader's parts, the gzipped copy's name or the withdrawals.
    reader_parts, compressed, compressed_name, kept_withdrawals, layout = (
        *rest,
        *(None, None, None, 0, None)[len(rest) :],
    )
    if kept_withdrawals != withdrawals:  # it may show what readers may no longer see
        return Lookup(None, generation, key=key, extra=found, withdrawals=withdrawals)
    age = time.time() - stored_at
    changed = kept_generation != generation
    renew_elsewhere = False
    old_by_age = age >= settings.ANONYMOUS_PAGE_SECONDS
    if changed or (old_by_age and not settings.PAGE_RENEWAL_IN_TASKS):
        # This reader's turn to render it (not a HEAD's: its answer is never kept).
        if not head and cache.add(f"{key}:{RENDERING}", RENDERING_NOW, RENDER_LOCK_SECONDS):
            return Lookup(
                None, generation, renewing=True, key=key, extra=found, withdrawals=withdrawals
            )
    elif old_by_age and not head:
        # Only older than its time: this reader gets it too, and a task renders it anew (not
        # for a HEAD, which reads nothing: its render would count a view). A turn of its own: a
        # change meanwhile is still rendered by its reader, at once.
        renew_elsewhere = cache.add(f"{key}:{RENEWING}", 1, timeout=RENDER_LOCK_SECONDS)
    reader_gzip = None
    if layout is not None:  # a shared page: its texts deflated apart, filled in for_reader
        reader_gzip = (layout, _unstash(compressed, compressed_name) if gzipped else None)
        compressed = compressed_name = None
    has_compressed = compressed is not None or compressed_name is not None
    use_compressed = gzipped and has_compressed
    body = _unstash(*((compressed, compressed_name) if use_compressed else (content, body_name)))
    if body is None:  # the body expired before its entry: render it again
        return Lookup(None, generation, key=key, extra=found, withdrawals=withdrawals)
    if on_read and not renew_elsewhere and not head:  # else the render does it for this reader
        function, args = on_read
        import_string(function)(*args)
    response = HttpResponse(body)
    for name, value in headers:
        response.headers[name] = value
    if has_compressed:  # body is the gzipped copy when use_compressed
        _encoded(response, body, use_it=use_compressed)
    response["Age"] = str(max(0, int(age)))
    return Lookup(
        response,
        generation,
        reader_parts=reader_parts,
        key=key,
        stored_at=stored_at,
        extra=found,
        withdrawals=withdrawals,
        reader_gzip=reader_gzip,
        renew_elsewhere=renew_elsewhere,
    )


def keep(
    key: str, lookup: Lookup, request: HttpRequest, response: HttpResponse, *, gzipped: bool = False
) -> HttpResponse:
    """Keep the page rendered now when it may be (else forget an old one it would replace).
    Returns the answer to give: gzipped when `gzipped` (the reader accepts it) and a signed-out
    page was kept with a gzipped copy."""
    reader_parts = getattr(response, "reader_parts", None)
    signed_in = getattr(request, "shared_page", False)
    if keepable(request, response) and (reader_parts is not None or not signed_in):
        on_read = getattr(response, "on_every_read", None)
        headers = list(response.headers.items())
        stored: dict[str, Any] = {}
        content = response.content
        # A shared signed-in page is filled in for each reader: its texts are deflated apart.
        layout = None
        if reader_parts is None:
            compressed = _compressed(response, content)
        else:
            layout, compressed = _reader_gzip_layout(response, content) or (None, None)
            lookup.reader_gzip = None if layout is None else (layout, compressed)
        whole = compressed if layout is None else None
        content, body_name = _stash(stored, key, "body", content)
        compressed_stashed, compressed_name = _stash(stored, key, "gzip", compressed)
        lookup.stored_at = time.time()
        stored[key] = (
            lookup.generation,
            lookup.stored_at,
            headers,
            content,
            body_name,
            on_read,
            reader_parts,
            compressed_stashed,
            compressed_name,
            lookup.withdrawals,
            layout,
        )
        # Kept past its freshness so that a stale page can be served while one request renders.
        cache.set_many(stored, timeout=settings.ANONYMOUS_PAGE_SECONDS * 2)
        if lookup.renewing:
            cache.delete(f"{key}:{lookup.turn}")
        return _encoded(response, whole, use_it=gzipped)
    if lookup.renewing:  # the readers waiting for it render it themselves
        cache.delete_many([key, f"{key}:{lookup.turn}"])
    return response


# --- A page only older than its time, renewed away from its readers ---------------------------
#
# A kept page older than ANONYMOUS_PAGE_SECONDS is rendered again even when nothing it shows
# changed ("3 minutes ago", counters moved with .update()). The reader who finds it so gets the
# old page like everyone else, and a task renders it anew in a Celery worker (`renew`): a heavy
# page (the 300-message thread takes 300 ms) no longer holds back the other threads of a web
# worker every two minutes. A page whose rows changed is still rendered by the reader who finds
# it, who sees the change at once; so is any page while the broker is away.

# Keys of the request's environ, which no client can set (their headers come as HTTP_*): this
# request is a task's renewal of the page at that key, as that reader (a user's id).
RENEWAL = "portal.page_cache.renewal"
RENEWAL_READER = "portal.page_cache.renewal_reader"
# What of the reader's request the task's is made from: all that makes the page's key.
RENEWAL_ENVIRON = (
    "PATH_INFO", "SCRIPT_NAME", "QUERY_STRING", "SERVER_NAME", "SERVER_PORT", "SERVER_PROTOCOL",
    "wsgi.url_scheme", "REMOTE_ADDR", "HTTP_HOST", "HTTP_COOKIE", "HTTP_ACCEPT_LANGUAGE",
    "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST",
)  # fmt: skip


def lookup(
    request: HttpRequest, key: str, extra_keys: list[str] | None = None, *, gzipped: bool = False
) -> Lookup | None:
    """What the cache has for this request (see read), or the turn to render the page when the
    request is a task's renewal of it; None when it renews another page (the reader's, not the
    signed-out one at the same address)."""
    renewal = request.META.get(RENEWAL)
    if renewal is not None:
        if renewal != key:
            return None
        generation, withdrawals = _generations(cache.get_many([PAGES.key, WITHDRAWALS.key]))
        return Lookup(
            None, generation, renewing=True, key=key, withdrawals=withdrawals, turn=RENEWING
        )
    found = read(key, extra_keys, gzipped=gzipped, head=request.method == "HEAD")
    if found.renew_elsewhere and not _send_renewal(request, key):
        # Rendered by this reader after all, as for a change.
        return replace(found, response=None, renewing=True, renew_elsewhere=False, turn=RENEWING)
    return found


def is_renewal(request: HttpRequest) -> bool:
    return RENEWAL in request.META


def _send_renewal(request: HttpRequest, key: str) -> bool:
    from portal.outbox import try_send

    environ = {name: request.META[name] for name in RENEWAL_ENVIRON if name in request.META}
    reader = None
    if key.startswith("readerpage:"):  # as this reader, by id: their session stays theirs
        reader = request.user.pk
        cookies = {k: v for k, v in request.COOKIES.items() if k != settings.SESSION_COOKIE_NAME}
        environ["HTTP_COOKIE"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    # Not run once the turn is over: a reader after it renews the page again.
    return (
        try_send("portal.renew_page", [key, environ, reader], {}, expires=RENDER_LOCK_SECONDS)
        is None
    )


@functools.cache
def _handler() -> WSGIHandler:
    return WSGIHandler()


def renew(key: str, environ: dict[str, str], reader: int | None = None) -> int:
    """Render the page at `key` as the request made from `environ` would, and keep it (the
    task's side of lookup); the status it was rendered with (200 when kept)."""
    request_environ = {
        **environ,
        "REQUEST_METHOD": "GET",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": sys.stderr,
        RENEWAL: key,
    }
    if reader is not None:
        request_environ[RENEWAL_READER] = reader
    statuses: list[str] = []
    try:
        answer = _handler()(request_environ, lambda status, headers, *rest: statuses.append(status))
        answer.close()
    finally:
        cache.delete(f"{key}:{RENEWING}")  # kept, or not: the next reader may try again
    return int(statuses[0].split()[0]) if statuses else 500


# --- Pages shared by the signed-in readers of one kind ----------------------------------------
#
# A signed-in reader's page is the page every reader of their kind sees (same groups, same
# rights) plus a few parts of their own: the header's account menu, form tokens, and what a view
# names (unread badges, likes, a watch level). A view that can say which parts are the reader's
# renders them as marks, `<!--reader:NAME-->` (a form token as csrf_mark(), inside attributes),
# and names with shared_with_readers what fills them; the page is kept with its marks and each
# reader's copy is filled from the cache: no view, no template but the account menu.
# Rendered text cannot fake a mark: templates escape "<", post markup drops comments, and the
# token's mark is derived from the secret key.

MARK_OPENING = "<!--reader:"
MARK_NAME = re.compile(r"[\w.-]+")


def reader_mark(name: str) -> SafeString:
    """The mark a template or a view leaves where a reader's own part goes (safe: its name is
    the code's, never a visitor's)."""
    return mark_safe(f"{MARK_OPENING}{name}-->")  # noqa: S308  # nosec B308 B703


def mark_name(text: str) -> str | None:
    """The name of the mark that `text` is, or None when it is anything else."""
    if not (text.startswith(MARK_OPENING) and text.endswith("-->")):
        return None
    name = text[len(MARK_OPENING) : -len("-->")]
    return name if MARK_NAME.fullmatch(name) else None


@functools.cache
def csrf_mark() -> str:
    return (
        "reader-token-"
        + salted_hmac("portal.page_cache.csrf_mark", "mark", algorithm="sha256").hexdigest()[:24]
    )


def reader_form(template: str, **context: Hashable) -> str:
    """A reader's own form on a shared page (a watch button): the same for everyone who made
    the same choice, so rendered once per process and language, its token a mark that each
    reader's copy replaces with their own."""
    return _reader_form(template, get_language(), tuple(sorted(context.items())))


@functools.lru_cache(maxsize=4096)
def _reader_form(template: str, language: str, items: tuple) -> str:
    # `language` is in the arguments: it chooses the words.
    return render_to_string(template, {**dict(items), "csrf_token": csrf_mark()})


def shared_with_readers(response: HttpResponse, function: str | None = None, *args: Any):
    """Keep the page for every signed-in reader of this kind. `function` (a dotted path) is
    called as function(request, *args) for each reader and returns {mark name: html}, or None
    when this reader must get the page rendered for them (their own posts are on it)."""
    response.reader_parts = (function, args)
    return response


def reader_kind(user: AbstractBaseUser) -> str:
    """Who sees the same pages: the same rights and groups (the site shows nothing by user
    otherwise, except through marks)."""
    from portal.users import groups

    rights = f"{int(user.is_superuser)}{int(user.is_staff)}{int(user.is_active)}"
    return rights + ":" + ",".join(str(pk) for pk, _name in sorted(groups(user)))


def reader_page_key(request: HttpRequest) -> str | None:
    """The key of the shared page a signed-in reader asks for, or None (signed out, a message
    waiting for them, not a read)."""
    if not _may_be_kept(request):
        return None
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or "_messages" in request.session:
        return None
    address = _address(request)
    return None if address is None else f"readerpage:{reader_kind(user)}:{address}"


def fill_marks[Text: (str, bytes)](html: Text, parts: dict[str, str | Callable[[], str]]) -> Text:
    """Each mark replaced by its part (a callable is called once it is needed); marks nobody
    filled show nothing. A page's body is filled as bytes: decoding and encoding a 400 KB page
    cost more than the rest of its reader's copy."""
    as_bytes = isinstance(html, bytes)
    pieces, start = [], 0
    for at, stop, name in _marks(html):
        value = parts.get(name, "")
        value = value() if callable(value) else value
        pieces += [html[start:at], value.encode() if as_bytes else value]
        start = stop
    pieces.append(html[start:])
    return html[:0].join(pieces)


def _marks[Text: (str, bytes)](html: Text) -> Iterator[tuple[int, int, str]]:
    """Each mark in html, in order: where it starts and stops, and its name."""
    as_bytes = isinstance(html, bytes)
    opening, closing = (MARK_OPENING.encode(), b"-->") if as_bytes else (MARK_OPENING, "-->")
    start = 0
    while (at := html.find(opening, start)) >= 0:
        end = html.find(closing, at)
        name = html[at + len(opening) : end] if end >= 0 else html[:0]
        name = name.decode("ascii", "replace") if as_bytes else name
        if not MARK_NAME.fullmatch(name):  # not a mark: the text stays as it is
            start = at + len(opening)
            continue
        yield at, end + len(closing), name
        start = end + len(closing)


# A shared page is gzipped for each reader without compressing it again: when kept, the texts
# between the reader's parts (marks and form tokens) are deflated apart, each ended with a full
# flush, so that no text refers back to another's bytes; each reader's copy is those pieces
# with the reader's own parts between them as stored (uncompressed) blocks, and gzip's header
# and trailer. Safe from BREACH-style guessing: a reader's secrets (the form token) and their
# own parts are never compressed, and so never with text a visitor may have put in the page.
# The layout's name for a form token (no mark is named so: MARK_NAME), not a secret.
READER_TOKEN = ""  # nosec B105
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"  # deflate, no name, mtime 0
_GZIP_LAST_BLOCK = b"\x01\x00\x00\xff\xff"  # an empty stored block, marked the last
_STORED_BLOCK_BYTES = 0xFFFF


def _reader_gzip_layout(response: HttpResponse, content: bytes) -> tuple[tuple, bytes] | None:
    """A shared page's layout and its texts deflated apart (None when it is not worth it): the
    layout lists (start, stop, blob start, blob stop) for each text, and a mark's name (or
    READER_TOKEN) for each reader's part between them."""
    if len(content) < COMPRESS_MIN_BYTES or response.has_header("Content-Encoding"):
        return None
    if not response.get("Content-Type", "").startswith("text/html"):
        return None
    token = csrf_mark().encode()
    parts = [(at, stop, name) for at, stop, name in _marks(content)]
    at = content.find(token)
    while at >= 0:
        parts.append((at, at + len(token), READER_TOKEN))
        at = content.find(token, at + len(token))
    compressor = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    layout: list = []
    chunks: list[bytes] = []
    size = start = 0
    for at, stop, name in [*sorted(parts), (len(content), len(content), None)]:
        if at > start:
            chunk = compressor.compress(content[start:at]) + compressor.flush(zlib.Z_FULL_FLUSH)
            layout.append((start, at, size, size + len(chunk)))
            chunks.append(chunk)
            size += len(chunk)
        if name is not None:
            layout.append(name)
        start = stop
    return tuple(layout), b"".join(chunks)


def _gzipped_for_reader(
    content: bytes, layout: tuple, blob: bytes, part: Callable[[str], bytes]
) -> bytes:
    """The reader's copy, gzipped: the kept deflated texts, and `part(name)` for each of the
    reader's parts as stored blocks. The trailer's checksum runs over the page's text once."""
    text, deflated = memoryview(content), memoryview(blob)
    pieces: list[bytes | memoryview] = [_GZIP_HEADER]
    crc = length = 0
    for item in layout:
        if isinstance(item, tuple):
            start, stop, blob_start, blob_stop = item
            crc = zlib.crc32(text[start:stop], crc)
            length += stop - start
            pieces.append(deflated[blob_start:blob_stop])
            continue
        own = part(item)
        crc = zlib.crc32(own, crc)
        length += len(own)
        for at in range(0, len(own), _STORED_BLOCK_BYTES):
            block = own[at : at + _STORED_BLOCK_BYTES]
            pieces += [struct.pack("<BHH", 0, len(block), len(block) ^ 0xFFFF), block]
    pieces += [_GZIP_LAST_BLOCK, struct.pack("<II", crc, length & 0xFFFFFFFF)]
    return b"".join(pieces)


def reader_state(user_id: int) -> Generation:
    """Moves when the reader's own state does (their read marks, likes, watch levels): the parts
    filled in for them are kept until it or the page moves."""
    return Generation(f"reader:{user_id}", shown=False)


def reader_keys(request: HttpRequest, key: str) -> list[str]:
    """What a reader's copy of a kept page needs, read in the same round trip as the page."""
    from portal.notifications import unread_key

    user_id = request.user.pk
    return [reader_state(user_id).key, _parts_key(key, user_id), unread_key(user_id)]


def _parts_key(key: str, user_id: int) -> str:
    return f"{key}:reader:{user_id}"


def _reader_parts(request: HttpRequest, function: str, args: tuple, lookup: Lookup | None):
    """The view's parts for this reader: kept while neither the page nor their state moved.

    When only the page moved (rendered again), one of the reader's requests makes their parts
    anew and the others meanwhile get the ones made for the page before, as readers get the
    old page while one request renders it: a reader's tabs or parallel requests do not all
    make them at once. Their own state moved (they read a topic): made now, by each request."""
    if lookup is None or lookup.stored_at is None:
        return import_string(function)(request, *args)
    state = reader_state(request.user.pk)
    number = lookup.extra.get(state.key) or state.current()
    key = _parts_key(lookup.key, request.user.pk)
    found = lookup.extra.get(key)
    if found is not None and found[:2] == (number, lookup.stored_at):
        return found[2]
    making = found is not None and found[0] == number and found[2] is not None
    if making and not cache.add(f"{key}:making", 1, timeout=PARTS_LOCK_SECONDS):
        return found[2]
    parts = import_string(function)(request, *args)
    if parts is not None:
        # Kept past the page's own life: the old parts are what the reader's other requests
        # get while one request makes them for a page rendered again.
        timeout = settings.ANONYMOUS_PAGE_SECONDS * 4
        cache.set(key, (number, lookup.stored_at, parts), timeout=timeout)
    if making:
        cache.delete(f"{key}:making")
    return parts


def account_menu(user: AbstractBaseUser, unread: int | None = None) -> str:
    """The header's menu of a signed-in reader, its token a mark (`unread`: their count of
    unread notifications when read already)."""
    from portal.notifications import unread_count

    count = unread_count(user, kept=unread)
    return _account_menu(user.get_username(), user.is_staff, count, get_language())


def own_account_menu(request: HttpRequest) -> str:
    """The header's menu on a page rendered for its signed-in reader: the kept menu with the
    reader's own form token (a template's include of it cost each such page about 0.4 ms)."""
    return account_menu(request.user).replace(csrf_mark(), get_token(request))


@functools.lru_cache(maxsize=4096)
def _account_menu(username: str, is_staff: bool, unread: int, language: str) -> str:
    # The same for every page the reader reads until their unread count moves: rendered once
    # per process (the language is in the arguments: it chooses the words).
    context = {
        "user": {"username": username, "is_staff": is_staff},
        "unread_notifications": unread,
        "csrf_token": csrf_mark(),
    }
    return render_to_string("portal/_account_menu.html", context)


def for_reader(
    request: HttpRequest,
    response: HttpResponse,
    lookup: Lookup | None = None,
    *,
    gzipped: bool = False,
) -> HttpResponse | None:
    """The reader's copy of a page rendered with marks, or None when this reader must get it
    rendered for them. The account menu and form tokens are everyone's; the view's function
    fills its own parts (kept for the reader, see _reader_parts). `lookup` is what was read
    with the page; `gzipped`: the reader accepts gzip (a page kept with its texts deflated
    apart is answered so)."""
    from portal.notifications import unread_key

    function, args = getattr(response, "reader_parts", None) or (None, ())
    parts: dict[str, str | Callable[[], str]] = {}
    if function is not None:
        found = _reader_parts(request, function, args, lookup)
        if found is None:
            return None
        parts.update(found)
    if response.streaming or not response.get("Content-Type", "").startswith("text/html"):
        return response
    unread = lookup.extra.get(unread_key(request.user.pk)) if lookup else None
    parts.setdefault("account", lambda: account_menu(request.user, unread))
    token_mark = csrf_mark().encode()
    layout, blob = (lookup.reader_gzip if lookup else None) or (None, None)
    if layout is not None:
        patch_vary_headers(response, ["Accept-Encoding"])
    if not gzipped or blob is None:
        body = fill_marks(response.content, parts)
        if token_mark in body:
            body = body.replace(token_mark, get_token(request).encode())
        response.content = body
        return response

    token = get_token(request).encode()  # masked anew on each call: once for the whole page

    def part(name: str) -> bytes:
        if name == READER_TOKEN:
            return token
        value = parts.get(name, "")
        own = (value() if callable(value) else value).encode()
        return own.replace(token_mark, token) if token_mark in own else own

    return _encoded(response, _gzipped_for_reader(response.content, layout, blob, part), True)


# --- The catch-all: any row of the site's own models saved or deleted --------------------------


def _bump_on_commit() -> None:
    PAGES.bump()


def _withdraw_on_commit() -> None:
    WITHDRAWALS.bump()  # PAGES with it


def _bump(using: str, *, withdrawn: bool) -> None:
    # Now, so that this transaction's own reads (and tests, which never commit) see it, and once
    # more on commit, so that a page rendered from the old rows meanwhile is not kept as new.
    (WITHDRAWALS if withdrawn else PAGES).bump()
    connection = connections[using]
    if not connection.in_atomic_block:
        return  # committed already
    on_commit = _withdraw_on_commit if withdrawn else _bump_on_commit
    if any(entry[1] is on_commit for entry in connection.run_on_commit):
        return  # one bump on commit per transaction, however many rows it writes
    transaction.on_commit(on_commit, using=using)


def withdraw(using: str = DEFAULT_DB_ALIAS) -> None:
    """Something signed-out readers or members saw is no longer theirs to see (a post hidden
    with .update(), which no signal tells): no page kept before is served again, not even while
    it is rendered anew. Saved rows say it through their model's `withdrawing_fields`."""
    _bump(using, withdrawn=True)


def _changed(model: type, using: str, *, withdrawn: bool = False) -> None:
    if model._meta.app_label not in SITE_APPS or not getattr(model, "shown_to_signed_out", True):
        return
    _bump(using, withdrawn=withdrawn)


def _withdraws(sender: type, kwargs: dict[str, Any]) -> bool:
    """A row deleted, or saved with one of the fields that can take it away from readers
    (`withdrawing_fields`: a bug's is_security, a list's is_private); a save that names none of
    them (update_fields), or a new row, takes nothing away."""
    if "created" not in kwargs:  # post_delete: unless the model says its rows take nothing away
        return getattr(sender, "deleting_withdraws", True)
    fields = getattr(sender, "withdrawing_fields", frozenset())
    update_fields = kwargs.get("update_fields")
    return (
        bool(fields)
        and not kwargs["created"]
        and (update_fields is None or not fields.isdisjoint(update_fields))
    )


def reader_changed(user_id: int) -> None:
    """The reader's own state moved: the parts kept for them are filled anew (now, and once
    more on commit, as for pages)."""
    reader_state(user_id).bump_on_commit()


def _saved_or_deleted(sender: type, using: str = DEFAULT_DB_ALIAS, **kwargs: Any) -> None:
    _changed(sender, using, withdrawn=_withdraws(sender, kwargs))
    if getattr(sender, "is_reader_state", False):  # a row of one reader's own (a read mark)
        reader_changed(kwargs["instance"].user_id)


def _related(sender: type, action: str, using: str = DEFAULT_DB_ALIAS, **kwargs: Any) -> None:
    # sender is the table between the two models: it belongs to the app that declared the field.
    if action.startswith("post_"):
        _changed(sender, using)


def connect_signals() -> None:
    """Called once from PortalConfig.ready."""
    post_save.connect(_saved_or_deleted, dispatch_uid="page_cache.post_save")
    post_delete.connect(_saved_or_deleted, dispatch_uid="page_cache.post_delete")
    m2m_changed.connect(_related, dispatch_uid="page_cache.m2m_changed")
