"""What the JSON API (/api/v1/, assembled in portal/urls.py) shares: personal-token auth.

A request with `Authorization: Bearer est_...` acts as the token's owner, with the owner's
rights and nothing more; without the header it is anonymous. A bad token is refused (401), never
quietly treated as anonymous.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.http import HttpRequest
from ninja.errors import HttpError
from ninja.security import HttpBearer

from portal.services import user_for_api_token


class ApiTokenAuth(HttpBearer):
    """For writes: a live token is required."""

    def authenticate(self, request: HttpRequest, token: str) -> AbstractBaseUser | None:
        user = user_for_api_token(token)
        if user is not None:
            request.user = user
        return user


def api_user(request: HttpRequest) -> AbstractBaseUser | AnonymousUser:
    """For reads: the token's owner, or anonymous without a token (cookies are not used)."""
    header = request.headers.get("Authorization", "")
    if not header:
        return AnonymousUser()
    scheme, _space, secret = header.partition(" ")
    user = user_for_api_token(secret.strip()) if scheme.lower() == "bearer" else None
    if user is None:
        raise HttpError(401, "invalid or revoked API token")
    return user
