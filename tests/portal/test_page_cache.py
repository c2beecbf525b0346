"""Whole pages kept for signed-out readers (portal/page_cache.py): what is kept, for whom, and
how a change anywhere reaches the next reader."""

from __future__ import annotations

import gzip
import re
import secrets
import threading

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.http import HttpResponse, StreamingHttpResponse
from django.middleware.csrf import get_token
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from bugs.models import Component, Product
from bugs.services import filing
from docs_app import services as docs
from docs_app.models import Section
from downloads.models import Artifact, Board, Release
from downloads.services.artifacts import add_artifact_from_path
from downloads.services.publishing import publish_release
from forum import services as forum
from forum.models import Category
from portal import page_cache
from portal.models import NewsItem, Notification, Profile
from tests.conftest import broker_down, wait_until

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(db):
    user = get_user_model().objects.create_user("ada", "ada@example.org", "pw-for-tests-1")
    Profile.objects.create(user=user, trust_level=Profile.TrustLevel.REGULAR)
    return user


def kept(response) -> bool:
    """Whether the answer came from the page cache (only such answers carry an Age)."""
    return response.has_header("Age")


def read(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def test_a_second_signed_out_reader_gets_the_same_page_without_a_query(
    client, django_assert_num_queries
):
    first = client.get("/")
    assert not kept(first)
    with django_assert_num_queries(0):
        second = Client().get("/")
    assert kept(second)
    assert second.content == first.content
    assert second["Content-Type"] == first["Content-Type"]
    # What the outer middlewares add is added to a kept page too.
    assert "Content-Security-Policy" in second and second["X-Content-Type-Options"] == "nosniff"


def test_a_head_request_is_answered_from_a_kept_page(client, django_assert_num_queries):
    client.get("/")
    with django_assert_num_queries(0):
        assert kept(Client().head("/"))


BROWSER = {"HTTP_ACCEPT_ENCODING": "gzip, deflate, br, zstd"}


def test_a_kept_page_is_answered_gzipped_to_browsers_that_accept_it(
    client, django_assert_num_queries
):
    first = client.get("/", **BROWSER)
    assert not kept(first) and first["Content-Encoding"] == "gzip"
    with django_assert_num_queries(0):
        second = Client().get("/", **BROWSER)
    plain = Client().get("/")
    assert kept(second) and kept(plain)
    assert second["Content-Encoding"] == "gzip" and not plain.has_header("Content-Encoding")
    assert int(second["Content-Length"]) == len(second.content) < len(plain.content)
    assert int(plain["Content-Length"]) == len(plain.content)
    assert gzip.decompress(second.content) == gzip.decompress(first.content) == plain.content
    for answer in (first, second, plain):  # a shared cache must keep the two apart
        assert "Accept-Encoding" in answer["Vary"]
    assert "Content-Security-Policy" in second


@pytest.mark.parametrize(
    ("header", "accepted"),
    [
        ("gzip, deflate, br, zstd", True),
        ("GZIP", True),
        ("deflate, gzip;q=0.5", True),
        ("*", True),
        ("x-gzip", True),
        ("", False),
        ("br, zstd", False),
        ("gzip;q=0", False),
        ("gzip;q=0, *", False),
        ("gzip;q=many", False),
    ],
)
def test_what_accepts_gzip(header, accepted):
    request = RequestFactory().get("/", HTTP_ACCEPT_ENCODING=header)
    assert page_cache.accepts_gzip(request) is accepted


def test_a_page_made_for_one_reader_alone_goes_uncompressed(client, member, settings):
    """Their form token and their own words in one compressed text: a BREACH-style guess
    could read the token from the sizes. (Shared pages are gzipped around the reader's parts.)"""
    settings.FORUM_POST_INTERVAL = settings.FORUM_NEW_USER_POST_INTERVAL = 0
    category = Category.objects.create(name="Boards", slug="boards")
    topic = forum.create_topic(user=member, category=category, title="D05 boot", source="First.")
    client.force_login(member)
    for _ in range(2):
        answer = client.get(topic.get_absolute_url(), **BROWSER)
        assert not answer.has_header("Content-Encoding")
        assert ">ada<" in answer.content.decode()


@pytest.mark.parametrize(
    "make",
    [
        lambda: HttpResponse(b"<p>short</p>"),
        lambda: HttpResponse(b"x" * 4096, content_type="image/png"),
        lambda: _with(HttpResponse(b"x" * 4096), **{"Content-Encoding": "br"}),
    ],
    ids=["small", "picture", "encoded already"],
)
def test_small_pages_pictures_and_encoded_answers_are_kept_as_they_are(make):
    from portal.caching import PAGES

    response = make()
    request = RequestFactory().get("/as-is/")
    key = page_cache.page_key(request)
    page_cache.keep(key, page_cache.Lookup(None, PAGES.current()), request, response)
    again = page_cache.read(key, gzipped=True).response
    assert again.content == response.content
    assert again.get("Content-Encoding") == response.get("Content-Encoding")  # none, or its own
    assert "Accept-Encoding" not in again.get("Vary", "")


def test_an_entry_kept_before_pages_were_gzipped_is_still_served():
    from portal.caching import PAGES

    key = page_cache.page_key(RequestFactory().get("/older/"))
    headers = [("Content-Type", "text/html; charset=utf-8")]
    cache.set(
        key, (PAGES.current(), timezone.now().timestamp(), headers, b"<p>old</p>", None, None, None)
    )
    answer = page_cache.read(key, gzipped=True).response
    assert answer.content == b"<p>old</p>" and not answer.has_header("Content-Encoding")


def _key(url: str) -> str:
    return page_cache.page_key(RequestFactory().get(url))


def test_while_one_reader_renders_a_stale_page_the_others_get_the_old_one(client):
    read(client, reverse("news_list"))
    NewsItem.objects.create(title="Fresh news", slug="fresh", body="b")
    key = _key(reverse("news_list"))
    cache.add(f"{key}:rendering", 1)  # another worker is rendering it right now
    meanwhile = client.get(reverse("news_list"))
    assert kept(meanwhile) and "Fresh news" not in meanwhile.content.decode()
    cache.delete(f"{key}:rendering")  # its render is done (kept, or not)
    assert "Fresh news" in read(client, reverse("news_list"))
    # The reader who rendered it let go of the turn: the next change shows at once too.
    NewsItem.objects.create(title="Fresher news", slug="fresher", body="b")
    assert "Fresher news" in read(client, reverse("news_list"))


def test_readers_with_no_page_to_serve_wait_for_the_one_who_renders_it(
    client, django_assert_num_queries
):
    """A burst of readers on a page gone from the cache (or on every busy page after a
    withdrawal) renders it once, not once per reader."""
    from portal.caching import PAGES

    url = reverse("news_list")
    key = _key(url)
    cache.add(f"{key}:rendering", 1)  # another request renders it...

    def other_keeps_it() -> None:  # ... and keeps it, 0.1 s later
        lookup = page_cache.Lookup(None, PAGES.current(), renewing=True)
        page = HttpResponse("<p>rendered once</p>")
        page_cache.keep(key, lookup, RequestFactory().get(url), page)

    other = threading.Timer(0.1, other_keeps_it)
    other.start()
    with django_assert_num_queries(0):
        answer = client.get(url)
    other.join()
    assert kept(answer) and answer.content == b"<p>rendered once</p>"
    assert cache.get(f"{key}:rendering") is None


def _aged(key: str) -> float:
    """The kept page made ANONYMOUS_PAGE_SECONDS older (see page_cache.keep); its new time."""
    generation, stored_at, *rest = cache.get(key)
    aged_at = stored_at - settings.ANONYMOUS_PAGE_SECONDS
    cache.set(key, (generation, aged_at, *rest))
    return aged_at


def test_with_renewal_in_tasks_off_the_reader_renders_a_page_older_than_its_time(client, settings):
    settings.PAGE_RENEWAL_IN_TASKS = False
    read(client, "/")
    _aged(_key("/"))
    assert not kept(client.get("/"))
    assert kept(client.get("/"))


@pytest.mark.django_db(transaction=True)  # the worker sees committed rows only
def test_a_page_only_older_than_its_time_is_renewed_by_a_task(
    client, celery_worker, django_assert_num_queries
):
    """Its reader gets the old page at once, without a query; a worker renders the new one."""
    news = NewsItem.objects.create(title="Old title", slug="renewed", body="b")
    url = reverse("news_list")
    read(client, url)
    NewsItem.objects.filter(pk=news.pk).update(title="New title")  # no signal: not stale by it
    key = _key(url)
    aged_at = _aged(key)
    with django_assert_num_queries(0):
        answer = client.get(url)
    assert kept(answer) and "Old title" in answer.content.decode()
    wait_until(lambda: cache.get(key)[1] > aged_at, timeout=30)
    with django_assert_num_queries(0):
        renewed = client.get(url)
    assert kept(renewed) and "New title" in renewed.content.decode()
    # The turn is over: the next one may renew. The worker gives it up just after it stores the
    # page (a busy machine showed the page first); a turn left behind would last its whole
    # RENDER_LOCK_SECONDS, far longer than this wait.
    wait_until(lambda: cache.get(f"{key}:renewing") is None, timeout=5)


def test_a_change_shows_at_once_while_a_task_is_to_renew_the_page(client):
    """A renewal waiting in a busy queue holds a turn of its own, not the readers'."""
    url = reverse("news_list")
    read(client, url)
    key = _key(url)
    _aged(key)
    cache.add(f"{key}:renewing", 1)  # a task is to renew it, still waiting in the queue
    assert kept(client.get(url))  # the old page meanwhile
    NewsItem.objects.create(title="Fresh news", slug="fresh", body="b")
    assert "Fresh news" in read(client, url)


def test_a_head_on_a_page_older_than_its_time_sends_no_renewal(client):
    """A HEAD reads nothing: the renewal, and the view its render counts, wait for a GET."""
    url = reverse("news_list")
    read(client, url)
    key = _key(url)
    _aged(key)
    assert kept(client.head(url))
    assert cache.get(f"{key}:renewing") is None  # no task sent: the turn is not taken


@pytest.mark.django_db(transaction=True)
def test_a_view_of_a_topic_renewed_by_a_task_is_counted_once(client, member, celery_worker):
    category = Category.objects.create(name="Boards", slug="boards")
    topic = forum.create_topic(user=member, category=category, title="D05 boot", source="First.")
    url = topic.get_absolute_url()
    read(client, url)  # rendered and kept: one view
    aged_at = _aged(_key(url))
    assert kept(client.get(url))  # the old page: the task's render counts this view, not both
    wait_until(lambda: cache.get(_key(url))[1] > aged_at, timeout=30)
    assert forum.flush_view_counts() == 2


@pytest.mark.django_db(transaction=True)
def test_a_members_shared_page_is_renewed_by_a_task_as_a_reader_of_their_kind(
    client, member, celery_worker
):
    client.force_login(member)
    url = reverse("downloads:releases")
    read(client, url)
    request = RequestFactory().get(url)
    request.user, request.session = member, {}
    key = page_cache.reader_page_key(request)
    aged_at = _aged(key)
    answer = client.get(url)
    assert kept(answer) and "Watch all releases" in answer.content.decode()  # the old page
    # Rendered by the worker as a member of this kind (a signed-out render keeps no such page)
    wait_until(lambda: cache.get(key)[1] > aged_at, timeout=30)
    kept_page = cache.get(key)[3]
    assert page_cache.reader_mark("account").encode() in kept_page
    assert member.username.encode() not in kept_page  # kept for their kind, not for them
    page = read(client, url)
    assert member.username in page and "Watch all releases" in page  # their parts, filled in


def test_while_the_broker_is_away_the_reader_renders_a_page_older_than_its_time(client):
    from portal import outbox

    read(client, "/")
    _aged(_key("/"))
    try:
        with broker_down():
            assert not kept(client.get("/"))  # rendered now, by this reader
        assert kept(client.get("/"))
    finally:
        outbox._down_until = 0.0  # the broker is back: the next renewal asks it again


def test_a_page_that_now_fails_is_no_longer_served(client):
    news = NewsItem.objects.create(title="Short-lived", slug="short", body="b")
    read(client, news.get_absolute_url())
    news.delete()
    assert client.get(news.get_absolute_url()).status_code == 404
    assert client.get(news.get_absolute_url()).status_code == 404


def test_a_row_saved_anywhere_reaches_the_next_reader(client):
    """The catch-all: a row saved with no service (and so no section's generation) still
    makes the kept pages stale."""
    read(client, reverse("news_list"))
    NewsItem.objects.create(
        title="Kept pages follow", slug="kept", body="b", published_at=timezone.now()
    )
    assert "Kept pages follow" in read(client, reverse("news_list"))


def test_a_reader_s_own_rows_leave_the_kept_pages_alone(client, member):
    read(client, "/")
    Notification.objects.create(recipient=member, verb="test")
    assert kept(client.get("/"))


def test_a_new_forum_post_reaches_the_next_reader(client, member, settings):
    settings.FORUM_POST_INTERVAL = settings.FORUM_NEW_USER_POST_INTERVAL = 0
    category = Category.objects.create(name="Boards", slug="boards")
    topic = forum.create_topic(user=member, category=category, title="D05 boot", source="First.")
    url = topic.get_absolute_url()
    assert "Second words" not in read(client, url)
    forum.post_reply(user=member, topic=topic, source="Second words.")
    assert "Second words" in read(client, url)
    assert "D05 boot" in read(client, reverse("forum:category", args=[category.slug]))


def test_a_bug_comment_reaches_the_next_reader(client, member):
    component = Component.objects.create(
        product=Product.objects.create(name="Kernel", slug="kernel"), name="net", slug="net"
    )
    bug = filing.file_bug(
        summary="Drops", description="It drops.", reporter=member, component=component
    )
    url = bug.get_absolute_url()
    assert "Seen on D06 too" not in read(client, url)
    filing.add_comment(bug=bug, author=member, body="Seen on D06 too", notify=False)
    assert "Seen on D06 too" in read(client, url)


def test_a_doc_edit_reaches_the_next_reader(client, django_capture_on_commit_callbacks):
    section = Section.objects.get_or_create(slug="guides", defaults={"title": "Guides"})[0]
    page = docs.save_page(section=section, slug="flash", title="Flashing", source="Old words.")
    url = page.get_absolute_url()
    assert "Old words" in read(client, url)
    with django_capture_on_commit_callbacks(execute=True):  # the docs' fragments follow commits
        docs.save_page(
            page=page, section=section, slug="flash", title="Flashing", source="New words."
        )
    html = read(client, url)
    assert "New words" in html and "Old words" not in html


def _draft_release(settings, tmp_path) -> tuple[Board, Release]:
    """Release 9.4, a draft with one kernel for board D07, its files stored under tmp_path."""
    settings.SIGNING_KEY_ID = ""
    settings.STORAGES = {
        **settings.STORAGES,
        "artifacts": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "artifacts", "base_url": "/downloads/files/"},
        },
    }
    board = Board.objects.create(slug="d07", name="D07")
    release = Release.objects.create(version="9.4")
    image = tmp_path / "Image"
    image.write_bytes(b"kernel")
    add_artifact_from_path(release=release, path=image, board=board, kind=Artifact.Kind.KERNEL)
    return board, release


