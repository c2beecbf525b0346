"""/healthz (readiness): 200 when the database, the cache and the broker answer; 503 otherwise.
/healthz/live (liveness): 200 whenever the process answers."""

import pytest

from portal.celery import app

pytestmark = pytest.mark.django_db


def test_all_services_answer(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "database": "ok",
        "cache": "ok",
        "broker": "ok",
        "status": "ok",
    }
    assert "no-cache" in response["Cache-Control"]


def test_unreachable_cache_gives_503(client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
        }
    }
    response = client.get("/healthz")
    assert response.status_code == 503
    report = response.json()
    assert report["cache"].startswith("error") and report["database"] == "ok"
    assert report["status"] == "degraded"


def test_unreachable_broker_gives_503(client, monkeypatch):
    monkeypatch.setitem(app.conf, "broker_url", "redis://127.0.0.1:1/0")
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["broker"].startswith("error")


def test_healthz_answers_get_only(client):
    assert client.post("/healthz").status_code == 405


def test_concurrent_probes_do_not_disturb_each_other(live_server):
    # Threads of one server process answer at once (gunicorn's gthread workers, this live server).
    import json
    import urllib.request
    from concurrent.futures import ThreadPoolExecutor

    def probe(_):
        with urllib.request.urlopen(f"{live_server.url}/healthz", timeout=10) as response:
            return response.status, json.loads(response.read())["cache"]

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(probe, range(64)))
    assert results == [(200, "ok")] * 64


def test_liveness_touches_nothing_and_answers_with_every_service_down(
    client, settings, monkeypatch, django_assert_num_queries
):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    monkeypatch.setitem(app.conf, "broker_url", "redis://127.0.0.1:1/0")
    with django_assert_num_queries(0):
        response = client.get("/healthz/live")
    assert response.status_code == 200 and response.content == b"ok\n"
    assert "no-cache" in response["Cache-Control"]
    assert client.get("/healthz").status_code == 503  # readiness still says what is down
