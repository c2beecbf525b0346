"""The site-wide notification centre: subscriptions, notifications and their e-mail.

Sections call `notify()` from their services; this module knows nothing of them: each section
registers its kinds of notification and how its verbs read (`register_kind`, `register_verb`)
from its AppConfig.ready(). Each notification is stored for the centre; its mail follows the
recipient's choice for its kind: at once, in the daily digest, or never. Every mail carries a
one-click unsubscribe link (a signed token: no login needed) and a List-Unsubscribe header.
Unsubscribing mutes the object the mail came through (a topic, a category), or, for mail about
the person themselves (mentions, likes), stops mail of that kind; a digest's link stops the
digest.
"""

from __future__ import annotations

import datetime
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
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from portal.models import Notification, Profile, Subscription
from portal.outbox import send_on_commit
from portal.tasks import send_email

UNSUBSCRIBE_SALT = "portal.notifications.unsubscribe"
UNREAD_CACHE_TIMEOUT = 300


class Delivery(models.TextChoices):
    """How a person wants mail of one kind of notification."""

    IMMEDIATE = "immediate", _("E-mail at once")
    DIGEST = "digest", _("Daily digest")
    NEVER = "never", _("Never e-mail (the centre only)")


# The kind of verbs no section gave one, and the key of a person's choice for kinds they
# never set (the old "no notification mail" switch became {"*": "never"}).
DEFAULT_KIND = "other"
ANY_KIND = "*"


@dataclass(frozen=True)
class Kind:
    """A kind of notification a person chooses mail for, e.g. "replies in what I watch"."""

    name: str
    label: str
    order: int = 100
    default: str = Delivery.IMMEDIATE


KINDS: dict[str, Kind] = {}
# What a notification says, per verb: "<actor> <phrase> <target title>", and its kind.
VERB_PHRASES: dict[str, str] = {}
VERB_KINDS: dict[str, str] = {}


def register_kind(name: str, label: str, *, order: int = 100, default: str = "") -> None:
    """A section names a kind of notification for the preferences page (idempotent)."""
    KINDS[name] = Kind(name=name, label=label, order=order, default=default or Delivery.IMMEDIATE)


def register_verb(verb: str, phrase: str, kind: str = DEFAULT_KIND) -> None:
    """A section names its own verbs (from its AppConfig.ready()), so portal holds no section's
    wording; `kind` says which choice on the preferences page governs their mail."""
    VERB_PHRASES[verb] = phrase
    VERB_KINDS[verb] = kind


def verb_phrase(verb: str) -> str:
    return str(VERB_PHRASES.get(verb, verb))


def verb_kind(verb: str) -> str:
    return VERB_KINDS.get(verb, DEFAULT_KIND)


def kinds() -> list[Kind]:
    """Registered kinds for the preferences page, the default kind last."""
    return sorted(KINDS.values(), key=lambda k: (k.name == DEFAULT_KIND, k.order, k.name))


register_kind(DEFAULT_KIND, _("Everything else"), order=1000)


def delivery_for(preferences: dict[str, str] | None, kind: str) -> str:
    """A person's choice for `kind`: their own, else their choice for unset kinds, else the
    kind's default. Kinds no section registered count as the default kind."""
    preferences = preferences or {}
    if kind not in KINDS:
        kind = DEFAULT_KIND
    choice = preferences.get(kind) or preferences.get(ANY_KIND)
    if choice in Delivery.values:
        return choice
    return KINDS[kind].default


def preferences_of(user: AbstractBaseUser) -> dict[str, str]:
    """Every registered kind with the person's delivery for it."""
    stored = (
        Profile.objects.filter(user=user).values_list("mail_preferences", flat=True).first() or {}
    )
    return {kind.name: delivery_for(stored, kind.name) for kind in kinds()}


@transaction.atomic
def set_preferences(*, user: AbstractBaseUser, choices: dict[str, str]) -> None:
    """Save the person's delivery per kind (kinds left out keep their choice)."""
    for kind, delivery in choices.items():
        if kind not in KINDS and kind != ANY_KIND:
            raise ValueError(f"unknown notification kind {kind!r}")
        if delivery not in Delivery.values:
            raise ValueError(f"unknown delivery {delivery!r}")
    profile, _created = Profile.objects.select_for_update().get_or_create(user=user)
    profile.mail_preferences = {**(profile.mail_preferences or {}), **choices}
    profile.save(update_fields=["mail_preferences", "updated_at"])


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