def test_a_published_release_reaches_the_next_reader(client, settings, tmp_path):
    board, release = _draft_release(settings, tmp_path)
    url = reverse("downloads:board", args=[board.slug])
    assert "9.4" not in client.get(url).content.decode()
    publish_release(release=release)
    assert "9.4" in read(client, url)


def test_signed_in_readers_neither_get_nor_fill_kept_pages(client, member):
    signed_in = Client()
    signed_in.force_login(member)
    read(signed_in, "/")
    assert not kept(client.get("/"))  # the member's page filled nothing
    assert kept(client.get("/"))
    # What they get is the page kept for readers of their kind with their own menu filled in
    # (portal/page_cache.py, second half), never the signed-out one.
    page = signed_in.get("/")
    assert "ada" in page.content.decode() and "ada" not in client.get("/").content.decode()


def test_languages_are_kept_apart(client):
    english = read(client, "/")
    chinese_reader = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    chinese = read(chinese_reader, "/")
    assert '<html lang="zh-hans">' in chinese and '<html lang="en">' in english
    cookie_reader = Client()
    cookie_reader.cookies["django_language"] = "zh-hans"
    assert cookie_reader.get("/").content.decode() == chinese
    assert read(Client(), "/") == english


def test_the_language_links_switch_without_a_token(client):
    html = read(client, "/forum/")
    assert "csrfmiddlewaretoken" not in html
    link = reverse("switch_language", args=["zh-hans"]) + "?next=/forum/"
    assert f'href="{link}"' in html and 'rel="nofollow"' in html
    response = client.get(link)
    assert response.status_code == 302 and response["Location"] == "/forum/"
    assert '<html lang="zh-hans">' in read(client, "/forum/")


