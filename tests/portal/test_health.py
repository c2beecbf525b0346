"""GET /healthz: 200 when the database, the cache and the broker answer; 503 otherwise."""

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
