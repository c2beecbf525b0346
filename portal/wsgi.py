import gc
import logging
import os
from pathlib import Path

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
application = get_wsgi_application()

log = logging.getLogger(__name__)


def site_templates() -> list[str]:
    """The names of the templates this site ships (the engine's folders and the sections'), not
    those of the packages it uses, which it only renders where it overrides them."""
    from django.apps import apps
    from django.conf import settings
    from django.template import engines

    root = Path(settings.BASE_DIR)
    folders = [Path(folder) for folder in engines["django"].engine.dirs] + [
        Path(config.path) / "templates"
        for config in apps.get_app_configs()
        if Path(config.path).parent == root
    ]
    return sorted(
        {
            path.relative_to(folder).as_posix()
            for folder in folders
            if folder.is_dir()
            for path in folder.rglob("*")
            if path.is_file()
        }
    )


def warm_up() -> None:
    """Do at start what a process's first requests would do: import every view, build each
    language's table of links, compile the site's templates and read each language's
    catalogue. A worker gunicorn starts (at boot, or after --max-requests) does it before it
    accepts a connection: its first readers used to wait 0.2-0.5 s for it, and up to 2 s when
    several workers started at once on a busy machine."""
    from django.conf import settings
    from django.template import TemplateSyntaxError, engines
    from django.urls import reverse
    from django.utils import translation

    engine = engines["django"]
    for name in site_templates():
        try:
            engine.get_template(name)
        except TemplateSyntaxError:  # a page that renders it fails as it would have; say so now
            log.exception("The template %s does not compile", name)
    for language, _label in settings.LANGUAGES:
        with translation.override(language):
            # Imports every URLconf and view; links are then made from this language's table.
            reverse("live")
            translation.gettext("Home")
    _warm_broker()


def _warm_broker() -> None:
    """The first task a worker sent (a kept page renewed) imported every task module, looked
    up Celery's extensions, made the result backend and connected to the broker: 85 ms on an
    idle machine, 0.6 s under load, with the worker's other requests waiting."""
    from kombu.exceptions import OperationalError

    from portal.celery import app

    app.loader.import_default_modules()
    app.finalize(auto=True)
    app.backend  # noqa: B018  # made on first use, as is the sender below
    app.amqp.send_task_message  # noqa: B018
    try:
        with app.producer_or_acquire() as producer:
            producer.connection.ensure_connection(max_retries=1, timeout=2)
    except (OperationalError, OSError) as exc:  # the first task sent tries again
        log.warning("The broker cannot be reached at start (%s)", exc)


warm_up()
# What the process loaded to serve lives as long as it does: keep the collector off it. Each
# full collection walked it all (185,000 objects: 90 ms on an idle machine, 300-400 ms on a busy
# one), and every request of the worker waited meanwhile: the bench's p99 of 300-500 ms.
gc.collect()
gc.freeze()
