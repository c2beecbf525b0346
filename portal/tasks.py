"""The site's own tasks. Tasks are thin: they take plain values or ids and call a service."""

from __future__ import annotations

from celery import shared_task
from django.core.mail import EmailMultiAlternatives


@shared_task(
    name="portal.send_email",
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
)
def send_email(
    *,
    subject: str,
    body: str,
    to: list[str],
    from_email: str | None = None,
    html: str | None = None,
    headers: dict[str, str] | None = None,
) -> None:
    """Send one message through the configured mailer; retried when the SMTP server is away."""
    message = EmailMultiAlternatives(
        subject=subject, body=body, from_email=from_email, to=to, headers=headers or {}
    )
    if html:
        message.attach_alternative(html, "text/html")
    message.send()


@shared_task(name="portal.send_pending_tasks")
def send_pending_tasks() -> int:
    """The outbox's periodic part: tasks kept while the broker was away leave now."""
    from portal.outbox import send_pending

    return send_pending()


@shared_task(name="portal.send_daily_digests")
def send_daily_digests() -> int:
    """Beat runs this once a day (NOTIFICATION_DIGEST_HOUR); running it again sends nothing
    already sent."""
    from portal.notifications import send_digests

    return send_digests()


@shared_task(name="portal.renew_page", acks_late=False)
def renew_page(key: str, environ: dict[str, str], reader: int | None = None) -> int:
    """A kept page older than its time, rendered anew away from the web workers
    (portal.page_cache.lookup). Not run again if its worker is lost: the turn expires."""
    from portal.page_cache import renew

    return renew(key, environ, reader)
