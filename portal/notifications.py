"""The site-wide notification centre: subscriptions, notifications and their e-mail.

Sections call `notify()` from their services; this module knows nothing of them. Each
notification is stored for the centre and, when the recipient wants mail, sent by the worker
with a one-click unsubscribe link (a signed token: no login needed) and a List-Unsubscribe
header. Unsubscribing mutes the object the mail came through (a topic, a category), or, for
mail about the person themselves (mentions, likes), turns notification mail off.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.contenttypes.models import ContentType
from django.core import signing
from django.core.cache import cache
from django.db import models, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portal.models import Notification, Profile, Subscription
from portal.outbox import send_on_commit
from portal.tasks import send_email

UNSUBSCRIBE_SALT = "portal.notifications.unsubscribe"
UNREAD_CACHE_TIMEOUT = 300

# What a notification says, per verb: "<actor> <phrase> <target title>".
VERB_PHRASES = {
    "replied": _("replied in"),
    "mentioned": _("mentioned you in"),
    "liked": _("liked your post in"),
    "answered": _("marked your reply as the answer in"),
    "quoted": _("quoted you in"),
    "posted": _("started a topic in"),
    "moderated": _("moderated"),
}


def register_verb(verb: str, phrase: str) -> None:
    """A section names its own verbs (from its services), so portal holds no section's wording."""
    VERB_PHRASES[verb] = phrase


def verb_phrase(verb: str) -> str:
    return str(VERB_PHRASES.get(verb, verb))


# --- Subscriptions --------------------------------------------------------------------------


def _key(target: models.Model) -> tuple[ContentType, int]:
    return ContentType.objects.get_for_model(target), int(target.pk)


@transaction.atomic
def subscribe(
    *, user: AbstractBaseUser, target: models.Model, level: str = Subscription.Level.WATCHING
) -> Subscription:
    """Watch or mute `target`, replacing what the user had chosen before."""
    if level not in Subscription.Level.values:
        raise ValueError(f"unknown subscription level {level!r}")
    content_type, object_id = _key(target)
    subscription, _created = Subscription.objects.update_or_create(
        user=user, content_type=content_type, object_id=object_id, defaults={"level": level}
    )
    return subscription


@transaction.atomic
def subscribe_if_unset(*, user: AbstractBaseUser, target: models.Model) -> None:
    """Watch `target` unless the user already chose something for it (a mute stays a mute)."""
    content_type, object_id = _key(target)
    Subscription.objects.get_or_create(
        user=user,
        content_type=content_type,
        object_id=object_id,
        defaults={"level": Subscription.Level.WATCHING},
    )


@transaction.atomic
def unsubscribe(*, user: AbstractBaseUser, target: models.Model) -> None:
    """Forget the user's choice for `target`: neither watching nor muted."""
    content_type, object_id = _key(target)
    Subscription.objects.filter(user=user, content_type=content_type, object_id=object_id).delete()


def subscription_level(*, user: AbstractBaseUser, target: models.Model) -> str | None:
    if not user.is_authenticated:
        return None
    content_type, object_id = _key(target)
    return (
        Subscription.objects.filter(user=user, content_type=content_type, object_id=object_id)
        .values_list("level", flat=True)
        .first()
    )


def user_ids_with_level(*, target: models.Model, level: str) -> set[int]:
    content_type, object_id = _key(target)
    return set(
        Subscription.objects.filter(
            content_type=content_type, object_id=object_id, level=level
        ).values_list("user_id", flat=True)
    )


def watchers(*, targets: Iterable[models.Model]) -> set[int]:
    """Users who watch any of `targets`, in order of precedence (first = most specific).

    A mute on a more specific object wins over a watch on a broader one: muting a topic
    silences it even in a watched category.
    """
    result: set[int] = set()
    muted: set[int] = set()
    for target in targets:
        watching = user_ids_with_level(target=target, level=Subscription.Level.WATCHING)
        result |= watching - muted
        muted |= user_ids_with_level(target=target, level=Subscription.Level.MUTED)
    return result


# --- Notifications --------------------------------------------------------------------------


def _unread_key(user_id: int) -> str:
    return f"notifications:unread:{user_id}"


def unread_count(user: AbstractBaseUser) -> int:
    """The header's badge: a cached count, one indexed query when the cache is cold."""
    if not user.is_authenticated:
        return 0
    key = _unread_key(user.pk)
    count = cache.get(key)
    if count is None:
        count = Notification.objects.filter(recipient=user, read_at__isnull=True).count()
        cache.set(key, count, UNREAD_CACHE_TIMEOUT)
    return count


def _forget_unread(user_ids: Iterable[int]) -> None:
    cache.delete_many([_unread_key(i) for i in user_ids])


def inbox(user: AbstractBaseUser) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user).select_related("actor")


@dataclass(frozen=True)
class Unsubscribe:
    user_id: int
    content_type_id: int | None
    object_id: int | None


