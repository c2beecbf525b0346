from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Site")

    def ready(self) -> None:
        from portal import logs, seeds, users  # noqa: F401  (seeds registers the site's demo data)

        logs.install()
        users.connect()
        from portal import page_cache

        page_cache.connect_signals()
