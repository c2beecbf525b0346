"""The shipped systemd units: exactly one Celery beat, and no worker that would start another."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings

UNITS = Path(settings.BASE_DIR) / "deploy" / "systemd"


def _exec_start(unit: Path) -> str:
    text = unit.read_text().replace("\\\n", " ")
    return " ".join(re.findall(r"^ExecStart=(.*)$", text, re.MULTILINE))


def test_exactly_one_celery_beat_and_workers_for_both_queues():
    commands = {unit.name: _exec_start(unit) for unit in UNITS.glob("*.service")}
    beats = [name for name, command in commands.items() if re.search(r"\bbeat\b", command)]
    assert beats == ["estuary-beat.service"]  # a plain unit: one per host it is enabled on
    for name, command in commands.items():
        assert not re.search(r"\s(-B|--beat)\b", command), f"{name} would run a second beat"
    worker = commands["estuary-worker@.service"]
    assert " worker " in worker and "-Q %i" in worker  # estuary-worker@default, @builds
    readme = (UNITS.parent / "README.md").read_text()
    assert "estuary-worker@default estuary-worker@builds" in readme
