"""Readers watching a list thread: the site's notification centre (portal.notifications) tells
them when new mail is archived into it. Bulk imports of old mail notify nobody (see
archive_batch's `notify`): only mail delivered as it is sent (LMTP, an MTA pipe) does.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.contrib.contenttypes.models import ContentType
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from lists.models import MailingList, Message, Thread
from portal import notifications
from portal.models import Subscription

VERB = "list_message"
EXCERPT = 500

notifications.register_kind("lists", _("New mail in list threads you watch"), order=50)
notifications.register_verb(VERB, _("wrote in"), kind="lists")


def is_watching(*, user: AbstractBaseUser, thread: Thread) -> bool:
    level = notifications.subscription_level(user=user, target=thread)
    return level == Subscription.Level.WATCHING


def set_watching(*, user: AbstractBaseUser, thread: Thread, watching: bool) -> None:
    if watching:
        notifications.subscribe(user=user, target=thread)
    else:
        notifications.unsubscribe(user=user, target=thread)


def notify_watchers(*, mailing_list: MailingList, message_pks: list[int]) -> int:
    """Tell the watchers of the threads these new messages went into; returns how many
    notifications were made. One query when nobody watches any of the threads."""
    if not message_pks:
        return 0
    messages = list(
        Message.objects.filter(pk__in=message_pks)
        .select_related("thread")
        .only(
            "message_id",
            "subject",
            "text",
            "sender_email",
            "thread__subject",
            "thread__mailing_list_id",
            "date",
        )
        .order_by("date", "pk")
    )
    thread_type = ContentType.objects.get_for_model(Thread)
    watched = set(
        Subscription.objects.filter(
            content_type=thread_type,
            object_id__in={m.thread_id for m in messages},
            level=Subscription.Level.WATCHING,
        ).values_list("object_id", flat=True)
    )
    if not watched:
        return 0
    from allauth.account.models import EmailAddress

    # The sender, when a verified address names them, is the actor (and hears nothing of it).
    senders = dict(
        EmailAddress.objects.annotate(address=Lower("email"))
        .filter(address__in={m.sender_email for m in messages if m.sender_email}, verified=True)
        .values_list("address", "user_id")
    )
    readers = (
        set(mailing_list.members.values_list("pk", flat=True)) if mailing_list.is_private else None
    )
    actors: dict[int, AbstractBaseUser] = {}
    made = 0
    for message in messages:
        if message.thread_id not in watched:
            continue
        recipients = notifications.watchers(targets=[message.thread])
        if readers is not None:
            recipients &= readers  # a private list's watcher who left it hears nothing more
        actor_id = senders.get(message.sender_email)
        actor = None
        if actor_id is not None:
            if actor_id not in actors:
                from django.contrib.auth import get_user_model

                actors[actor_id] = get_user_model().objects.get(pk=actor_id)
            actor = actors[actor_id]
        made += len(
            notifications.notify(
                recipients=recipients,
                actor=actor,
                verb=VERB,
                target=message.thread,
                url=reverse("lists:message", args=[mailing_list.name, message.message_id]),
                title=message.thread.subject or message.subject,
                excerpt=message.text[:EXCERPT],
                via=message.thread,
            )
        )
    return made