def unsubscribe_token(
    *, user_id: int, via: models.Model | None = None
) -> str:  # via: the watched object
    payload: dict[str, int] = {"u": user_id}
    if via is not None:
        content_type, object_id = _key(via)
        payload |= {"c": content_type.pk, "o": object_id}
    return signing.dumps(payload, salt=UNSUBSCRIBE_SALT, compress=True)


def read_unsubscribe_token(token: str) -> Unsubscribe:
    """Raises signing.BadSignature for a token that was not made here."""
    payload = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    if not isinstance(payload, dict) or not isinstance(payload.get("u"), int):
        raise signing.BadSignature("malformed unsubscribe token")
    return Unsubscribe(
        user_id=payload["u"], content_type_id=payload.get("c"), object_id=payload.get("o")
    )


@transaction.atomic
def apply_unsubscribe(*, token: str) -> str:
    """Carry out a one-click unsubscribe; returns a sentence saying what was done."""
    request = read_unsubscribe_token(token)
    user = get_user_model().objects.filter(pk=request.user_id, is_active=True).first()
    if user is None:
        raise signing.BadSignature("no such user")
    if request.content_type_id is not None and request.object_id is not None:
        content_type = ContentType.objects.get_for_id(request.content_type_id)
        Subscription.objects.update_or_create(
            user=user,
            content_type=content_type,
            object_id=request.object_id,
            defaults={"level": Subscription.Level.MUTED},
        )
        target = content_type.get_object_for_this_type(pk=request.object_id)
        return gettext("You will no longer hear about “%(target)s”.") % {"target": target}
    set_email_preference(user=user, enabled=False)
    return gettext("You will no longer receive notification e-mail.")


@transaction.atomic
def set_email_preference(*, user: AbstractBaseUser, enabled: bool) -> None:
    profile, _created = Profile.objects.get_or_create(user=user)
    profile.notify_by_email = enabled
    profile.save(update_fields=["notify_by_email", "updated_at"])


def _absolute(url: str) -> str:
    return url if url.startswith(("http://", "https://")) else settings.SITE_URL.rstrip("/") + url


@transaction.atomic
def notify(
    *,
    recipients: Iterable[AbstractBaseUser | int],
    actor: AbstractBaseUser | None,
    verb: str,
    target: models.Model | None,
    url: str,
    title: str = "",
    excerpt: str = "",
    via: models.Model | None = None,
) -> list[Notification]:
    """Tell each recipient (never the actor) that `actor` did `verb` on `target`.

    `via` is the watched object that made this person a recipient (a topic, a category); the
    e-mail's unsubscribe link mutes it. Without it the link turns notification mail off.
    """
    ids = {r if isinstance(r, int) else r.pk for r in recipients}
    if actor is not None:
        ids.discard(actor.pk)
    if not ids:
        return []
    target_type, target_id = (None, None)
    if target is not None:
        target_type, target_id = _key(target)
    title = (title or (str(target) if target is not None else ""))[:300]
    now = timezone.now()
    created = Notification.objects.bulk_create(
        [
            Notification(
                recipient_id=user_id,
                actor=actor,
                verb=verb,
                target_type=target_type,
                target_id=target_id,
                target_title=title,
                url=url[:500],
                created_at=now,
            )
            for user_id in sorted(ids)
        ]
    )
    transaction.on_commit(lambda: _forget_unread(ids))
    _queue_mail(ids=ids, actor=actor, verb=verb, title=title, url=url, excerpt=excerpt, via=via)
    return created


def _queue_mail(
    *,
    ids: set[int],
    actor: AbstractBaseUser | None,
    verb: str,
    title: str,
    url: str,
    excerpt: str,
    via: models.Model | None,
) -> None:
    people = (
        get_user_model()
        .objects.filter(pk__in=ids, is_active=True)
        .exclude(email="")
        .exclude(profile__notify_by_email=False)
        .only("pk", "email", "username")
    )
    actor_name = actor.get_username() if actor is not None else gettext("Someone")
    for person in people:
        token = unsubscribe_token(user_id=person.pk, via=via)
        unsubscribe_url = _absolute(reverse("notifications:unsubscribe", args=[token]))
        with translation.override(settings.LANGUAGE_CODE):
            subject = f"{actor_name} {verb_phrase(verb)} {title}"
            lines = [
                gettext("Hello %(name)s,") % {"name": person.get_username()},
                "",
                f"{subject}:",
                "",
                excerpt[:1500],
                "",
                _absolute(url),
                "",
                "-- ",
                gettext("Stop these e-mails: %(url)s") % {"url": unsubscribe_url},
            ]
        send_on_commit(
            send_email,
            subject=f"[Estuary] {subject}"[:250],
            body="\n".join(lines),
            to=[person.email],
            headers={
                "List-Unsubscribe": f"<{unsubscribe_url}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            },
        )


@transaction.atomic
def mark_read(*, user: AbstractBaseUser, ids: Iterable[int] | None = None) -> int:
    """Mark the user's notifications read (all when `ids` is None); returns how many."""
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    count = unread.update(read_at=timezone.now())
    transaction.on_commit(lambda: _forget_unread([user.pk]))
    return count
