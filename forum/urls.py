from django.urls import path

from forum import feeds, views

app_name = "forum"
urlpatterns = [
    path("", views.index, name="index"),
    path("feed/", feeds.LatestTopicsFeed(), name="feed"),
    path("preview/", views.preview, name="preview"),
    path("moderation/", views.moderation_queue, name="moderation"),
    path("c/<slug:slug>/", views.category, name="category"),
    path("c/<slug:slug>/new/", views.new_topic, name="new_topic"),
    path("c/<slug:slug>/read/", views.mark_category_read, name="mark_category_read"),
    path("c/<slug:slug>/watch/", views.watch_category, name="watch_category"),
    path("c/<slug:slug>/feed/", feeds.CategoryFeed(), name="category_feed"),
    path("t/<int:pk>/", views.topic, name="topic"),
    path("t/<int:pk>/unread/", views.first_unread, name="first_unread"),
    path("t/<int:pk>/reply/", views.reply, name="reply"),
    path("t/<int:pk>/watch/", views.watch_topic, name="watch_topic"),
    path("t/<int:pk>/moderate/", views.moderate_topic, name="moderate_topic"),
    path("t/<int:pk>/feed/", feeds.TopicFeed(), name="topic_feed"),
    path("p/<int:pk>/", views.post, name="post"),
    path("p/<int:pk>/edit/", views.edit, name="edit"),
    path("p/<int:pk>/delete/", views.delete, name="delete"),
    path("p/<int:pk>/like/", views.like, name="like"),
    path("p/<int:pk>/answer/", views.answer, name="answer"),
    path("p/<int:pk>/flag/", views.flag, name="flag"),
    path("p/<int:pk>/revisions/", views.revisions, name="revisions"),
    path("p/<int:pk>/moderate/", views.moderate_post, name="moderate_post"),
]
