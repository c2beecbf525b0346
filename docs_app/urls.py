from django.contrib.sitemaps.views import sitemap
from django.urls import path

from docs_app import views
from docs_app.feeds import ChangedPagesFeed, DocsSitemap

app_name = "docs_app"
urlpatterns = [
    path("", views.index, name="index"),
    path("search/", views.search, name="search"),
    path("feed.atom", ChangedPagesFeed(), name="feed"),
    path("sitemap.xml", sitemap, {"sitemaps": {"docs": DocsSitemap}}, name="sitemap"),
    path("switch/", views.switch_version, name="switch_version"),
    path("board/", views.choose_board, name="choose_board"),
    path("preview/", views.preview, name="preview"),
    path("edit/new/", views.edit_page, name="create"),
    path("edit/<int:pk>/", views.edit_page, name="edit"),
    path("edit/<int:pk>/history/", views.history, name="history"),
    path("watch/<int:pk>/", views.watch_page, name="watch"),
    path("edit/<int:pk>/diff/<int:number>/", views.revision_diff, name="diff"),
    path("edit/<int:pk>/revert/<int:number>/", views.revert, name="revert"),
    path("images/", views.images, name="images"),
    path("broken/", views.broken_references, name="broken"),
    path("<str:version>/", views.version_index, name="version_index"),
    path("<str:version>/<slug:section>/", views.section_view, name="section"),
    path("<str:version>/<slug:section>/<slug:slug>/", views.page_view, name="page"),
    path("<str:version>/<slug:section>/<slug:slug>/print/", views.page_print, name="print"),
]
