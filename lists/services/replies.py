"""Replying from the web (as HyperKitty does): the reply is recorded, then a worker sends it by
SMTP to the list's address with In-Reply-To and References; it is archived when the list
delivers it back, like any other mail."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage as MimeMessage
from email.utils import format_datetime, formataddr, make_msgid
from urllib.parse import urlsplit

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from lists.models import Message, WebReply
from portal.outbox import send_on_commit

MAX_BODY = 100_000


class ReplyError(ValueError):
    """A reply that cannot be sent; the message says why."""


def reply_addresses(user: AbstractBaseUser | AnonymousUser) -> list[str]:
    """The verified addresses a person may reply from (none when signed out)."""
    if not user.is_authenticated:
        return []
    return list(
        EmailAddress.objects.filter(user=user, verified=True)
        .order_by("-primary", "email")
        .values_list("email", flat=True)
    )


@transaction.atomic
def send_web_reply(
    *, user: AbstractBaseUser, message: Message, from_address: str, subject: str, body: str
) -> WebReply:
    """Record a reply and send it through the worker once the transaction commits."""
    from lists.tasks import deliver_web_reply

    if from_address not in reply_addresses(user):
        raise ReplyError(f"{from_address} is not a verified address of yours")
    body = body.strip()
    if not body:
        raise ReplyError("the reply is empty")
    if len(body) > MAX_BODY:
        raise ReplyError(f"the reply is longer than {MAX_BODY} characters")
    subject = " ".join(subject.split())[:300] or f"Re: {message.subject}"
    domain = urlsplit(settings.SITE_URL).hostname or "localhost"
    reply = WebReply.objects.create(
        message=message,
        author=user,
        from_address=from_address,
        subject=subject,
        body=body,
        sent_message_id=make_msgid(domain=domain)[1:-1],
    )
    send_on_commit(deliver_web_reply, reply.pk)
    return reply


def build_reply(reply: WebReply) -> MimeMessage:
    message = reply.message
    references = [*message.references, message.message_id][-20:]
    mime = MimeMessage()
    name = reply.author.get_full_name() or reply.author.get_username()
    mime["From"] = formataddr((name, reply.from_address))
    mime["To"] = message.mailing_list.posting_address
    mime["Subject"] = reply.subject
    mime["Date"] = format_datetime(reply.created_at)
    mime["Message-ID"] = f"<{reply.sent_message_id}>"
    mime["In-Reply-To"] = f"<{message.message_id}>"
    mime["References"] = " ".join(f"<{r}>" for r in references)
    mime["User-Agent"] = "Estuary Portal"
    mime.set_content(reply.body)
    return mime


def deliver_reply(*, reply_id: int) -> bool:
    """Send a recorded reply once (a repeated task finds it sent and does nothing)."""
    reply = (
        WebReply.objects.select_related("message", "message__mailing_list", "author")
        .filter(pk=reply_id, sent_at__isnull=True)
        .first()
    )
    if reply is None:
        return False
    mime = build_reply(reply)
    target = reply.message.mailing_list.reply_smtp
    if target:
        host, _sep, port = target.rpartition(":")
        with smtplib.SMTP(host or target, int(port or 25), timeout=30) as smtp:
            smtp.send_message(mime)
    else:
        outgoing = EmailMessage(
            subject=reply.subject,
            body=reply.body,
            from_email=mime["From"],
            to=[mime["To"]],
            headers={k: mime[k] for k in ("Message-ID", "In-Reply-To", "References", "Date")},
        )
        outgoing.send()
    WebReply.objects.filter(pk=reply.pk).update(sent_at=timezone.now())
    return True
