"""A serving process does its first requests' work before it accepts one, and keeps the
collector off what it loaded (portal/wsgi.py)."""

import json
import logging
import os
import subprocess
import sys

from django.conf import settings

from portal.wsgi import site_templates, warm_up

# Run in a new interpreter: this one has loaded the URLconf and templates long ago.
AFTER_IMPORT = """
import gc, json
from django.template import engines
from django.urls import get_resolver
from django.utils import translation
from portal.wsgi import site_templates

loader = engines["django"].engine.template_loaders[0]  # the cached loader
compiled = set(loader.get_template_cache)  # keyed by name (nothing skipped)
frozen = gc.get_freeze_count()

import sys
from portal.outbox import try_send
before = set(sys.modules)
sent = try_send("portal.send_pending_tasks", [], {}, expires=5)  # harmless: sends what waits
print(json.dumps({
    "templates": site_templates(),
    "compiled": sorted(compiled),
    "link_tables": sorted(get_resolver()._reverse_dict),
    "catalogues": sorted(translation.trans_real._translations),
    "frozen": frozen,
    "collected_by_a_full_collection": len(gc.get_objects()),
    "task_not_sent_because": sent,
    "imported_by_the_first_task_sent": sorted(set(sys.modules) - before),
}))
"""


def test_a_new_process_has_its_views_templates_and_languages_ready_before_any_request():
    done = subprocess.run(
        [sys.executable, "-c", AFTER_IMPORT],
        cwd=settings.BASE_DIR,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings"},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    ready = json.loads(done.stdout.strip().splitlines()[-1])
    assert "base.html" in ready["templates"]
    assert len(ready["templates"]) > 100
    assert set(ready["templates"]) <= set(ready["compiled"])
    languages = [code for code, _name in settings.LANGUAGES]
    assert set(languages) <= set(ready["link_tables"])
    assert set(languages) <= set(ready["catalogues"])
    # The collector is kept off all of it: a full collection walks only what came after.
    assert ready["frozen"] > 100_000
    assert ready["collected_by_a_full_collection"] < ready["frozen"] // 10
    # Nor does the first task it sends (a kept page renewed) load Celery's parts.
    assert ready["task_not_sent_because"] is None
    assert ready["imported_by_the_first_task_sent"] == []


def test_a_template_that_does_not_compile_is_named_and_the_rest_are_still_made_ready(
    tmp_path, settings, caplog
):
    (tmp_path / "aaa_broken.html").write_text("{% if %}never closed")
    (tmp_path / "zzz_fine.html").write_text("<p>{{ value }}</p>")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path]}]
    assert {"aaa_broken.html", "zzz_fine.html"} <= set(site_templates())

    with caplog.at_level(logging.ERROR, logger="portal.wsgi"):
        warm_up()

    assert [r.getMessage() for r in caplog.records] == [
        "The template aaa_broken.html does not compile"
    ]
    from django.template import engines

    compiled = engines["django"].engine.template_loaders[0].get_template_cache
    assert "zzz_fine.html" in compiled
