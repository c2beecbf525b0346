from django.urls import path, re_path

from lists import feeds, views

app_name = "lists"
LIST = r"^(?P<list_name>[-\w]+)"
MESSAGE = LIST + r"/m/(?P<message_id>.+)"
urlpatterns = [
    path("", views.index, name="index"),
    path("<slug:list_name>/", views.list_page, name="list"),
    path("<slug:list_name>/atom/", feeds.ListFeed(), name="list_feed"),
    path("<slug:list_name>/search/", views.search, name="search"),
    path("<slug:list_name>/search.mbox.gz", views.search_mbox, name="search_mbox"),
    path("<slug:list_name>/<int:year>/<int:month>/", views.month_page, name="month"),
    path("<slug:list_name>/<int:year>/<int:month>.mbox.gz", views.month_mbox, name="month_mbox"),
    path("<slug:list_name>/t/<int:pk>/", views.thread_page, name="thread"),
    path("<slug:list_name>/t/<int:pk>.mbox.gz", views.thread_mbox, name="thread_mbox"),
    path("<slug:list_name>/t/<int:pk>/atom/", feeds.ThreadFeed(), name="thread_feed"),
    path("<slug:list_name>/t/<int:pk>/watch/", views.watch_thread, name="watch_thread"),
    # Message-IDs may hold "/": the message's own routes are matched first by their endings.
    re_path(MESSAGE + r"/raw$", views.raw_message, name="raw"),
    re_path(
        MESSAGE + r"/a/(?P<position>\d+)/(?P<filename>[^/]*)$", views.attachment, name="attachment"
    ),
    re_path(MESSAGE + r"/reply/$", views.reply, name="reply"),
    re_path(MESSAGE + r"/$", views.message_page, name="message"),
]
