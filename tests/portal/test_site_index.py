"""What lets people and machines find the whole site: sitemap.xml over every section, robots.txt,
the feeds page, the status page, canonical addresses. Only public things appear in any of them."""

from xml.etree import ElementTree

import pytest
from django.urls import reverse

from downloads.models import Board, Release
from forum import services as forum_services
from forum.models import Access, Category
from portal.models import Profile

pytestmark = pytest.mark.django_db
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


@pytest.fixture
def content(django_user_model, settings):
    settings.SITE_URL = "https://estuary.example.org"
    settings.FORUM_POST_INTERVAL = settings.FORUM_NEW_USER_POST_INTERVAL = 0
    Board.objects.create(slug="d02", name="D02", soc="Hip05")
    Release.objects.create(version="9.9-draft")  # a draft: in no sitemap
    ada = django_user_model.objects.create_user("ada", "ada@example.org", "pw-for-tests-1")
    Profile.objects.create(user=ada, trust_level=Profile.TrustLevel.MEMBER)
    public = Category.objects.create(name="Boards", slug="boards")
    hidden = Category.objects.create(
        name="Staff room", slug="staff-room", read_access=Access.MEMBERS
    )
    forum_services.create_topic(user=ada, category=public, title="D05 boots", source="Yes.")
    forum_services.create_topic(user=ada, category=hidden, title="Secret plans", source="Shh.")
    return {"public": public, "hidden": hidden}


def _locations(client, url: str) -> list[str]:
    response = client.get(url)
    assert response.status_code == 200, url
    root = ElementTree.fromstring(response.content)
    return [loc.text for loc in root.iter(f"{SITEMAP}loc")]


def test_the_sitemap_index_covers_every_section_with_public_pages_only(client, content):
    sections = _locations(client, "/sitemap.xml")
    assert all(loc.startswith("https://estuary.example.org/sitemap-") for loc in sections)
    names = {loc.rsplit("sitemap-", 1)[1].removesuffix(".xml") for loc in sections}
    assert {"portal", "news", "boards", "releases", "docs", "forum"} <= names
    pages = [page for section in sections for page in _locations(client, section.split(".org")[1])]
    assert "https://estuary.example.org/downloads/d02/" in pages
    assert "https://estuary.example.org/forum/c/boards/" in pages
    assert not any("9.9-draft" in page or "staff-room" in page for page in pages)
    secret = f"/forum/t/{content['hidden'].topics.get().pk}/"
    assert not any(page.endswith(secret) for page in pages)
    assert client.get("/sitemap-nothing.xml").status_code == 404


def test_robots_txt_points_at_the_sitemap_and_keeps_crawlers_off_personal_pages(client, settings):
    settings.SITE_URL = "https://estuary.example.org"
    robots = client.get("/robots.txt")
    assert robots["Content-Type"].startswith("text/plain")
    text = robots.content.decode()
    assert "Sitemap: https://estuary.example.org/sitemap.xml" in text
    for path in ("/admin/", "/accounts/", "/search/"):
        assert f"Disallow: {path}" in text
    assert "Disallow: /\n" not in text


def test_the_feeds_page_lists_every_public_feed_and_each_one_answers(client, content):
    page = client.get(reverse("feeds")).content.decode()
    for url in ["/news/feed/", "/downloads/feed/", "/downloads/d02/feed/", "/docs/feed.atom",
                "/forum/feed/", "/forum/c/boards/feed/"]:  # fmt: skip
        assert f'href="{url}"' in page, url
        feed = client.get(url)
        assert feed.status_code == 200 and "atom+xml" in feed["Content-Type"], url
    assert "staff-room" not in page


def test_the_status_page_says_what_answers(client, settings):
    page = client.get(reverse("status"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Everything the site needs answers." in text and text.count("state-ok") == 3
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    degraded = client.get(reverse("status"))
    assert degraded.status_code == 200 and "does not answer" in degraded.content.decode()


def test_pages_name_their_canonical_address(client, settings):
    settings.SITE_URL = "https://estuary.example.org/"
    page = client.get("/downloads/?arch=arm64").content.decode()
    assert '<link rel="canonical" href="https://estuary.example.org/downloads/">' in page
    assert '<meta property="og:url" content="https://estuary.example.org/downloads/">' in page
    assert 'href="/feeds/"' in page and 'href="/status/"' in page  # the footer
