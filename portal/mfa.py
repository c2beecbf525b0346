"""Two-factor authentication (allauth's MFA: an authenticator app and recovery codes), open to
everyone and required of the people whose account can change what everyone gets: staff, release
managers and moderators must have it before they publish, build, moderate or enter the admin.

Sections mark those views with `second_factor_required`; the admin is covered by
SecondFactorAdminMiddleware. A person without it is sent to set it up, with a word on why.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _

from portal.users import group_names

# Who must have a second factor, besides staff (names as in DESIGN: the site's groups).
PRIVILEGED_GROUPS = ("release-managers", "moderators")


def has_second_factor(user) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def needs_second_factor(user) -> bool:
    """True for a signed-in staff member, release manager or moderator without one yet."""
    if not settings.SECOND_FACTOR_REQUIRED or not user.is_authenticated:
        return False
    cached = getattr(user, "_needs_second_factor", None)
    if cached is None:
        privileged = user.is_staff or not group_names(user).isdisjoint(PRIVILEGED_GROUPS)
        cached = privileged and not has_second_factor(user)
        user._needs_second_factor = cached
    return cached


def set_up_second_factor(request: HttpRequest) -> HttpResponse:
    messages.warning(
        request,
        _(
            "Your account can publish, build, moderate or administer the site, so it needs "
            "two-factor authentication first. Set up an authenticator app below, then open "
            "the page again."
        ),
    )
    return HttpResponseRedirect(reverse("mfa_activate_totp"))


def second_factor_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if needs_second_factor(request.user):
            return set_up_second_factor(request)
        return view(request, *args, **kwargs)

    return wrapper


class SecondFactorAdminMiddleware:
    """The admin's own views cannot be decorated: check them as they are resolved."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if match is not None and match.app_name == "admin" and needs_second_factor(request.user):
            return set_up_second_factor(request)
        return None
