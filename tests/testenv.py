"""Loaded with `-p tests.testenv` before Django's settings: the test run's environment.

Tests talk to the real services; each default can be overridden from the environment (a second
checkout uses its own database and Redis db so that two suites can run side by side).
"""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/estuary")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
os.environ.setdefault("VAR_DIR", str(ROOT / "var" / "test"))

# Under `pytest -n N` (the Makefile runs two processes, one per core) each process is gwK:
# pytest-django gives it its own database (test_<name>_gwK); it needs its own Redis db too,
# because tests flush the cache and the Celery broker lives there, and its own var/ folder.
_xdist_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
if _xdist_worker.startswith("gw") and _xdist_worker[2:] != "0":
    _index = int(_xdist_worker[2:])
    _base, _, _db = os.environ["REDIS_URL"].rpartition("/")
    os.environ["REDIS_URL"] = f"{_base}/{(int(_db or 0) + _index) % 16}"
    os.environ["VAR_DIR"] = f"{os.environ['VAR_DIR']}-{_xdist_worker}"
os.environ.setdefault("CACHE_KEY_PREFIX", "estuary-test")
os.environ["HTTPS"] = "0"
os.environ["DEBUG"] = "0"
# Production settings refuse to start without these (portal/settings.py).
os.environ.setdefault("SECRET_KEY", "test-" + "k" * 50)
os.environ.setdefault("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
# Tests sign privileged people in without an authenticator app; tests/portal/test_two_factor.py
# turns the requirement on and checks it.
os.environ.setdefault("SECOND_FACTOR_REQUIRED", "0")
os.environ.pop("EMAIL_URL", None)
