"""seed_demo gives the lab a few boards and Caliper runs of D05 on two releases, and runs
twice without change."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from lab.models import CaliperRun, LabBoard


@pytest.fixture
def seeded(db, settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "artifacts": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "artifacts", "base_url": "/downloads/files/"},
        },
    }
    settings.SIGNING_KEY_ID = ""
    only = ["--only", "site", "--only", "downloads", "--only", "lab"]
    call_command("seed_demo", *only, stdout=io.StringIO())
    return only


def test_lab_demo_data(seeded, client):
    assert LabBoard.objects.filter(health="good").count() == 3
    assert LabBoard.objects.filter(health="maintenance").count() == 1
    runs = CaliperRun.objects.filter(board__slug="d05")
    assert sorted(runs.values_list("release__version", flat=True)) == ["3.0", "3.0", "3.1", "3.1"]
    call_command("seed_demo", *seeded, stdout=io.StringIO())
    assert CaliperRun.objects.count() == 4 and LabBoard.objects.count() == 4
    page = client.get(reverse("downloads:release", args=["3.1"])).content.decode()
    assert "Compared with the previous release (3.0)" in page
    compare = client.get(reverse("lab:compare_releases", args=["d05", "3.0", "3.1"]))
    assert compare.status_code == 200 and "<svg" in compare.content.decode()
