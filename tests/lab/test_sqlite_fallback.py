"""On the embedded SQLite default there is no exclusion constraint: the booking service's check,
made under the write lock an IMMEDIATE transaction takes, is what refuses overlaps. Run in a
child process on a fresh SQLite file, as `make run` would use it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = r"""
import datetime, threading
from django.db import connection
from django.utils import timezone
from django.contrib.auth import get_user_model
from downloads.models import Board
from lab.errors import LabError
from lab.models import LabBoard, Reservation
from lab.services.reservations import book

assert connection.vendor == "sqlite"
now = timezone.now()
hour = datetime.timedelta(hours=1)
board = Board.objects.create(slug="d05", name="D05", soc="Hi1616", arch="arm64")
lab_board = LabBoard.objects.create(board=board, name="D05 lab #1", slug="d05-lab-1")
people = [get_user_model().objects.create_user(f"user{i}") for i in range(3)]
book(lab_board=lab_board, user=people[0], starts_at=now + hour, ends_at=now + 3 * hour)
try:
    book(lab_board=lab_board, user=people[1], starts_at=now + 2 * hour, ends_at=now + 4 * hour)
    raise SystemExit("overlap accepted")
except LabError as exc:
    print("refused:", exc)

outcomes = []
def attempt(user):
    try:
        book(lab_board=lab_board, user=user, starts_at=now + 5 * hour, ends_at=now + 6 * hour)
        outcomes.append("booked")
    except LabError:
        outcomes.append("refused")
    finally:
        connection.close()
threads = [threading.Thread(target=attempt, args=(p,)) for p in people[1:]]
[t.start() for t in threads]
[t.join() for t in threads]
print("race:", sorted(outcomes))
# Without the service nothing stops an overlap here: the check is the rule on SQLite.
Reservation.objects.create(
    lab_board=lab_board, user=people[2], starts_at=now + hour, ends_at=now + 2 * hour
)
print("live reservations:", Reservation.objects.count())
"""


def test_the_locked_check_refuses_overlaps_on_sqlite(tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'portal.sqlite3'}",
        "REDIS_URL": "",
        "VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "portal.settings",
    }
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=300)
    result = subprocess.run(
        [*manage, "shell", "-c", SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "refused: D05 lab #1 is booked from" in result.stdout
    assert "race: ['booked', 'refused']" in result.stdout
    assert "live reservations: 3" in result.stdout
