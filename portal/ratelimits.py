"""Rate limits for what people and clients do often (searching, posting, filing, the API): per
IP address and per account, counted in fixed windows in the cache (Redis in production, so
every web process shares the counts) and answered with 429 and Retry-After.

Sign-up, log-in and password reset are limited by allauth's own ACCOUNT_RATE_LIMITS; their 429
answers get a Retry-After from RetryAfterMiddleware.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

logger = logging.getLogger(__name__)

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd])\s*$")
# Retry-After for a 429 that names no window (allauth's): its shortest window is a minute.
DEFAULT_RETRY_AFTER = 60


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: int


def parse_rate(text: str) -> Rate:
    """'30/m' is 30 a minute, '100/h' 100 an hour, '5/10m' 5 in ten minutes."""
    match = _RATE.match(text)
    if not match:
        raise ValueError(f"not a rate: {text!r} (write it as 30/m, 100/h or 5/10m)")
    count, multiple, unit = match.groups()
    return Rate(count=int(count), seconds=int(multiple or 1) * _UNITS[unit])


def client_address(request: HttpRequest) -> str:
    """The client's address as the web server saw it (the proxy in front sets REMOTE_ADDR;
    X-Forwarded-For is never trusted). IPv6 clients count per /64, the block one host holds."""
    address = request.META.get("REMOTE_ADDR", "") or "unknown"
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False).network_address)
    return str(ip)


def _hit(key: str, rate: Rate, now: float) -> int | None:
    """Count one hit; the seconds until the window ends when the rate is exceeded, else None."""
    window = int(now // rate.seconds)
    cache_key = f"ratelimit:{key}:{rate.seconds}:{window}"
    if cache.add(cache_key, 1, timeout=rate.seconds + 1):
        count = 1
    else:
        try:
            count = cache.incr(cache_key)
        except ValueError:  # expired between add and incr: a new window
            cache.add(cache_key, 1, timeout=rate.seconds + 1)
            count = 1
    if count > rate.count:
        return max(1, int((window + 1) * rate.seconds - now) + 1)
    return None


def retry_after(request: HttpRequest, action: str, *, account: str | None = None) -> int | None:
    """Count this request against the action's limits; seconds to wait, or None if allowed.

    The account is the signed-in user, or what the caller names (the API: the token's owner).
    A cache that cannot be reached limits nothing: an outage costs protection, never pages."""
    if not settings.RATE_LIMITS_ENABLED:
        return None
    limits = settings.RATE_LIMITS.get(action, {})
    scopes = {"ip": client_address(request)}
    if account is not None:
        scopes["user"] = account
    elif request.user.is_authenticated:
        scopes["user"] = str(request.user.pk)
    now = time.time()
    waits = []
    try:
        for scope, who in scopes.items():
            if scope in limits:
                wait = _hit(f"{action}:{scope}:{who}", parse_rate(limits[scope]), now)
                if wait is not None:
                    waits.append(wait)
    except Exception:  # the cache is down: serve, and say so in the log
        logger.warning("rate limit of %s not counted: the cache did not answer", action)
        return None
    return max(waits) if waits else None


def too_many_requests(request: HttpRequest, seconds: int) -> HttpResponse:
    response = render(request, "429.html", {"retry_after": seconds}, status=429)
    response["Retry-After"] = str(seconds)
    return response


def rate_limited(action: str, *, methods: tuple[str, ...] = ("GET", "POST")) -> Callable:
    """Limit a view's requests of the given methods by settings.RATE_LIMITS[action]."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def limited(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.method in methods:
                wait = retry_after(request, action)
                if wait is not None:
                    return too_many_requests(request, wait)
            return view(request, *args, **kwargs)

        return limited

    return decorator


class RetryAfterMiddleware:
    """Give every 429 a Retry-After (allauth's own answers come without one)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code == 429 and not response.has_header("Retry-After"):
            response["Retry-After"] = str(DEFAULT_RETRY_AFTER)
        return response
