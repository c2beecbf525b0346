from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ListsConfig(AppConfig):
    name = "lists"
    verbose_name = _("Mailing lists")

    def ready(self) -> None:
        from allauth.account.models import EmailAddress
        from django.db.models.signals import post_delete, post_save

        from lists import registrations  # noqa: F401
        from lists.services import watching  # noqa: F401 (registers the notification wording)

        # A reader's verified addresses say whether they may reply from the web: a part of a
        # shared message page kept for them (lists.views.message_reader_parts).
        post_save.connect(_addresses_changed, sender=EmailAddress, dispatch_uid="lists.address")
        post_delete.connect(_addresses_changed, sender=EmailAddress, dispatch_uid="lists.address")


def _addresses_changed(instance, **kwargs) -> None:
    from portal.page_cache import reader_changed

    reader_changed(instance.user_id)
