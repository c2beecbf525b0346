"""Every link a visitor can reach from the home page leads somewhere (200 or a deliberate redirect).

Signed out and signed in as staff, over the demo data. A broken link fails with the page that
holds it. Files are asked with HEAD (a download is never counted by the crawl), feeds and pages
with GET; nothing is posted, so signing out and destructive actions are never followed.
"""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from tests.crawl import crawl

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db, settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "artifacts": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "artifacts"},
        },
    }
    settings.ARTIFACT_IMPORT_DIRS = [str(tmp_path / "incoming")]
    call_command("seed_demo", stdout=io.StringIO())


def _report(result) -> str:
    return "\n".join(result.broken)


def test_every_link_answers_signed_out(client, demo):
    result = crawl(client)
    assert not result.broken, _report(result)
    # The crawl really walked the site: every section's index and more.
    assert len(result.html_pages()) > 30
    for section in ("/docs/", "/downloads/", "/forum/", "/lists/", "/bugs/", "/search/"):
        assert section in result.pages, section


def test_every_link_answers_signed_in_as_staff(client, demo):
    staff = get_user_model().objects.create_user(
        "crawler", "crawler@example.org", "pw-for-tests-1", is_staff=True, is_superuser=True
    )
    client.force_login(staff)
    result = crawl(client)
    assert not result.broken, _report(result)
    assert "/admin/" in result.pages
    assert any(url.startswith("/downloads/manage/") for url in result.pages)


def test_the_crawl_finds_a_broken_link_and_names_its_page(client, demo):
    from portal.services import publish_news

    item = publish_news(
        title="Broken", body="See [the missing page](/docs/no-such-version/nothing/)."
    )
    # One link away from the news item is enough to show it: no need to walk the whole site again.
    result = crawl(client, start=item.get_absolute_url(), max_depth=1)
    assert any(
        line.startswith("/docs/no-such-version/nothing/ answers 404, linked from /news/")
        for line in result.broken
    ), _report(result)
