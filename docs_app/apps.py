from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocsAppConfig(AppConfig):
    name = "docs_app"
    verbose_name = _("Docs")

    def ready(self) -> None:
        from docs_app import registrations  # noqa: F401
