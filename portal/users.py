"""The signed-in reader, without a query per request.

Django's AuthenticationMiddleware loads the user's row on every request, and each section then
asked for the user's groups. Here the row comes with its groups from the cache, kept until the
user or their groups change (signals drop it) or USER_TIMEOUT passes (what no signal announces,
a queryset update say). Only reads (GET, HEAD) take it: a write checks the row itself. The
session's hash is still checked on every request, so a password change or a logout elsewhere
ends the other sessions as before.
"""

from __future__ import annotations

from functools import partial

from django.conf import settings
from django.contrib import auth
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, get_user_model
from django.contrib.auth.middleware import AuthenticationMiddleware, auser
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.cache import cache
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpRequest
from django.utils.crypto import constant_time_compare
from django.utils.functional import SimpleLazyObject

from portal.page_cache import RENEWAL_READER

USER_TIMEOUT = 300


def groups(user: AbstractBaseUser | AnonymousUser) -> tuple[tuple[int, str], ...]:
    """The user's groups as (id, name): asked once, then kept on the user object (and with it
    in the cache)."""
    if not user.is_authenticated:
        return ()
    found = getattr(user, "_group_rows", None)
    if found is None:
        found = tuple(user.groups.values_list("id", "name"))
        user._group_rows = found
    return found


def group_names(user: AbstractBaseUser | AnonymousUser) -> frozenset[str]:
    return frozenset(name for _pk, name in groups(user))


def _key(user_id: object) -> str:
    return f"user:{user_id}"


def forget(user_id: object) -> None:
    cache.delete(_key(user_id))


def session_user(request: HttpRequest) -> AbstractBaseUser | AnonymousUser:
    """The session's user: from the cache when the session's hash still matches it, else as
    Django finds it (which also flushes a session whose hash no longer matches)."""
    renewing_for = request.META.get(RENEWAL_READER)
    if renewing_for is not None:  # a task renewing a shared page, as the reader who found it old
        return _user(renewing_for) or AnonymousUser()
    session = request.session
    user_id = session.get(auth.SESSION_KEY)
    if user_id is None:
        return AnonymousUser()
    if request.method not in ("GET", "HEAD"):
        return auth.get_user(request)
    found = cache.get(_key(user_id))
    if (
        found is not None
        and session.get(BACKEND_SESSION_KEY) in settings.AUTHENTICATION_BACKENDS
        and constant_time_compare(
            session.get(HASH_SESSION_KEY) or "", found.get_session_auth_hash()
        )
    ):
        return found
    user = auth.get_user(request)
    if user.is_authenticated:
        groups(user)
        cache.set(_key(user.pk), user, timeout=USER_TIMEOUT)
    return user


def _user(user_id: int) -> AbstractBaseUser | None:
    """The active user with this id, from the cache when kept there."""
    found = cache.get(_key(user_id))
    if found is None:
        found = get_user_model()._default_manager.filter(pk=user_id).first()
        if found is not None:
            groups(found)
            cache.set(_key(found.pk), found, timeout=USER_TIMEOUT)
    return found if found is not None and found.is_active else None


def _request_user(request: HttpRequest) -> AbstractBaseUser | AnonymousUser:
    if not hasattr(request, "_cached_user"):
        request._cached_user = session_user(request)
    return request._cached_user


class CachedAuthenticationMiddleware(AuthenticationMiddleware):
    """AuthenticationMiddleware with the user from the cache (see session_user)."""

    def process_request(self, request: HttpRequest) -> None:
        super().process_request(request)
        request.user = SimpleLazyObject(lambda: _request_user(request))
        request.auser = partial(auser, request)


def _user_changed(sender, instance, **kwargs) -> None:
    forget(instance.pk)


def _groups_changed(sender, instance, action, reverse, pk_set, **kwargs) -> None:
    if not action.startswith("post_") and action != "pre_clear":
        return
    if not reverse:
        forget(instance.pk)
    else:
        # A group's members changed from the group's side: each of them.
        for pk in pk_set or instance.user_set.values_list("pk", flat=True):
            forget(pk)


def connect() -> None:
    model = get_user_model()
    post_save.connect(_user_changed, sender=model, dispatch_uid="portal.users.saved")
    post_delete.connect(_user_changed, sender=model, dispatch_uid="portal.users.deleted")
    m2m_changed.connect(
        _groups_changed, sender=model.groups.through, dispatch_uid="portal.users.groups"
    )