def test_the_language_switch_goes_back_only_to_this_site(client):
    response = client.get(reverse("switch_language", args=["en"]), {"next": "https://evil.test/"})
    assert response["Location"] == reverse("home")
    assert client.get(reverse("switch_language", args=["xx"])).status_code == 404


def test_a_missing_page_is_not_kept(client):
    assert client.get("/no-such-page/").status_code == 404
    assert not kept(client.get("/no-such-page/"))


def test_query_strings_are_pages_of_their_own(client):
    read(client, "/bugs/?status=open")
    assert not kept(client.get("/bugs/?status=closed"))
    assert kept(client.get("/bugs/?status=open"))


def test_a_page_with_a_form_token_is_not_kept(client):
    read(client, reverse("account_login"))
    assert not kept(client.get(reverse("account_login")))


def test_a_visitor_s_own_cookies_are_part_of_the_key(client):
    read(client, "/docs/")
    chooser = Client()
    chooser.cookies["docs_board"] = "d02"
    assert not kept(chooser.get("/docs/"))


def test_messages_or_a_session_skip_the_cache(client):
    read(client, "/")
    for name in ("messages", "sessionid"):
        visitor = Client()
        visitor.cookies[name] = "x"
        assert not kept(visitor.get("/"))


# What may be kept, answer by answer.


