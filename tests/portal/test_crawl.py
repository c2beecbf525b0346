"""The crawl names the page that holds a broken link.

The crawl of the whole demo site, signed out and as staff, runs once in
tests/e2e/test_layout.py, where the same walk feeds the layout and accessibility checks. Files are
asked with HEAD (a download is never counted by the crawl), feeds and pages with GET; nothing is
posted, so signing out and destructive actions are never followed.
"""

import pytest

from tests.crawl import crawl

pytestmark = pytest.mark.django_db


def _report(result) -> str:
    return "\n".join(result.broken)


def test_the_crawl_finds_a_broken_link_and_names_its_page(client, db):
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


@pytest.mark.parametrize(
    ("url", "target", "followed"),
    [
        ("/lab/calendar/", "/lab/calendar/?week=2026-11-30", True),  # from the page itself
        ("/lab/calendar/?week=2026-11-30", "/lab/calendar/?week=2026-12-07", False),
        ("/bugs/?status=open", "/bugs/?status=open&severity=major", False),
        ("/bugs/?status=open", "/bugs/?status=open&page=2", True),  # what is listed only there
        ("/bugs/?status=open&page=2", "/bugs/?page=3&status=open", True),
        ("/bugs/?status=open", "/bugs/feed/?status=open", True),  # another page
        ("/bugs/?status=open", "/bugs/", True),
    ],
)
def test_the_crawl_asks_each_variant_link_once_without_walking_every_combination(
    url, target, followed
):
    from tests.crawl import _walks_its_own_space

    assert _walks_its_own_space(url, target) is not followed


def test_every_file_and_probe_answers_head_as_it_answers_get(client, db):
    """Load balancers probe with HEAD, download managers ask it before a file: a view that takes
    GET takes HEAD too (the crawl reports one that refuses it)."""
    from lists.models import MailingList

    MailingList.objects.create(name="estuary-dev", posting_address="dev@example.org")
    for url in ("/healthz", "/healthz/live", "/lists/estuary-dev/", "/forum/"):
        get, head = client.get(url), client.head(url)
        assert head.status_code == get.status_code != 405, url
        assert head.content == b"", url
