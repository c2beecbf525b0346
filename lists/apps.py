from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ListsConfig(AppConfig):
    name = "lists"
    verbose_name = _("Mailing lists")

    def ready(self) -> None:
        from allauth.account.models import EmailAddress

        from lists import registrations  # noqa: F401
        from lists.services import watching  # noqa: F401 (registers the notification wording)

        # A reader's verified addresses say whether they may reply from the web, a part of a
        # shared message page kept for them (lists.views.message_reader_parts): rows of one
        # reader's own, whose saving or deleting moves their state (portal/page_cache.py).
        EmailAddress.is_reader_state = True