def _request(**meta):
    request = RequestFactory().get("/", **meta)
    return request


@pytest.mark.parametrize(
    "make",
    [
        lambda: HttpResponse("x", status=404),
        lambda: StreamingHttpResponse(iter([b"x"])),
        lambda: _with(HttpResponse("x"), cookie=True),
        lambda: _with(HttpResponse("x"), **{"Cache-Control": "private, max-age=60"}),
        lambda: _with(HttpResponse("x"), **{"Cache-Control": "no-cache"}),
        lambda: _with(HttpResponse("x"), **{"Cache-Control": "no-store"}),
        lambda: _with(HttpResponse("x"), Vary="Cookie, Authorization"),
        lambda: page_cache.not_kept_for_signed_out(lambda request: HttpResponse("x"))(None),
    ],
    ids=["404", "streaming", "cookie", "private", "no-cache", "no-store", "vary", "opted-out"],
)
def test_answers_that_are_not_kept(make):
    assert not page_cache.keepable(_request(), make())


def test_a_page_that_used_the_csrf_token_is_not_kept():
    request = _request()
    get_token(request)
    assert not page_cache.keepable(request, HttpResponse("x"))


def test_a_plain_page_is_kept():
    response = _with(HttpResponse("x"), Vary="Cookie, Accept-Language")
    assert page_cache.keepable(_request(), response)


