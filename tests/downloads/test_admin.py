"""The admin's release pages call the same services as the release managers' pages."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from downloads.models import Release

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, db):
    user = get_user_model().objects.create_superuser("root", "root@example.org", "pw-for-tests-1")
    client.force_login(user)
    return client


def test_admin_lists_and_shows_releases_and_files(admin_client, boards, make_release):
    release = make_release("3.1", {"d02/Image": b"kernel"})
    assert admin_client.get(reverse("admin:downloads_release_changelist")).status_code == 200
    page = admin_client.get(reverse("admin:downloads_release_change", args=[release.pk]))
    assert page.status_code == 200 and "Image" in page.content.decode()
    artifact = release.artifacts.get()
    assert admin_client.get(reverse("admin:downloads_artifact_changelist")).status_code == 200
    detail = admin_client.get(reverse("admin:downloads_artifact_change", args=[artifact.pk]))
    assert detail.status_code == 200


def test_admin_publish_action_reports_a_tampered_file(admin_client, boards, make_release, storage):
    good = make_release("3.1", {"d02/Image": b"kernel"}, publish=False)
    bad = make_release("3.2", {"d02/Image": b"kernel"}, publish=False)
    (storage / "3.2" / "d02" / "Image").write_bytes(b"kerneL")
    response = admin_client.post(
        reverse("admin:downloads_release_changelist"),
        {"action": "publish", "_selected_action": [good.pk, bad.pk]},
        follow=True,
    )
    assert "3.2/d02/Image: the file changed on disk" in response.content.decode()
    assert Release.objects.get(pk=good.pk).status == Release.Status.PUBLISHED
    assert Release.objects.get(pk=bad.pk).status == Release.Status.DRAFT


def test_admin_edits_notes_through_the_service(admin_client, boards, make_release):
    release = make_release("3.1", {"d02/Image": b"kernel"})
    response = admin_client.post(
        reverse("admin:downloads_release_change", args=[release.pk]),
        {
            "title": "T",
            "notes": "*new*",
            "release_date": "2017-07-14",
            "artifacts-TOTAL_FORMS": "1",
            "artifacts-INITIAL_FORMS": "1",
            "artifacts-MIN_NUM_FORMS": "0",
            "artifacts-MAX_NUM_FORMS": "1000",
            "artifacts-0-id": release.artifacts.get().pk,
            "artifacts-0-release": release.pk,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert "<em>new</em>" in Release.objects.get(pk=release.pk).notes_html
