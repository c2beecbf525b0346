"""Redis unreachable (REDIS_URL at a port where nothing listens, DEBUG=0): the cache fails open,
so every page and download is served, only slower, and /healthz says the cache is down."""

import subprocess

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.urls import reverse

from downloads.models import Artifact
from forum.models import Topic

pytestmark = pytest.mark.django_db

DEAD_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1


@pytest.fixture
def redis_down(settings):
    settings.REDIS_URL = DEAD_REDIS
    settings.CACHES = {
        "default": {**settings.CACHES["default"], "LOCATION": DEAD_REDIS},
    }
    assert settings.CACHES["default"]["BACKEND"] == "portal.cache_backends.FailOpenRedisCache"


def test_pages_and_downloads_are_served_without_redis(client, redis_down, tmp_path):
    call_command("seed_demo", verbosity=0)
    artifact = Artifact.objects.select_related("release", "board").filter(board__slug="d02")[0]
    topic = Topic.objects.first()
    urls = [
        "/",
        reverse("downloads:index"),
        reverse("downloads:board", args=["d02"]),
        reverse("downloads:release", args=[artifact.release.version]),
        reverse("downloads:releases"),
        reverse("downloads:folder_checksums", args=[artifact.release.version, "d02", "SHA256SUMS"]),
        reverse("downloads:latest", args=["d02", "SHA256SUMS"]),
        "/docs/",
        "/forum/",
        topic.get_absolute_url(),
        "/search/?q=d02",
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code in (200, 302), (url, response.status_code)
    download = client.get(artifact.get_absolute_url())
    assert download.status_code == 200
    (tmp_path / artifact.filename).write_bytes(b"".join(download.streaming_content))
    sums = client.get(
        reverse("downloads:folder_checksums", args=[artifact.release.version, "d02", "SHA256SUMS"])
    )
    (tmp_path / "SHA256SUMS").write_bytes(sums.content)
    checked = subprocess.run(
        ["sha256sum", "-c", "--ignore-missing", "SHA256SUMS"],
        cwd=tmp_path, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert checked.returncode == 0 and f"{artifact.filename}: OK" in checked.stdout
    # The count is not lost: it goes to the database while Redis is away.
    artifact.refresh_from_db()
    assert artifact.download_count == 1


def test_healthz_names_the_cache_as_down(client, redis_down):
    response = client.get("/healthz")
    assert response.status_code == 503
    report = response.json()
    assert report["cache"].startswith("error") and report["database"] == "ok"


def test_the_cache_answers_not_cached_and_drops_writes(redis_down):
    cache.set("k", "v")
    assert cache.get("k") is None and cache.get("k", "default") == "default"
    assert cache.get_many(["k"]) == {} and cache.add("k", "v") is False
    assert cache.get_or_set("k", "computed") == "computed"
