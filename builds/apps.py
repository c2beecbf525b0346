from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BuildsConfig(AppConfig):
    name = "builds"
    verbose_name = _("Builds")

    def ready(self) -> None:
        from builds import registrations  # noqa: F401
