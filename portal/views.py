"""Pages of the site as a whole: home, news, profiles, settings, health."""

from __future__ import annotations

import logging
import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import check_for_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_POST, require_safe

from portal.avatars import identicon_svg
from portal.caching import NEWS, Fragment, fragment_parts, kept_key, marks_in, render_fragments
from portal.celery import app as celery_app
from portal.forms import ApiTokenForm, ProfileForm
from portal.models import ApiToken, Profile
from portal.page_cache import shared_with_readers
from portal.querysets import published_news
from portal.registry import registry
from portal.services import (
    ApiTokenError,
    create_api_token,
    revoke_api_token,
    update_profile,
)
from portal.timeline import page_number, timeline

logger = logging.getLogger(__name__)


def _home_fragments(request: HttpRequest) -> list[Fragment]:
    # Each block is rendered once per change of what it shows, then served from the cache.
    return [
        Fragment(
            key=kept_key(
                f"home:{block.name}", block.cache_version(request) if block.cache_version else None
            ),
            template=block.template,
            get_context=lambda block=block: {"block": block.get_context(request)},
            mark=f"home-{block.name}",
        )
        for block in registry.sorted_home_blocks()
    ]


def home(request: HttpRequest) -> HttpResponse:
    fragments = _home_fragments(request)
    fragments.append(
        Fragment(
            key=kept_key("home:news", NEWS.current()),
            template="portal/_home_news.html",
            get_context=lambda: {"news": list(published_news()[:3])},
        )
    )
    # Signed in, the page is shared by the readers of one kind: the blocks made for each reader
    # (the bugs they may see, their lists) are marks filled by home_reader_parts.
    shared = getattr(request, "shared_page", False)
    *blocks, news = render_fragments(request, fragments, shared=shared)
    response = render(request, "portal/home.html", {"blocks": blocks, "news_html": news})
    if shared:
        shared_with_readers(response, "portal.views.home_reader_parts", marks_in(blocks))
    return response


def home_reader_parts(request: HttpRequest, marks: tuple[str, ...]) -> dict[str, str] | None:
    """A signed-in reader's own blocks of the shared home page."""
    return fragment_parts(request, _home_fragments(request), marks)


def news_detail(request: HttpRequest, slug: str) -> HttpResponse:
    item = get_object_or_404(published_news(), slug=slug)
    return render(request, "portal/news_detail.html", {"item": item})


def news_list(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/news_list.html", {"news": list(published_news()[:50])})


def profile(request: HttpRequest, username: str) -> HttpResponse:
    user = get_object_or_404(get_user_model(), username=username, is_active=True)
    # A user made in the admin may have no profile yet: show defaults, write nothing.
    profile_obj = Profile.objects.filter(user=user).first() or Profile(user=user)
    sections = [
        {"template": section.template, "context": section.get_context(request, user)}
        for section in registry.sorted_profile_sections()
    ]
    activity = timeline(viewer=request.user, person=user, page=page_number(request.GET.get("page")))
    return render(
        request,
        "portal/profile.html",
        {"person": user, "profile": profile_obj, "sections": sections, "activity": activity},
    )


@require_safe
@cache_control(public=True, max_age=86400)
def avatar(request: HttpRequest, username: str) -> HttpResponse:
    # Drawn from the name alone: no query, so unknown names get a picture too (no user probing).
    return HttpResponse(identicon_svg(username), content_type="image/svg+xml")


@login_required
def account_settings(
    request: HttpRequest, *, token_form=None, new_token: str = "", status: int = 200
) -> HttpResponse:
    profile_obj = Profile.objects.filter(user=request.user).first()
    initial = {
        "display_name": profile_obj.display_name if profile_obj else "",
        "bio": profile_obj.bio if profile_obj else "",
    }
    posted = request.method == "POST" and token_form is None
    form = ProfileForm(request.POST if posted else None, initial=initial)
    if posted and form.is_valid():
        update_profile(user=request.user, **form.cleaned_data)
        messages.success(request, _("Your profile was saved."))
        return redirect("account_settings")
    context = {
        "form": form,
        "token_form": token_form or ApiTokenForm(),
        "tokens": list(ApiToken.objects.filter(user=request.user)),
        "new_token": new_token,
        "now": timezone.now(),
    }
    return render(request, "portal/settings.html", context, status=status)


@login_required
@require_POST
def api_token_create(request: HttpRequest) -> HttpResponse:
    """The secret is shown on this answer only (never redirected through a message cookie)."""
    form = ApiTokenForm(request.POST)
    if form.is_valid():
        try:
            _token, secret = create_api_token(user=request.user, **form.cleaned_data)
        except ApiTokenError as exc:
            form.add_error("name", str(exc))
        else:
            response = account_settings(request, token_form=ApiTokenForm(), new_token=secret)
            response["Cache-Control"] = "no-store"
            return response
    return account_settings(request, token_form=form, status=400)


@login_required
@require_POST
def api_token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    revoke_api_token(user=request.user, token=token)
    messages.success(request, _("The token was revoked."))
    return redirect("account_settings")


def _check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def _check_cache() -> str:
    # The cache fails open (portal/cache_backends.py): ask it whether Redis really answers.
    if hasattr(cache, "health"):
        cache.health()
    # A key of its own per request (threads share a process) that expires by itself.
    key = f"healthz:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=5)
    if cache.get(key) != "1":
        raise RuntimeError("value written to the cache could not be read back")
    return "ok"


def _check_broker() -> str:
    # A fresh connection each time: a pooled one may look connected after the broker died.
    with celery_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0.2, timeout=2)
    return "ok"