def test_requests_that_are_never_answered_from_the_cache():
    factory = RequestFactory()
    assert page_cache.page_key(factory.post("/")) is None
    assert page_cache.page_key(factory.get("/", HTTP_AUTHORIZATION="Bearer x")) is None
    assert page_cache.page_key(factory.get("/")) is not None


@pytest.mark.parametrize(
    "url", ["/search/?q=d05", "/docs/search/?q=boot", "/lists/estuary-dev/search/?q=hns3"]
)
def test_searches_never_ask_the_cache_for_a_page(client, member, url):
    """Their views opted out (not_kept_for_signed_out): a kept page is never there to find, so
    the round trip to look for one is not made, signed out or in."""
    factory = RequestFactory()
    assert page_cache.page_key(factory.get(url)) is None
    signed_in = factory.get(url)
    signed_in.user, signed_in.session = member, {}
    assert page_cache.reader_page_key(signed_in) is None
    assert page_cache.page_key(factory.get(url.split("search/")[0])) is not None


def _with(response: HttpResponse, *, cookie: bool = False, **headers: str) -> HttpResponse:
    if cookie:
        response.set_cookie("seen", "1")
    for name, value in headers.items():
        response[name] = value
    return response


# Every page kind of the site bench (bench/bench_site.py), signed out, on the demo data.


@pytest.fixture
def demo(settings, tmp_path):
    from django.core.management import call_command

    settings.STORAGES = {
        **settings.STORAGES,
        "artifacts": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "artifacts", "base_url": "/downloads/files/"},
        },
    }
    settings.SIGNING_KEY_ID = ""
    settings.FORUM_POSTS_PER_PAGE = 2  # a topic of several pages: first, middle and last
    call_command("seed_demo", verbosity=0)


def bench_pages() -> dict[str, str]:
    from bugs.models import Bug
    from docs_app.models import Page
    from forum.models import Topic
    from lab.models import CaliperRun
    from lists.models import Thread

    board = Board.objects.filter(artifacts__release__status=Release.Status.PUBLISHED)[0]
    release = Release.objects.filter(status=Release.Status.PUBLISHED)[0]
    topic = Topic.objects.filter(category__read_access="everyone").order_by("-reply_count")[0]
    last = max(1, (topic.reply_count + 2) // 2)
    runs = list(CaliperRun.objects.order_by("pk").values_list("pk", flat=True))
    thread = Thread.objects.filter(mailing_list__is_private=False)[0]
    return {
        "home": "/",
        "board_grid": "/downloads/",
        "board_page": reverse("downloads:board", args=[board.slug]),
        "release_page": release.get_absolute_url(),
        "doc_page": Page.objects.filter(language="en")[0].get_absolute_url(),
        "forum_category": reverse("forum:category", args=[topic.category.slug]),
        "topic_first": topic.get_absolute_url(),
        "topic_middle": f"{topic.get_absolute_url()}?page={max(1, last // 2)}",
        "topic_last": f"{topic.get_absolute_url()}?page={last}",
        "bug_list_3_filters": f"/bugs/?board={board.slug}&status=open&severity=major",
        "bug": Bug.objects.filter(is_security=False)[0].get_absolute_url(),
        "list_page": reverse("lists:list", args=[thread.mailing_list.name]),
        "thread": thread.get_absolute_url(),
        "caliper_compare": reverse("lab:compare_runs", args=[runs[0], runs[-1]]),
        "api_latest_release": reverse("api:board_latest", args=[board.slug]),
    }


def test_every_bench_page_is_kept_and_costs_no_query_the_second_time(
    demo, client, django_assert_max_num_queries
):
    for name, url in bench_pages().items():
        assert client.get(url).status_code == 200, (name, url)
        # The bound is 2 queries signed out; a page kept whole costs none.
        with django_assert_max_num_queries(0):
            second = Client().get(url)
        assert second.status_code == 200 and kept(second), (name, url)


# The pages signed-in members share (portal/page_cache.py, second half); the others are still
# rendered for each reader.
SHARED_SIGNED_IN = {
    "home", "board_page", "release_page", "doc_page", "forum_category", "topic_first",
    "topic_middle", "topic_last", "list_page", "thread", "caliper_compare",
}  # fmt: skip


GZIP = {"HTTP_ACCEPT_ENCODING": "gzip, deflate, br, zstd"}


def _without_tokens(html: str) -> str:
    """A page with its form tokens blanked: each answer masks the reader's token anew."""
    return re.sub(r'(name="csrfmiddlewaretoken" value=")[^"]+', r"\1", html)


@pytest.mark.parametrize("accept", [{}, GZIP], ids=["plain", "gzip"])
def test_members_share_the_bench_pages_and_a_repeat_visit_costs_no_query(
    demo, accept, django_assert_max_num_queries
):
    """Gzipped for a browser that takes it without compressing the page again: its texts
    deflated when kept, each reader's own parts (their name, their token) stored as they are."""
    users = get_user_model().objects
    first, second = Client(), Client()
    first.force_login(users.create_user("member-one", "one@example.org", "pw-for-tests-1"))
    second.force_login(users.create_user("member-two", "two@example.org", "pw-for-tests-1"))
    for name, url in bench_pages().items():
        if name not in SHARED_SIGNED_IN:
            continue
        rendered = first.get(url, **accept)  # rendered now, and kept
        assert rendered.status_code == 200, (name, url)
        assert rendered.has_header("Content-Encoding") == bool(accept), (name, url)
        # The second member's own parts, kept for them (a topic's first read moves their read
        # mark, which has their parts filled anew once).
        second.get(url, **accept)
        second.get(url, **accept)
        with django_assert_max_num_queries(0):
            again = second.get(url, **accept)
        assert again.status_code == 200 and kept(again), (name, url)
        html = (gzip.decompress(again.content) if accept else again.content).decode()
        assert ">member-two<" in html and ">member-one<" not in html, (name, url)
        assert "<!--reader:" not in html and page_cache.csrf_mark() not in html, (name, url)
        if not accept:
            continue
        assert again["Content-Encoding"] == "gzip" and "Accept-Encoding" in again["Vary"]
        assert int(again["Content-Length"]) == len(again.content), (name, url)
        plain = second.get(url)
        assert not plain.has_header("Content-Encoding") and "Accept-Encoding" in plain["Vary"]
        assert _without_tokens(html) == _without_tokens(plain.content.decode()), (name, url)
        for token in re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html):
            assert token.encode() in again.content, (name, url)  # stored as it is, uncompressed
        # Each text is deflated apart: a small page shrinks less than whole (the home page here:
        # 5.3 KB of 10.5, whole 3.3).
        assert len(again.content) < len(plain.content) * 2 / 3, (name, url)


