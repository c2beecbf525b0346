"""The notification centre's pages: the inbox, reading, mail preferences and the one-click
unsubscribe."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import ObjectDoesNotExist
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe

from portal import notifications
from portal.forms import MailPreferencesForm
from portal.models import Notification

PER_PAGE = 30


@login_required
@require_safe
def inbox(request: HttpRequest) -> HttpResponse:
    page = Paginator(notifications.inbox(request.user), PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "portal/notifications.html",
        {
            "page": page,
            "items": [(n, notifications.verb_phrase(n.verb)) for n in page.object_list],
        },
    )


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    """One choice per kind of notification: e-mail at once, in the daily digest, or never."""
    kinds = notifications.kinds()
    form = MailPreferencesForm(
        request.POST if request.method == "POST" else None,
        kinds=kinds,
        initial_choices=notifications.preferences_of(request.user),
    )
    if request.method == "POST":
        if form.is_valid():
            notifications.set_preferences(user=request.user, choices=form.cleaned_data)
            messages.success(request, _("Your notification e-mail choices were saved."))
            return redirect("notifications:preferences")
        return render(request, "portal/notification_preferences.html", {"form": form}, status=400)
    return render(request, "portal/notification_preferences.html", {"form": form})


@login_required
@require_safe
def open_notification(request: HttpRequest, pk: int) -> HttpResponse:
    """Follow a notification's link, marking it read on the way (not for a HEAD: a link
    checker or a mail client's preview only asked where it leads)."""
    item = get_object_or_404(Notification, pk=pk, recipient=request.user)
    if item.read_at is None and request.method == "GET":
        notifications.mark_read(user=request.user, ids=[item.pk])
    if not url_has_allowed_host_and_scheme(item.url, allowed_hosts={request.get_host()}):
        return redirect("notifications:inbox")
    return redirect(item.url)


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    count = notifications.mark_read(user=request.user)
    messages.success(request, _("%(count)d notifications marked read.") % {"count": count})
    return redirect("notifications:inbox")


@csrf_exempt  # RFC 8058 one-click: mail clients POST without a session; the token is signed.
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button (link scanners must not unsubscribe anyone); POST does it."""
    try:
        request_ = notifications.read_unsubscribe_token(token)
    except signing.BadSignature:
        return render(request, "portal/unsubscribe.html", {"invalid": True}, status=400)
    if request.method == "POST":
        try:
            done = notifications.apply_unsubscribe(token=token)
        except (signing.BadSignature, ObjectDoesNotExist):
            return render(request, "portal/unsubscribe.html", {"invalid": True}, status=400)
        return render(request, "portal/unsubscribe.html", {"done": done})
    return render(request, "portal/unsubscribe.html", {"token": token, "digest": request_.digest})