def level_subquery(*, user: AbstractBaseUser, model: type[models.Model]) -> models.Subquery:
    """subscription_level for each row of `model` in a query of it (the row's own query carries
    the reader's choice: no query of its own)."""
    content_type = ContentType.objects.get_for_model(model)
    return models.Subquery(
        Subscription.objects.filter(
            user=user, content_type=content_type, object_id=models.OuterRef("pk")
        ).values("level")[:1]
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


def unread_key(user_id: int) -> str:
    return f"notifications:unread:{user_id}"


def unread_count(user: AbstractBaseUser, *, kept: int | None = None) -> int:
    """The header's badge: a cached count (`kept` when the caller read it already with other
    keys), one indexed query when the cache is cold."""
    if not user.is_authenticated:
        return 0
    key = unread_key(user.pk)
    count = kept if kept is not None else cache.get(key)
    if count is None:
        count = Notification.objects.filter(recipient=user, read_at__isnull=True).count()
        cache.set(key, count, UNREAD_CACHE_TIMEOUT)
    return count


def _forget_unread(user_ids: Iterable[int]) -> None:
    cache.delete_many([unread_key(i) for i in user_ids])


def inbox(user: AbstractBaseUser) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user).select_related("actor")


@dataclass(frozen=True)
class Unsubscribe:
    user_id: int
    content_type_id: int | None
    object_id: int | None
    kind: str | None = None
    digest: bool = False


def unsubscribe_token(
    *,
    user_id: int,
    via: models.Model | None = None,  # the watched object: the link mutes it
    kind: str | None = None,  # else the link stops mail of this kind
    digest: bool = False,  # a digest's link stops the digest
) -> str:
    payload: dict[str, int | str] = {"u": user_id}
    if digest:
        payload["d"] = 1
    elif via is not None:
        content_type, object_id = _key(via)
        payload |= {"c": content_type.pk, "o": object_id}
    elif kind:
        payload["k"] = kind
    return signing.dumps(payload, salt=UNSUBSCRIBE_SALT, compress=True)


def read_unsubscribe_token(token: str) -> Unsubscribe:
    """Raises signing.BadSignature for a token that was not made here."""
    payload = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    if not isinstance(payload, dict) or not isinstance(payload.get("u"), int):
        raise signing.BadSignature("malformed unsubscribe token")
    kind = payload.get("k")
    return Unsubscribe(
        user_id=payload["u"],
        content_type_id=payload.get("c"),
        object_id=payload.get("o"),
        kind=kind if isinstance(kind, str) else None,
        digest=payload.get("d") == 1,
    )


@transaction.atomic
def apply_unsubscribe(*, token: str) -> str:
    """Carry out a one-click unsubscribe; returns a sentence saying what was done."""
    request = read_unsubscribe_token(token)
    user = get_user_model().objects.filter(pk=request.user_id, is_active=True).first()
    if user is None:
        raise signing.BadSignature("no such user")
    if request.digest:
        current = preferences_of(user)
        stop = {k: Delivery.NEVER for k, d in current.items() if d == Delivery.DIGEST}
        set_preferences(user=user, choices=stop)
        Notification.objects.filter(recipient=user, digest_due=True).update(digest_due=False)
        return gettext("You will no longer receive the daily digest.")
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
    if request.kind in KINDS:
        set_preferences(user=user, choices={request.kind: Delivery.NEVER})
        return gettext("You will no longer receive e-mail about: %(kind)s.") % {
            "kind": KINDS[request.kind].label
        }
    set_email_preference(user=user, enabled=False)
    return gettext("You will no longer receive notification e-mail.")


@transaction.atomic
def set_email_preference(*, user: AbstractBaseUser, enabled: bool) -> None:
    """Mail for every kind at once, or none: the old single switch."""
    delivery = Delivery.IMMEDIATE if enabled else Delivery.NEVER
    set_preferences(user=user, choices={ANY_KIND: delivery} | {k.name: delivery for k in kinds()})


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
    kind: str | None = None,
) -> list[Notification]:
    """Tell each recipient (never the actor) that `actor` did `verb` on `target`.

    `via` is the watched object that made this person a recipient (a topic, a category); the
    e-mail's unsubscribe link mutes it. Without it the link stops mail of this kind. `kind`
    overrides the kind the verb was registered with.
    """
    ids = {r if isinstance(r, int) else r.pk for r in recipients}
    if actor is not None:
        ids.discard(actor.pk)
    if not ids:
        return []
    kind = kind or verb_kind(verb)
    target_type, target_id = (None, None)
    if target is not None:
        target_type, target_id = _key(target)
    title = (title or (str(target) if target is not None else ""))[:300]
    now = timezone.now()
    # One query: who may get mail at all, with their choices; the rest get the centre only.
    mailable = {
        person.pk: person
        for person in get_user_model()
        .objects.filter(pk__in=ids, is_active=True)
        .exclude(email="")
        .select_related("profile")
        .only("pk", "email", "username", "profile__mail_preferences")
    }

    def delivery(user_id: int) -> str:
        person = mailable.get(user_id)
        if person is None:
            return Delivery.NEVER
        profile = getattr(person, "profile", None)
        return delivery_for(profile.mail_preferences if profile else None, kind)

    deliveries = {user_id: delivery(user_id) for user_id in ids}
    created = Notification.objects.bulk_create(
        [
            Notification(
                recipient_id=user_id,
                actor=actor,
                verb=verb,
                kind=kind[:30],
                target_type=target_type,
                target_id=target_id,
                target_title=title,
                url=url[:500],
                excerpt=excerpt[:1500],
                digest_due=deliveries[user_id] == Delivery.DIGEST,
                created_at=now,
            )
            for user_id in sorted(ids)
        ]
    )
    transaction.on_commit(lambda: _forget_unread(ids))
    at_once = [mailable[i] for i in sorted(ids) if deliveries[i] == Delivery.IMMEDIATE]
    _queue_mail(
        people=at_once, actor=actor, verb=verb, kind=kind, title=title, url=url, excerpt=excerpt,
        via=via,
    )  # fmt: skip
    return created


