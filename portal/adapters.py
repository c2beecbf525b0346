"""Hooks into allauth: profiles at sign-up, and its mail sent by the worker, not the request."""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.contrib.sites.shortcuts import get_current_site

from portal.outbox import send_on_commit
from portal.services import ensure_profile
from portal.tasks import send_email


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=commit)
        if commit:
            ensure_profile(user=user)
        return user

    def send_mail(self, template_prefix, email, context):
        # The same context allauth's own send_mail gives its templates ("Hello from Estuary!").
        request = allauth_context.request
        context = {
            "request": request,
            "email": email,
            "current_site": get_current_site(request),
            **context,
        }
        message = self.render_mail(template_prefix, email, context)
        html = next(
            (content for content, mimetype in message.alternatives if mimetype == "text/html"),
            None,
        )
        send_on_commit(
            send_email,
            subject=str(message.subject),
            body=message.body,
            to=list(message.to),
            from_email=message.from_email,
            html=html,
            headers={k: str(v) for k, v in message.extra_headers.items()},
        )
