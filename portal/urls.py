"""The site's URLs: the one place in portal/ that knows the sections."""

from django.conf import settings
from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.http import Http404
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog
from ninja import NinjaAPI

from bugs.api import router as bugs_api
from downloads.api import router as downloads_api
from lab.api import router as lab_api
from portal import notification_views, views
from portal.api import limit_api_patterns
from portal.feeds import NewsFeed
from portal.registry import registry
from portal.search import search_view
from portal.sitemaps import NewsSitemap, PortalSitemap


def section_sitemap(request, section: str):
    sitemaps = {"portal": PortalSitemap, "news": NewsSitemap, **registry.sitemaps}
    if section not in sitemaps:
        raise Http404("No such sitemap.")
    return sitemap(request, {section: sitemaps[section]}, section=section)


# The site's one JSON API: each section brings its Router. The docs page uses the Swagger UI
# files django-ninja ships, served from our own static files (no CDN).
api = NinjaAPI(
    title="Estuary API",
    version="1",
    urls_namespace="api",
    description="Downloads catalogue and bug tracker. Writes need a personal API token "
    "(Settings → API tokens), sent as `Authorization: Bearer <token>`.",
)
api.add_router("", downloads_api)
api.add_router("bugs/", bugs_api)
api.add_router("lab/", lab_api)
api_patterns, _app_name, _namespace = api.urls
limit_api_patterns(api_patterns)  # per IP and per token: settings.RATE_LIMITS["api"]
# Pages and scripts reverse the catalogue's endpoints as "downloads_api:<name>", as before.
DOWNLOADS_API_NAMES = {"boards", "board_latest", "releases", "release"}
downloads_api_aliases = [p for p in api_patterns if p.name in DOWNLOADS_API_NAMES]

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("healthz/live", views.live, name="live"),
    path("status/", views.status, name="status"),
    path("feeds/", views.feeds, name="feeds"),
    path("robots.txt", views.robots_txt, name="robots_txt"),
    path("sitemap.xml", views.sitemap_index, name="sitemap_index"),
    path("sitemap-<slug:section>.xml", section_sitemap, name="sitemap_section"),
    path("search/", search_view, name="search"),
    path("news/", views.news_list, name="news_list"),
    path("news/feed/", NewsFeed(), name="news_feed"),
    path("news/<slug:slug>/", views.news_detail, name="news_detail"),
    path("u/<str:username>/", views.profile, name="profile"),
    path("u/<str:username>/avatar.svg", views.avatar, name="avatar"),
    path(
        "notifications/",
        include(
            (
                [
                    path("", notification_views.inbox, name="inbox"),
                    path("<int:pk>/", notification_views.open_notification, name="open"),
                    path("read/", notification_views.mark_all_read, name="mark_all_read"),
                    path("preferences/", notification_views.preferences, name="preferences"),
                    path(
                        "unsubscribe/<str:token>/",
                        notification_views.unsubscribe,
                        name="unsubscribe",
                    ),
                ],
                "notifications",
            )
        ),
    ),
    path("accounts/settings/", views.account_settings, name="account_settings"),
    path("accounts/settings/tokens/", views.api_token_create, name="api_token_create"),
    path(
        "accounts/settings/tokens/<int:pk>/revoke/",
        views.api_token_revoke,
        name="api_token_revoke",
    ),
    path("accounts/", include("allauth.urls")),
    path("language/<str:code>/", views.switch_language, name="switch_language"),
    # Django's own language form (POST with a CSRF token), for whoever still posts to it.
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("admin/", admin.site.urls),
    # Before the catalogue, whose board pages would otherwise read "builds" as a board slug.
    path("downloads/builds/", include("builds.urls")),
    path("downloads/", include("downloads.urls")),
    path("api/v1/", (api_patterns, _app_name, _namespace)),
    path("api/v1/", include((downloads_api_aliases, "downloads_api"))),
    path("docs/", include("docs_app.urls")),
    path("forum/", include("forum.urls")),
    path("lists/", include("lists.urls")),
    path("bugs/", include("bugs.urls")),
    path("lab/", include("lab.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