def test_a_member_s_form_token_from_a_gzipped_page_is_taken(client, member):
    client.force_login(member)
    url = reverse("downloads:releases")
    client.get(url, **GZIP)
    html = gzip.decompress(client.get(url, **GZIP).content).decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)[1]
    checked = Client(enforce_csrf_checks=True)
    checked.cookies = client.cookies
    watched = checked.post(
        reverse("downloads:watch_releases"), {"watch": "1", "csrfmiddlewaretoken": token}
    )
    assert watched.status_code == 302
    assert "Stop watching all releases" in read(client, url)


@pytest.mark.parametrize(
    "html",
    [
        "<p>plain text with no part of the reader's</p>" * 40,
        "<!--reader:account-->" + "<p>shared</p>" * 200 + "<!--reader:account-->",
        "<form>" + "<i>x</i>" * 300 + '<input value="TOKEN"><!--reader:a--><!--reader:b-->'
        "TOKEN<!--reader:huge--><!--reader:not a mark--><!--reader:unclosed",
    ],
)
def test_a_page_gzipped_for_a_reader_unpacks_to_the_page_filled_for_them(html):
    html = html.replace("TOKEN", page_cache.csrf_mark())
    content = html.encode()
    response = HttpResponse(content, content_type="text/html; charset=utf-8")
    layout, blob = page_cache._reader_gzip_layout(response, content)
    # A part longer than a stored block holds.
    parts = {"account": "<nav>café</nav>", "a": "", "b": "Unlike", "huge": "é" * 70_000}
    expected = page_cache.fill_marks(content, parts).replace(
        page_cache.csrf_mark().encode(), b"the-token"
    )

    def part(name: str) -> bytes:
        if name == page_cache.READER_TOKEN:
            return b"the-token"
        return parts.get(name, "").encode()

    assert gzip.decompress(page_cache._gzipped_for_reader(content, layout, blob, part)) == expected


def test_a_big_page_s_body_is_served_from_any_process():
    from portal.caching import PAGES

    request = RequestFactory().get("/big/")
    key = page_cache.page_key(request)
    body = b"<p>" + b"x" * (page_cache.BIG_PAGE_BYTES + 1) + b"</p>"
    lookup = page_cache.Lookup(None, PAGES.current())
    page_cache.keep(key, lookup, request, HttpResponse(body))
    page_cache._bodies.clear()  # another process: no copy of its own yet
    assert page_cache.read(key).response.content == body
    assert page_cache.read(key).response.content == body  # now from this process's copy
    kept_entry = cache.get(key)
    assert kept_entry[3] is None  # the entry itself stays small
    page_cache._bodies.clear()
    cache.delete(kept_entry[4])  # the body expired before its entry
    assert page_cache.read(key).response is None