@never_cache
@require_safe
def live(request: HttpRequest) -> HttpResponse:
    """Liveness: this process answers. It touches nothing (no database, cache or broker), so a
    load balancer restarts a hung worker but never a healthy one over a busy database."""
    return HttpResponse(b"ok\n", content_type="text/plain")


def _health_report() -> dict[str, str]:
    checks = {"database": _check_database, "cache": _check_cache, "broker": _check_broker}
    report: dict[str, str] = {}
    for name, check in checks.items():
        try:
            report[name] = check()
        except Exception as exc:  # a health page reports every failure, whatever its kind
            logger.warning("healthz: %s failed: %s", name, exc)
            report[name] = f"error: {exc.__class__.__name__}"
    healthy = all(value == "ok" for value in report.values())
    report["status"] = "ok" if healthy else "degraded"
    return report


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """Readiness: 200 when the database, the cache and the broker all answer; 503 and the reason
    otherwise."""
    report = _health_report()
    return JsonResponse(report, status=200 if report["status"] == "ok" else 503)


@never_cache
@require_safe
def status(request: HttpRequest) -> HttpResponse:
    """What /healthz checks, for people: each service the site needs and whether it answers."""
    report = _health_report()
    services = [
        (_("Database"), _("pages, accounts, everything stored"), report["database"]),
        (_("Cache"), _("fast pages, counters, rate limits"), report["cache"]),
        (_("Task queue"), _("mail, notifications, builds"), report["broker"]),
    ]
    # A page for people answers 200 either way; machines read /healthz's status code.
    return render(
        request, "portal/status.html", {"services": services, "healthy": report["status"] == "ok"}
    )


@require_safe
def feeds(request: HttpRequest) -> HttpResponse:
    """Every Atom feed of the site, by section (what each section registered)."""
    groups = [
        {"label": group.label, "feeds": list(group.feeds())}
        for group in registry.sorted_feed_groups()
    ]
    news = {"label": _("News"), "feeds": [(_("Estuary news"), reverse("news_feed"))]}
    return render(request, "portal/feeds.html", {"groups": [news, *groups]})


@require_safe
def robots_txt(request: HttpRequest) -> HttpResponse:
    """Crawlers may read every public page; what is personal or only for managers is left out."""
    lines = [
        "User-agent: *",
        *(f"Disallow: {path}" for path in ROBOTS_DISALLOW),
        "",
        f"Sitemap: {settings.SITE_URL.rstrip('/')}{reverse('sitemap_index')}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain")


# Pages that are personal, for managers, or endless (search results): never worth a crawl.
ROBOTS_DISALLOW = (
    "/language/",
    "/admin/",
    "/accounts/",
    "/notifications/",
    "/search/",
    "/downloads/manage/",
    "/u/",
)


def safe_next(request: HttpRequest, fallback: str) -> str:
    """Where ?next= says to go back to, when that is a page of this site; else fallback."""
    target = request.GET.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


@require_safe
def switch_language(request: HttpRequest, code: str) -> HttpResponse:
    """The footer's language links: remember the language in Django's cookie and go back.

    A link, not a form: a form needs a CSRF token, which would make every page one visitor's
    own and keep it out of the page cache. Choosing how pages are shown changes nothing else,
    so a GET may do it (the links are nofollow and robots.txt keeps crawlers away)."""
    if code not in dict(settings.LANGUAGES) or not check_for_language(code):
        raise Http404("No such language.")
    response = redirect(safe_next(request, reverse("home")))
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        code,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response


@require_safe
def sitemap_index(request: HttpRequest) -> HttpResponse:
    """The index of every section's sitemap, at the public address (SITE_URL)."""
    base = settings.SITE_URL.rstrip("/")
    sections = ["portal", "news", *sorted(registry.sitemaps)]
    locations = [f"{base}{reverse('sitemap_section', args=[name])}" for name in sections]
    return render(
        request,
        "portal/sitemap_index.xml",
        {"locations": locations},
        content_type="application/xml",
    )