def _signature(unsubscribe_url: str, *, digest: bool = False) -> list[str]:
    preferences_url = _absolute(reverse("notifications:preferences"))
    stop = (
        gettext("Stop the daily digest: %(url)s")
        if digest
        else gettext("Stop these e-mails: %(url)s")
    )
    return [
        "-- ",
        stop % {"url": unsubscribe_url},
        gettext("Choose what is e-mailed to you: %(url)s") % {"url": preferences_url},
    ]


def _unsubscribe_headers(unsubscribe_url: str) -> dict[str, str]:
    return {
        "List-Unsubscribe": f"<{unsubscribe_url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def _queue_mail(
    *,
    people: list[AbstractBaseUser],
    actor: AbstractBaseUser | None,
    verb: str,
    kind: str,
    title: str,
    url: str,
    excerpt: str,
    via: models.Model | None,
) -> None:
    actor_name = actor.get_username() if actor is not None else gettext("Someone")
    for person in people:
        token = unsubscribe_token(user_id=person.pk, via=via, kind=kind)
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
                *_signature(unsubscribe_url),
            ]
        _mail_on_commit(
            to=person.email, subject=subject, lines=lines, unsubscribe_url=unsubscribe_url
        )


# --- The daily digest -----------------------------------------------------------------------


def send_digests(*, now: datetime.datetime | None = None) -> int:
    """Mail each person one digest of their notifications waiting for it; returns how many.

    Each person's batch is claimed and marked in one transaction with the mail queued on
    commit: a second or late run finds nothing left to send, and nothing is lost.
    """
    now = now or timezone.now()
    user_ids = list(
        Notification.objects.filter(digest_due=True, created_at__lte=now)
        .values_list("recipient_id", flat=True)
        .distinct()
        .order_by("recipient_id")
    )
    sent = 0
    for user_id in user_ids:
        sent += _send_digest(user_id=user_id, now=now)
    return sent


@transaction.atomic
def _send_digest(*, user_id: int, now: datetime.datetime) -> int:
    # skip_locked: two runs at once split the people between them instead of both mailing.
    due = list(
        Notification.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(recipient_id=user_id, digest_due=True, created_at__lte=now)
        .select_related("actor")
        .order_by("created_at", "id")
    )
    if not due:
        return 0
    Notification.objects.filter(pk__in=[n.pk for n in due]).update(
        digest_due=False, digested_at=now
    )
    person = (
        get_user_model()
        .objects.filter(pk=user_id, is_active=True)
        .exclude(email="")
        .select_related("profile")
        .first()
    )
    if person is None:
        return 0
    profile = getattr(person, "profile", None)
    preferences = profile.mail_preferences if profile else None
    # A kind switched to "never" since stays in the centre only.
    due = [n for n in due if delivery_for(preferences, n.kind) != Delivery.NEVER]
    if not due:
        return 0
    token = unsubscribe_token(user_id=person.pk, digest=True)
    unsubscribe_url = _absolute(reverse("notifications:unsubscribe", args=[token]))
    with translation.override(settings.LANGUAGE_CODE):
        subject = ngettext(
            "Your daily digest: %(count)d notification",
            "Your daily digest: %(count)d notifications",
            len(due),
        ) % {"count": len(due)}
        lines = [gettext("Hello %(name)s,") % {"name": person.get_username()}, ""]
        lines.append(gettext("Here is what happened since your last digest:"))
        lines.append("")
        for item in due:
            actor = item.actor.get_username() if item.actor else gettext("Someone")
            lines.append(f"* {actor} {verb_phrase(item.verb)} {item.target_title}")
            if item.excerpt:
                lines.append("  " + " ".join(item.excerpt.split())[:200])
            lines.append("  " + _absolute(item.url))
            lines.append("")
        lines.append(
            gettext("All your notifications: %(url)s")
            % {"url": _absolute(reverse("notifications:inbox"))}
        )
        lines.append("")
        lines.extend(_signature(unsubscribe_url, digest=True))
    _mail_on_commit(to=person.email, subject=subject, lines=lines, unsubscribe_url=unsubscribe_url)
    return 1


def _mail_on_commit(*, to: str, subject: str, lines: list[str], unsubscribe_url: str) -> None:
    """Every notification mail leaves through the outbox once the transaction commits: a broker
    away at that moment must not lose it (a digest's events are already marked sent)."""
    send_on_commit(
        send_email,
        subject=f"[Estuary] {subject}"[:250],
        body="\n".join(lines),
        to=[to],
        headers=_unsubscribe_headers(unsubscribe_url),
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
