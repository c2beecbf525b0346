from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ListsConfig(AppConfig):
    name = "lists"
    verbose_name = _("Mailing lists")

    def ready(self) -> None:
        from lists import registrations  # noqa: F401
        from lists.services import watching  # noqa: F401 (registers the notification wording)
