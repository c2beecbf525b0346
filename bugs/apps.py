from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BugsConfig(AppConfig):
    name = "bugs"
    verbose_name = _("Bugs")

    def ready(self) -> None:
        from bugs import registrations  # noqa: F401
        from bugs.services import common  # noqa: F401 (registers the notification wording)
