"""A release's story told site-wide: its news item, what each section adds, who hears of it.

The catalogue calls `release_published` / `release_withdrawn` from inside its publishing
transaction with a neutral ReleaseEvent; the sections take part through the listeners they
register (portal.registry.ReleaseListener). Nothing here knows a section: if any part fails,
the exception leaves the transaction and nothing of the publish remains.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import translation
from django.utils.text import slugify
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portal import notifications
from portal.models import NewsItem
from portal.registry import ReleaseEvent, registry
from portal.services import save_news

PUBLISHED = "release_published"
WITHDRAWN = "release_withdrawn"

notifications.register_kind("releases", _("New and withdrawn releases of what you watch"), order=20)
notifications.register_verb(PUBLISHED, _("published"), kind="releases")
notifications.register_verb(WITHDRAWN, _("withdrew"), kind="releases")


def _unique_slug(base: str) -> str:
    base = slugify(base)[:190] or "release"
    slug, n = base, 1
    while NewsItem.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def _author(actor: AbstractBaseUser | None) -> AbstractBaseUser | None:
    return actor if actor is not None and actor.is_authenticated else None


@transaction.atomic
def release_published(event: ReleaseEvent) -> NewsItem:
    """Make the release's news item (a draft for staff under RELEASE_NEWS_DRAFT), let every
    listener add its part, then tell the watchers of its boards and of the releases."""
    listeners = registry.sorted_release_listeners()
    parts = [event.notes.strip()]
    # Stored text is in the site's language, whoever publishes.
    with translation.override(settings.LANGUAGE_CODE):
        parts += [text.strip() for r in listeners if r.notes and (text := r.notes(event.release))]
        title = gettext("%(release)s is out") % {"release": event.title}
    news = NewsItem(
        title=title[:200],
        slug=_unique_slug(f"{event.title}-released"),
        body="\n\n".join(p for p in parts if p),
        author=_author(event.actor),
        is_published=not settings.RELEASE_NEWS_DRAFT,
    )
    save_news(item=news)
    event.news = news
    event.links["news"] = news.get_absolute_url()
    for listener in listeners:
        if listener.published:
            listener.published(event)
    if event.more:
        news.body = "\n\n".join([news.body, *event.more])
        save_news(item=news)
    _tell_watchers(event, verb=PUBLISHED, excerpt=event.notes)
    return news


@transaction.atomic
def release_withdrawn(event: ReleaseEvent) -> None:
    """Tell the same people as at publishing why the release is withdrawn and what replaces it."""
    for listener in registry.sorted_release_listeners():
        if listener.withdrawn:
            listener.withdrawn(event)
    _tell_watchers(event, verb=WITHDRAWN, excerpt=withdrawal_text(event))


def withdrawal_text(event: ReleaseEvent) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        lines = [gettext("Why: %(reason)s") % {"reason": event.reason or gettext("not given")}]
        if event.replacement:
            title, url = event.replacement
            lines.append(gettext("Use instead: %(title)s") % {"title": title})
            lines.append(settings.SITE_URL.rstrip("/") + url)
        else:
            lines.append(gettext("No release replaces it yet."))
    return "\n".join(lines)


def _tell_watchers(event: ReleaseEvent, *, verb: str, excerpt: str) -> None:
    # One notify() per watched object, so that each mail's unsubscribe link mutes what made
    # that person a recipient (the board, or the releases as a whole); a mute on a board
    # still wins over a watch on all releases (watchers() orders by precedence).
    everyone = notifications.watchers(targets=event.watched)
    told: set[int] = set()
    for target in event.watched:
        ids = (notifications.watchers(targets=[target]) & everyone) - told
        if not ids:
            continue
        told |= ids
        notifications.notify(
            recipients=ids,
            actor=_author(event.actor),
            verb=verb,
            target=event.release,
            url=event.url,
            title=event.title,
            excerpt=excerpt[:1500],
            via=target,
        )
