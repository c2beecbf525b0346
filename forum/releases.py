"""The forum's part in a release's story: the topic discussing it, in "Announcements".

Registered with portal (forum/registrations.py) as a release listener: it runs inside the
publishing transaction, so if the topic cannot be opened, nothing of the publish remains.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext

from downloads.models import Board
from forum.models import Access, Category, Topic
from forum.services import FORUM, _open_topic, _render, clean_title
from portal.registry import ReleaseEvent

ANNOUNCEMENTS = "announcements"


def announcements_category() -> Category:
    """The category where releases are announced and discussed; made the first time."""
    category, created = Category.objects.get_or_create(
        slug=ANNOUNCEMENTS,
        defaults={
            "name": "Announcements",
            "description": "Releases as they are published: ask about them here.",
            "position": 0,
            "read_access": Access.EVERYONE,
            "post_access": Access.MEMBERS,
        },
    )
    if created:
        FORUM.bump_on_commit()
    return category


def _announcer(event: ReleaseEvent) -> AbstractBaseUser:
    """Who opens the topic: the person publishing, else who made the release, else the site's
    own account (the nightly auto-publish has no person)."""
    if event.actor is not None and event.actor.is_authenticated:
        return event.actor
    if event.release.created_by_id:
        return event.release.created_by
    # Active, so that its profile (linked from the topic) opens; no password can sign it in.
    user, created = get_user_model().objects.get_or_create(username=settings.RELEASE_ANNOUNCER)
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


@transaction.atomic
def open_release_topic(event: ReleaseEvent) -> Topic:
    """The topic discussing a newly published release, tagged with its boards."""
    with translation.override(settings.LANGUAGE_CODE):
        # A draft news item is for staff only: the topic then points to the release page.
        news = event.news if event.news is not None and event.news.is_published else None
        lead = gettext("Read the announcement: [%(title)s](%(url)s)") % {
            "title": news.title if news else event.title,
            "url": news.get_absolute_url() if news else event.url,
        }
        source = "\n\n".join([lead, event.notes])
        topic = _open_topic(
            user=_announcer(event),
            category=announcements_category(),
            title=clean_title(event.title),
            source=source,
            rendered=_render(source),
            boards=[target for target in event.watched if isinstance(target, Board)],
            release=event.release,
        )
        event.links["topic"] = topic.get_absolute_url()
        event.more.append(
            gettext("Discuss it in the forum: [%(title)s](%(url)s)")
            % {"title": topic.title, "url": topic.get_absolute_url()}
        )
    return topic
