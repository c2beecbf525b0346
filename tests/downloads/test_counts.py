"""Download counts: Redis in the request path, the database only from the periodic task."""

import pytest
from django.conf import settings
from django.urls import reverse

from downloads.models import Artifact
from downloads.services.counts import download_counter, flush_download_counts, pending_counts
from downloads.tasks import flush_download_counts as flush_task
from portal.counters import _client
from tests.conftest import wait_until


@pytest.fixture(autouse=True)
def _no_pending_counts():
    key = download_counter._key()  # whatever an earlier test left in this Redis db
    _client(settings.REDIS_URL).delete(key, f"{key}:flushing")


@pytest.mark.django_db
def test_a_download_is_counted_in_redis_without_a_database_write(
    client, boards, make_release, django_assert_max_num_queries
):
    release = make_release("3.1", {"d02/Image": b"kernel bytes"})
    artifact = release.artifacts.get()
    url = reverse("downloads:file", args=["3.1", "d02", "Image"])
    with django_assert_max_num_queries(1) as captured:  # the one read that finds the file
        response = client.get(url)
        b"".join(response.streaming_content)
    assert all(q["sql"].lstrip().upper().startswith("SELECT") for q in captured.captured_queries)
    assert pending_counts() == {artifact.pk: 1}
    client.get(url, HTTP_RANGE="bytes=4-")  # a resumed download is the same download
    client.head(url)  # a probe is no download
    assert pending_counts() == {artifact.pk: 1}
    assert Artifact.objects.get(pk=artifact.pk).download_count == 0
    assert flush_download_counts() == 1
    assert Artifact.objects.get(pk=artifact.pk).download_count == 1
    assert pending_counts() == {}
    assert flush_download_counts() == 0


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_periodic_task_flushes_counts_in_the_real_worker(
    client, celery_worker, boards, make_release
):
    release = make_release("3.1", {"d02/Image": b"kernel", "hikey/Image": b"other"})
    d02, hikey = (release.artifacts.get(board__slug=slug) for slug in ("d02", "hikey"))
    for _ in range(3):
        b"".join(client.get(reverse("downloads:file", args=["3.1", "d02", "Image"])))
    b"".join(client.get(reverse("downloads:file", args=["3.1", "hikey", "Image"])))
    flush_task.delay()
    wait_until(lambda: Artifact.objects.get(pk=d02.pk).download_count == 3)
    assert Artifact.objects.get(pk=hikey.pk).download_count == 1
    assert pending_counts() == {}


def test_the_flush_runs_on_a_schedule():
    entry = settings.CELERY_BEAT_SCHEDULE["downloads-flush-counts"]
    assert entry["task"] == flush_task.name
    assert 0 < entry["schedule"] <= 300


@pytest.mark.django_db
def test_without_redis_a_download_is_counted_in_its_row(client, boards, make_release, settings):
    settings.REDIS_URL = ""
    release = make_release("3.1", {"d02/Image": b"kernel bytes"})
    artifact = release.artifacts.get()
    b"".join(client.get(reverse("downloads:file", args=["3.1", "d02", "Image"])))
    assert Artifact.objects.get(pk=artifact.pk).download_count == 1
    assert flush_download_counts() == 0


@pytest.mark.django_db
def test_when_redis_is_unreachable_downloads_count_in_the_database(
    client, boards, make_release, settings
):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    release = make_release("3.1", {"d02/Image": b"kernel bytes"})
    artifact = release.artifacts.get()
    response = client.get(reverse("downloads:file", args=["3.1", "d02", "Image"]))
    assert response.status_code == 200
    b"".join(response.streaming_content)
    assert Artifact.objects.get(pk=artifact.pk).download_count == 1
