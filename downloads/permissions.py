"""Who may use the release managers' pages: the rule itself is querysets.is_release_manager."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from downloads.querysets import is_release_manager
from portal.mfa import needs_second_factor, set_up_second_factor


def release_manager_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Sign-in first for visitors, 403 for people who do not manage releases, and a second
    factor first for release managers without one (portal/mfa.py)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_release_manager(request.user):
            raise PermissionDenied(_("Only release managers may do this."))
        if needs_second_factor(request.user):
            return set_up_second_factor(request)
        return view(request, *args, **kwargs)

    return wrapper
