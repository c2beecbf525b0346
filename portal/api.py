"""What the JSON API (/api/v1/, assembled in portal/urls.py) shares: personal-token auth.

A request with `Authorization: Bearer est_...` acts as the token's owner, with the owner's
rights and nothing more, and only reads unless the token's scope is write; without the header it
is anonymous. A bad or expired token is refused (401, saying which), never quietly treated as
anonymous.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import URLPattern
from ninja.errors import HttpError
from ninja.security import HttpBearer

from portal.models import ApiToken
from portal.ratelimits import retry_after
from portal.services import ApiTokenExpired, api_token_for, hash_api_token


def live_token(secret: str) -> ApiToken:
    """The token of that secret, or a 401 that says why (expired, or unknown or revoked)."""
    try:
        token = api_token_for(secret)
    except ApiTokenExpired as exc:
        raise HttpError(401, str(exc)) from exc
    if token is None:
        raise HttpError(401, "invalid or revoked API token")
    return token


class ApiTokenAuth(HttpBearer):
    """For writes: a live token with the write scope is required."""

    def authenticate(self, request: HttpRequest, token: str) -> AbstractBaseUser | None:
        found = live_token(token)
        if found.scope != ApiToken.Scope.WRITE:
            raise HttpError(403, "this token may only read: make a read-and-write token to write")
        request.user = found.user
        return found.user


def api_user(request: HttpRequest) -> AbstractBaseUser | AnonymousUser:
    """For reads (any scope): the token's owner, or anonymous without a token (cookies are not
    used)."""
    header = request.headers.get("Authorization", "")
    if not header:
        return AnonymousUser()
    scheme, _space, secret = header.partition(" ")
    if scheme.lower() != "bearer":
        raise HttpError(401, "invalid or revoked API token")
    return live_token(secret.strip()).user


def _token_account(request: HttpRequest) -> str | None:
    """The account an API request counts against: its token (a hash of it, never the secret)."""
    scheme, _space, secret = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        return None
    return "token:" + hash_api_token(secret.strip())[:32]


def api_rate_limited(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """settings.RATE_LIMITS["api"] for every API call, per IP address and per token, answered
    in JSON (429 with Retry-After), before the token is even looked up."""

    @wraps(view)
    def limited(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        wait = retry_after(request, "api", account=_token_account(request))
        if wait is not None:
            response = JsonResponse(
                {"detail": f"too many requests: try again in {wait} seconds"}, status=429
            )
            response["Retry-After"] = str(wait)
            return response
        return view(request, *args, **kwargs)

    return limited


def limit_api_patterns(patterns: list) -> list:
    """Wrap each of the API's views (the assembled NinjaAPI's URL patterns) in the limit."""
    for pattern in patterns:
        if isinstance(pattern, URLPattern):
            pattern.callback = api_rate_limited(pattern.callback)
    return patterns