def test_a_big_page_s_gzipped_copy_is_kept_apart_and_served_from_any_process():
    from portal.caching import PAGES

    request = RequestFactory().get("/big-text/")
    key = page_cache.page_key(request)
    # Hexadecimal text: it compresses to half, still over BIG_PAGE_BYTES.
    body = secrets.token_hex(page_cache.BIG_PAGE_BYTES * 2).encode()
    lookup = page_cache.Lookup(None, PAGES.current())
    first = page_cache.keep(key, lookup, request, HttpResponse(body), gzipped=True)
    assert gzip.decompress(first.content) == body and first["Content-Encoding"] == "gzip"
    kept_entry = cache.get(key)
    assert kept_entry[3] is None and kept_entry[7] is None  # both bodies kept apart
    page_cache._bodies.clear()  # another process
    for _ in range(2):  # from the cache, then from this process's copy
        answer = page_cache.read(key, gzipped=True).response
        assert answer["Content-Encoding"] == "gzip" and gzip.decompress(answer.content) == body
        assert page_cache.read(key).response.content == body
    page_cache._bodies.clear()
    cache.delete(kept_entry[8])  # the gzipped copy expired before its entry
    assert page_cache.read(key, gzipped=True).response is None


@pytest.mark.parametrize("as_bytes", [False, True])
def test_marks_are_filled_alike_in_text_and_in_a_page_s_bytes(as_bytes):
    asked = []

    def menu() -> str:
        asked.append("menu")
        return "<nav>café</nav>"

    html = (
        "<!--reader:account--><p>é</p><!--reader:likes.1-->"
        "<!--reader:not a mark--><!--reader:--><!-- plain --><!--reader:gone-->"
        "<!--reader:unclosed"
    )
    parts = {"account": menu, "likes.1": "Unlike", "unused": lambda: asked.append("unused")}
    filled = page_cache.fill_marks(html.encode() if as_bytes else html, parts)
    text = filled.decode() if as_bytes else filled
    assert text == (
        "<nav>café</nav><p>é</p>Unlike<!--reader:not a mark--><!--reader:--><!-- plain -->"
        "<!--reader:unclosed"
    )
    assert asked == ["menu"]  # a part nobody's page holds is never made


def test_a_page_rendered_again_has_one_request_make_the_reader_s_parts(
    client, member, django_assert_num_queries
):
    """The others meanwhile get the parts made for the page before, unless the reader's own
    state moved: then theirs are made at once."""
    client.force_login(member)
    url = reverse("downloads:releases")
    read(client, url)
    assert "Watch all releases" in read(client, url)  # the page and the reader's parts kept
    request = RequestFactory().get(url)
    request.user, request.session = member, {}
    key = page_cache.reader_page_key(request)
    making = f"{page_cache._parts_key(key, member.pk)}:making"

    def rendered_again() -> None:  # as another request of any reader would have
        generation, stored_at, *rest = cache.get(key)
        cache.set(key, (generation, stored_at + 1, *rest))

    rendered_again()
    cache.add(making, 1)  # another request of this reader is making their parts
    with django_assert_num_queries(0):
        assert "Watch all releases" in read(client, url)
    cache.delete(making)
    with django_assert_num_queries(1):  # this request's turn: the reader's watch looked up
        assert "Watch all releases" in read(client, url)
    with django_assert_num_queries(0):
        assert "Watch all releases" in read(client, url)

    client.post(reverse("downloads:watch_releases"), {"watch": "1"})
    rendered_again()
    cache.add(making, 1)
    assert "Stop watching all releases" in read(client, url)  # their own change, at once


# --- What readers may no longer see is never served stale ---------------------------------------


@pytest.fixture
def staff(db):
    return get_user_model().objects.create_superuser("root", "root@example.org", "pw-for-tests-1")


def _held_while_rendered(client, url: str, key: str | None = None):
    """The answer a signed-out reader (or the reader of the page at `key`) gets for `url` while
    another worker renders it again (and ends, 0.1 s later, without keeping it: the reader then
    renders it)."""
    key = key or _key(url)
    cache.add(f"{key}:rendering", 1)
    other_render = threading.Timer(0.1, cache.delete, [f"{key}:rendering"])
    other_render.start()
    try:
        return client.get(url)
    finally:
        other_render.join()


def _public_bug(reporter):
    component = Component.objects.create(
        product=Product.objects.create(name="Kernel", slug="kernel"), name="net", slug="net"
    )
    return filing.file_bug(
        summary="Oops in hns3", description="It oopses.", reporter=reporter, component=component
    )


def test_a_bug_made_a_security_bug_is_never_served_from_a_kept_page(client, member, staff):
    from bugs.services import triage

    bug = _public_bug(member)
    list_url = reverse("bugs:index")
    assert "Oops in hns3" in read(client, bug.get_absolute_url())
    assert "Oops in hns3" in read(client, list_url)
    triage.update_bug(actor=staff, bug=bug, values={"is_security": True})
    assert _held_while_rendered(client, bug.get_absolute_url()).status_code == 404
    listed = _held_while_rendered(client, list_url)
    assert not kept(listed) and "Oops in hns3" not in listed.content.decode()


def test_a_bug_made_a_security_bug_leaves_the_members_shared_pages_at_once(client, member, staff):
    from bugs.services import triage

    bug = _public_bug(staff)
    list_url = reverse("bugs:index")
    client.force_login(member)
    assert "Oops in hns3" in read(client, list_url)
    assert "Oops in hns3" in read(client, list_url)  # the page members share, kept
    triage.update_bug(actor=staff, bug=bug, values={"is_security": True})
    key = page_cache.reader_page_key(_member_request(member, list_url))
    assert "Oops in hns3" not in _held_while_rendered(client, list_url, key).content.decode()


def _member_request(user, url: str):
    request = RequestFactory().get(url)
    request.user = user
    request.session = {}
    return request


def test_a_hidden_post_or_topic_is_never_served_from_a_kept_page(client, member, staff, settings):
    settings.FORUM_POST_INTERVAL = settings.FORUM_NEW_USER_POST_INTERVAL = 0
    category = Category.objects.create(name="Boards", slug="boards")
    topic = forum.create_topic(user=member, category=category, title="D05 boot", source="First.")
    reply = forum.post_reply(user=member, topic=topic, source="Buy cheap watches.")
    url = topic.get_absolute_url()
    assert "cheap watches" in read(client, url)
    forum.set_post_hidden(moderator=staff, post=reply, hidden=True, reason="spam")
    assert "cheap watches" not in _held_while_rendered(client, url).content.decode()
    read(client, url)
    forum.moderate_topic(moderator=staff, topic=topic, action="hide_topic", reason="spam")
    assert _held_while_rendered(client, url).status_code == 404


def test_a_post_hidden_by_flags_is_never_served_from_a_kept_page(client, member, settings):
    settings.FORUM_POST_INTERVAL = settings.FORUM_NEW_USER_POST_INTERVAL = 0
    settings.FORUM_FLAGS_TO_HIDE = 1
    category = Category.objects.create(name="Boards", slug="boards")
    topic = forum.create_topic(user=member, category=category, title="D05 boot", source="First.")
    reply = forum.post_reply(user=member, topic=topic, source="Buy cheap watches.")
    flagger = get_user_model().objects.create_user("bo", "bo@example.org", "pw-for-tests-1")
    url = topic.get_absolute_url()
    assert "cheap watches" in read(client, url)
    forum.flag_post(user=flagger, post=reply, reason="spam")
    assert "cheap watches" not in _held_while_rendered(client, url).content.decode()


def test_a_topic_moved_where_signed_out_readers_may_not_read_is_never_served(client, member, staff):
    public = Category.objects.create(name="Boards", slug="boards")
    members_only = Category.objects.create(name="Team", slug="team", read_access="members")
    topic = forum.create_topic(user=member, category=public, title="D05 boot", source="First.")
    url = topic.get_absolute_url()
    read(client, url)
    forum.move_topic(moderator=staff, topic=topic, category=members_only, reason="internal")
    assert _held_while_rendered(client, url).status_code in (302, 403, 404)


def test_a_deleted_row_is_never_served_from_a_kept_page(client):
    news = NewsItem.objects.create(
        title="Short-lived", slug="short", body="b", published_at=timezone.now()
    )
    read(client, news.get_absolute_url())
    news.delete()
    assert _held_while_rendered(client, news.get_absolute_url()).status_code == 404


def test_a_list_made_private_is_never_served_from_a_kept_page(client):
    from lists.models import MailingList

    mailing_list = MailingList.objects.create(
        name="estuary-team", title="Team", posting_address="team@example.org"
    )
    url = reverse("lists:list", args=[mailing_list.name])
    read(client, url)
    mailing_list.is_private = True
    mailing_list.save()  # as the admin saves it
    assert _held_while_rendered(client, url).status_code in (302, 403, 404)


def test_a_withdrawn_release_is_never_served_from_a_kept_page(client, settings, tmp_path):
    from downloads.services.publishing import withdraw_release

    _board, release = _draft_release(settings, tmp_path)
    publish_release(release=release)
    url = release.get_absolute_url()
    read(client, url)
    withdraw_release(release=release, reason="A bad key signed it.")
    assert _held_while_rendered(client, url).status_code == 410


def test_a_withdrawal_still_lets_other_changes_serve_the_old_page_meanwhile(client):
    """Only what takes something away skips the old page; a new row does not."""
    news = NewsItem.objects.create(title="Old", slug="old", body="b", published_at=timezone.now())
    read(client, reverse("news_list"))
    news.delete()
    read(client, reverse("news_list"))  # kept anew after the withdrawal
    NewsItem.objects.create(title="Fresh news", slug="fresh", body="b")
    meanwhile = _held_while_rendered(client, reverse("news_list"))
    assert kept(meanwhile) and "Fresh news" not in meanwhile.content.decode()
