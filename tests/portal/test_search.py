"""The site search over every section: what each reader may see, facets, files by checksum or
name, the way in from a section's own search, a bounded number of queries, and bad input."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from email.utils import format_datetime

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser, Group
from django.core.cache import cache
from django.db import connection
from django.db.models.expressions import RawSQL
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from bugs.models import Component, Product
from bugs.services import filing
from docs_app import services as docs
from docs_app.models import Section
from docs_app.sections import ensure_sections
from downloads.models import Artifact, Board, Release
from forum import services as forum
from forum.models import Access, Category, Post
from lists.mailboxes import Entry
from lists.models import MailingList
from lists.services.ingestion import archive_batch
from portal import search
from portal.models import Profile
from portal.registry import registry
from portal.search import CANDIDATES, NO_FILTERS, OVERVIEW_HITS, SECTION_HITS
from tests.conftest import headline_sources

pytestmark = pytest.mark.django_db
SEARCH = reverse("search")


def _sha(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()


def _mail(
    message_id: str, subject: str, body: str, when: dt.datetime, in_reply_to: str = ""
) -> Entry:
    reply = f"In-Reply-To: <{in_reply_to}>\n" if in_reply_to else ""
    raw = (
        f"From: Wei <wei@example.org>\nTo: dev@lists.example.org\nSubject: {subject}\n"
        f"Date: {format_datetime(when)}\nMessage-ID: <{message_id}>\n{reply}\n{body}\n"
    )
    return Entry("", raw.encode(), 0)


@dataclass
class World:
    reader: object
    moderator: object
    security: object
    member: object
    release_manager: object
    published: Release
    draft: Release
    file: Artifact
    draft_file: Artifact


@pytest.fixture
def world(settings) -> World:
    settings.FORUM_POST_INTERVAL = 0
    settings.FORUM_NEW_USER_POST_INTERVAL = 0
    ensure_sections(Section)

    def person(name: str, *groups: str):
        # No password: force_login needs none, and hashing one costs a second.
        user = get_user_model().objects.create_user(name, f"{name}@example.org", None)
        Profile.objects.create(user=user, trust_level=Profile.TrustLevel.MEMBER)
        for group in groups:
            user.groups.add(Group.objects.get_or_create(name=group)[0])
        return user

    reader = person("olga")
    moderator = person("mo", "moderators")
    security = person("sec", "security")
    member = person("ada")
    release_manager = person("rm", "release-managers")

    d02 = Board.objects.create(slug="d02", name="D02", soc="Hip05", summary="A zebrafish board.")
    now = timezone.now()
    published = Release.objects.create(
        version="9.0", title="Zebrafish", status="published", published_at=now
    )
    draft = Release.objects.create(version="9.1", title="Quokkarelease")
    file = Artifact.objects.create(
        release=published, board=d02, filename="estuary-d02-uefi-zebrafish.img.xz",
        file="x", size=1, sha256=_sha("published"),
    )  # fmt: skip
    draft_file = Artifact.objects.create(
        release=draft, board=d02, filename="estuary-d02-quokkafile.img.xz",
        file="y", size=1, sha256=_sha("draft"),
    )  # fmt: skip

    quick = Section.objects.get(slug="quick-start")
    docs.save_page(section=quick, slug="d02", title="D02 quick start", source="Zebrafish boot.")
    docs.save_page(
        section=quick, slug="d02", title="D02 for 9.1", source="Quokkadoc.", release=draft
    )

    public = Category.objects.create(name="Boards", slug="boards")
    private = Category.objects.create(
        name="Moderators", slug="moderators", read_access=Access.GROUP,
        read_group=Group.objects.get(name="moderators"),
        post_access=Access.GROUP, post_group=Group.objects.get(name="moderators"),
    )  # fmt: skip
    forum.create_topic(user=reader, category=public, title="Zebrafish on D02", source="zebrafish")
    forum.create_topic(user=moderator, category=private, title="Quokkaforum", source="quokkaforum")
    hidden = forum.create_topic(
        user=reader, category=public, title="Spam here", source="quokkahidden"
    )
    # Hidden as moderators hide (the service also takes it out of the topic's search document).
    forum.set_post_hidden(
        moderator=moderator, post=Post.objects.get(topic=hidden), hidden=True, reason="spam"
    )

    product = Product.objects.create(name="Kernel", slug="kernel")
    component = Component.objects.create(product=product, name="Drivers", slug="drivers")
    filing.file_bug(
        reporter=reader, component=component, summary="Zebrafish panic", board=d02,
        release=published, description="zebrafish oops",
    )  # fmt: skip
    filing.file_bug(
        reporter=moderator, component=component, summary="Quokkabug hole",
        description="quokkabug", is_security=True,
    )  # fmt: skip

    open_list = MailingList.objects.create(name="dev", posting_address="dev@lists.example.org")
    closed = MailingList.objects.create(
        name="security", posting_address="sec@lists.example.org", is_private=True
    )
    closed.members.add(member)
    long_ago = dt.datetime(2016, 5, 1, 10, tzinfo=dt.UTC)
    archive_batch(
        mailing_list=open_list, entries=[_mail("a@x", "Zebrafish", "zebrafish", long_ago)]
    )
    archive_batch(mailing_list=closed, entries=[_mail("b@x", "Quokkamail", "quokkamail", long_ago)])
    return World(
        reader, moderator, security, member, release_manager, published, draft, file, draft_file
    )


def _search(client, user=None, **params):
    if user is not None:
        client.force_login(user)
    response = client.get(SEARCH, params)
    assert response.status_code == 200
    return response


def _statements(captured) -> list[tuple[str, str]]:
    """Each captured query's SQL and what runs it (what EXPLAIN takes): a prepared statement
    (portal.prepared) is asked for the SQL it was prepared with."""
    found = []
    with connection.cursor() as cursor:
        for query in captured.captured_queries:
            sql = run = query["sql"]
            if "EXECUTE prepared_" in sql:
                run = sql[sql.rindex("EXECUTE prepared_") :]
                name = run.split()[1].split("(")[0]
                statement = "SELECT statement FROM pg_prepared_statements WHERE name = %s"
                cursor.execute(statement, [name])
                sql = cursor.fetchone()[0]
            found.append((sql, run))
    return found


def _counts(response) -> dict[str, int]:
    return {s["name"]: s["total"] for s in response.context["sections"]}


# One case per kind of private thing: the word only it holds, its section, who may see it.
PRIVATE = {
    "private forum category": ("quokkaforum", "forum", "moderator"),
    "hidden post": ("quokkahidden", "forum", "moderator"),
    "security bug": ("quokkabug", "bugs", "security"),
    "private list": ("quokkamail", "lists", "member"),
    "draft release": ("quokkarelease", "downloads", "release_manager"),
    "draft release's file": ("quokkafile", "downloads", "release_manager"),
    "draft release's file by checksum": (_sha("draft"), "downloads", "release_manager"),
}


@pytest.mark.parametrize("kind", PRIVATE)
def test_a_private_thing_is_found_only_by_who_may_see_it(client, world, kind):
    word, section, who = PRIVATE[kind]
    whose = getattr(world, who)

    def finds(reader) -> int:
        client.logout()
        response = _search(client, reader, q=word)
        found = _counts(response)[section]
        assert len(_hits(response, section)) == found, (kind, reader)
        if not found:  # neither a hit nor a count gives it away
            assert not any(s["hits"] for s in response.context["sections"]), (kind, reader)
        return found

    # Answers and their SQL are kept for readers of the same rights: asked in either order,
    # nobody is served what another may see.
    for readers, found in (
        ([None, world.reader, whose], [0, 0, 1]),
        ([whose, None, world.reader], [1, 0, 0]),
    ):
        search._KEPT_SQL.clear()
        cache.clear()
        assert [finds(reader) for reader in readers] == found, kind


def _hits(response, name: str) -> list:
    return next(s["hits"] for s in response.context["sections"] if s["name"] == name)


def test_docs_of_a_draft_release_are_found_by_nobody(client, world):
    for reader in (None, world.reader, world.release_manager):
        response = _search(client, reader, q="quokkadoc")
        assert _counts(response)["docs"] == 0
        assert "D02 for 9.1" not in response.content.decode()


def test_results_are_grouped_with_snippets_and_facets_narrow_them(client, world):
    response = _search(client, q="zebrafish")
    counts = _counts(response)
    assert counts == {"docs": 1, "downloads": 3, "forum": 1, "bugs": 1, "lists": 1}
    html = response.content.decode()
    assert "<mark>zebrafish</mark>" in html.lower() or "<mark>Zebrafish</mark>" in html
    facets = {f["key"]: f for f in response.context["facets"]}
    d02 = facets["board"]["options"][0]
    assert (d02["label"], d02["count"]) == ("D02", 4)  # the board, its file, its guide, a bug
    assert [(o["label"], o["count"]) for o in facets["release"]["options"]] == [("9.0", 3)]
    assert "9.1" not in [o["label"] for o in facets["release"]["options"]]
    # A board keeps what belongs to it; the forum and the archive have no boards.
    by_board = _counts(_search(client, q="zebrafish", board="d02"))
    assert by_board == {"docs": 1, "downloads": 3, "forum": 0, "bugs": 1, "lists": 0}
    by_release = _counts(_search(client, q="zebrafish", release="9.0"))
    assert by_release["bugs"] == 1 and by_release["forum"] == 0 and by_release["lists"] == 0
    # The archive's message is from 2016: not in the past year.
    this_year = _counts(_search(client, q="zebrafish", date="year"))
    assert this_year["lists"] == 0 and this_year["forum"] == 1
    # A section facet shows one section's hits, and still counts the others.
    only_bugs = _search(client, q="zebrafish", section="bugs")
    shown = [s["name"] for s in only_bugs.context["sections"] if s["shown"] and s["hits"]]
    assert shown == ["bugs"] and _counts(only_bugs)["forum"] == 1


def test_a_doc_in_two_languages_counts_once_in_its_board_and_period(client, world):
    """The docs' counts, as the search page shows them to a reader of Chinese: a page written
    in both languages is one page; its slug names its board; its date falls in every period."""
    quick = Section.objects.get(slug="quick-start")
    other = Section.objects.exclude(slug="quick-start").first()
    for language in ("en", "zh-hans"):
        docs.save_page(
            section=other, slug="d02", title="D02 numbat", source="Numbat.", language=language
        )
    docs.save_page(section=quick, slug="numbat-2", title="Numbat two", source="Numbat.")
    response = client.get(SEARCH, {"q": "numbat"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert _counts(response)["docs"] == 2
    facets = {
        f["key"]: {o["value"]: o["count"] for o in f["options"]} for f in response.context["facets"]
    }
    assert facets["date"] == {"week": 2, "month": 2, "year": 2}
    assert facets["board"] == {"d02": 1}  # the other slug is no board's


def test_a_capped_count_says_there_may_be_more_whatever_the_count():
    """A section that counted its CANDIDATES latest matches may have more. The docs count a
    page written in two languages once, so a reader of Chinese saw "249" where the English
    page said "250+": both are "+"."""
    assert search._count_label(249, capped=True) == "249+"
    assert search._count_label(CANDIDATES, capped=True) == f"{CANDIDATES}+"
    assert search._count_label(12, capped=False) == "12"


def test_a_word_found_in_more_than_a_search_ranks_is_ranked_among_its_latest(client, world):
    """A word in more pages, topics, bugs and threads than a section ranks (CANDIDATES): the
    latest are among those ranked, and, ranks being equal, shown first. The index gives
    matches oldest first: the first CANDIDATES of them left out every recent one. Latest by
    the section's date: the oldest topic and thread, answered today, are the latest."""
    many = CANDIDATES + 10
    quick = Section.objects.get(slug="quick-start")
    boards = Category.objects.get(slug="boards")
    component = Component.objects.get(slug="drivers")
    dev = MailingList.objects.get(name="dev")
    start = timezone.now() - dt.timedelta(days=many)
    topics = []
    for n in range(many):
        # Docs break ties of rank by title: the newest page is the one titled to come first.
        title = f"Wombat {many - 1 - n:03}"
        docs.save_page(section=quick, slug=f"wombat-{n}", title=title, source="A page.")
        topics.append(
            forum.create_topic(
                user=world.reader, category=boards, title=f"Wombat {n}", source=f"Report {n}."
            )
        )
        filing.file_bug(
            reporter=world.reader,
            component=component,
            summary=f"Wombat {n}",
            description="A report.",
        )
    mails = [
        _mail(f"w{n}@x", f"Wombat {n}", "A report.", start + dt.timedelta(days=n))
        for n in range(many)
    ]
    archive_batch(mailing_list=dev, entries=mails)
    forum.post_reply(user=world.member, topic=topics[0], source="Seen here too.")
    answer = _mail("w0-answer@x", "Re: Wombat 0", "Seen here too.", timezone.now(), "w0@x")
    archive_batch(mailing_list=dev, entries=[answer])

    response = _search(client, q="wombat")
    latest = {
        "docs": "Wombat 000",
        "forum": "Wombat 0",
        "bugs": f"Wombat {many - 1}",
        "lists": "Wombat 0",
    }
    first = {section: _hits(response, section)[0].title for section in latest}
    assert {s: title.endswith(latest[s]) for s, title in first.items()} == dict.fromkeys(
        latest, True
    ), first
    assert {s: _counts(response)[s] for s in latest} == dict.fromkeys(latest, CANDIDATES)


def test_a_file_is_found_by_its_sha256_and_by_its_name(client, world):
    url = world.file.get_absolute_url()
    for query in (world.file.sha256, world.file.sha256.upper(), "d02-uefi", "uefi zebrafish"):
        response = _search(client, q=query)
        assert url in [h.url for h in _hits(response, "downloads")], query


def test_words_of_a_kept_query_are_taken_as_typed(client, world):
    """Searches of one shape share their SQL (built once): each finds its own words, and a
    wildcard of SQL's LIKE in a word matches only itself."""
    url = world.file.get_absolute_url()
    assert url in [h.url for h in _hits(_search(client, q="d02-uefi"), "downloads")]
    assert _hits(_search(client, q="d02_uefi"), "downloads") == []
    assert _hits(_search(client, q="d02%uefi"), "downloads") == []
    assert url in [h.url for h in _hits(_search(client, q="uefi-zebrafish"), "downloads")]
    assert _counts(_search(client, q="quokkaforum"))["forum"] == 0
    assert _counts(_search(client, q="zebrafish"))["forum"] == 1


def test_a_readers_kept_question_is_asked_with_their_own_key(django_user_model):
    """kept_exists builds a question of a reader (their rights) once for every reader and asks
    it with each one's key; where the key would reach the SQL as text, it is built each time."""
    first = django_user_model.objects.create(username="first")
    second = django_user_model.objects.create(username="second")
    search._KEPT_SQL.clear()

    def theirs(pk):
        return django_user_model.objects.filter(pk=pk, username="first")

    def inlined(pk):
        # An integer written into the SQL, as a careless build might.
        return django_user_model.objects.filter(pk=RawSQL(str(int(pk)), []), username="first")  # noqa: S611

    for key, build, kept in (("test.theirs", theirs, True), ("test.inlined", inlined, False)):
        assert search.kept_exists(key, build, first.pk), key
        assert not search.kept_exists(key, build, second.pk), key
        assert search.kept_exists(key, build, first.pk), key
        assert (search._KEPT_SQL[(key, "default")][0] == "kept") is kept, key


def test_a_narrowed_search_is_kept_by_its_shape_and_finds_its_own(client, world):
    """A search narrowed to a board, a release or a period shares its SQL with every search
    of its shape (the board and release reach it as values, the period as the database's
    clock): built once, each finds what its own narrowing keeps."""
    d05 = Board.objects.create(slug="d05", name="D05", soc="Hi1616", summary="Zebrafish too.")
    Artifact.objects.create(
        release=world.published, board=d05, filename="estuary-d05-zebrafish.img.xz",
        file="z", size=1, sha256=_sha("d05"),
    )  # fmt: skip
    search._KEPT_SQL.clear()
    expected = {
        "d02": {"docs": 1, "downloads": 3, "forum": 0, "bugs": 1, "lists": 0},
        "d05": {"docs": 0, "downloads": 3, "forum": 0, "bugs": 0, "lists": 0},
    }
    assert _counts(_search(client, q="zebrafish", board="d02")) == expected["d02"]
    kept = len(search._KEPT_SQL)
    assert kept >= 5  # one per section
    for board in ("d05", "d02"):
        assert _counts(_search(client, q="zebrafish", board=board)) == expected[board], board
    assert _counts(_search(client, q="quokkaforum", board="d05"))["forum"] == 0
    by_release = _counts(_search(client, q="zebrafish", release="9.0"))
    assert by_release == {"docs": 1, "downloads": 3, "forum": 0, "bugs": 1, "lists": 0}
    assert _counts(_search(client, q="zebrafish", release="9.1"))["downloads"] == 0
    this_year = _counts(_search(client, q="zebrafish", date="year"))
    assert (this_year["forum"], this_year["lists"]) == (1, 0)
    assert _counts(_search(client, q="quokkadoc", release="9.1"))["docs"] == 0  # a draft's
    grown = len(search._KEPT_SQL)
    assert _counts(_search(client, q="zebrafish", release="9.0", board="d05"))["downloads"] == 2
    assert _counts(_search(client, q="zebrafish", date="month"))["lists"] == 0
    assert len(search._KEPT_SQL) > grown > kept
    again = len(search._KEPT_SQL)
    _search(client, q="uefi", release="9.0", board="d02")
    _search(client, q="zebrafish", date="month")
    assert len(search._KEPT_SQL) == again


def test_the_archive_answers_a_sender_and_a_date_range(client, world):
    """Not the threads' documents: single messages, counted and shown all the same."""
    for query in ("f:wei@example.org zebrafish", "f:wei@example.org", "d:2016-05-01 zebrafish"):
        response = _search(client, q=query)
        assert _counts(response)["lists"] == 1, query
        [hit] = _hits(response, "lists")
        assert hit.url == reverse("lists:message", args=["dev", "a@x"]), query
        assert "2016-05-01" in hit.meta
    assert (
        "<mark>zebrafish</mark>"
        in _hits(_search(client, q="f:wei@example.org zebrafish"), "lists")[0].snippet
    )
    assert _counts(_search(client, q="f:nobody@example.org"))["lists"] == 0


def test_hits_and_facets_are_escaped_on_the_page(client, world):
    public = Category.objects.get(slug="boards")
    forum.create_topic(
        user=world.reader, category=public, title='Wombat <i>x</i> "q" & co', source="wombat"
    )
    page = _search(client, q="wombat").content.decode()
    assert "Wombat &lt;i&gt;x&lt;/i&gt; &quot;q&quot; &amp; co" in page
    assert "<i>x</i>" not in page
    assert '<input type="radio" name="section" value="forum"> Forum <span class="count">1' in page


def test_a_sections_own_search_offers_everywhere(client, world):
    everywhere = f'href="{SEARCH}?q=zebrafish%20boot"'
    for page in (
        reverse("docs_app:search"),
        reverse("lists:search", args=["dev"]),
        reverse("bugs:index"),
    ):
        html = client.get(page, {"q": "zebrafish boot"}).content.decode()
        assert everywhere in html, page


def test_the_search_page_keeps_its_query_count(client, world, django_assert_max_num_queries):
    # Five sections, all in the page's one query; the facets' names in one more, then kept.
    with django_assert_max_num_queries(2):
        _search(client, q="zebrafish")
    public = Category.objects.get(slug="boards")
    for n in range(15):
        forum.create_topic(
            user=world.reader, category=public, title=f"Zebrafish {n}", source=f"zebrafish {n}"
        )
    with django_assert_max_num_queries(1):
        response = _search(client, q="zebrafish")
    assert _counts(response)["forum"] == 16


@pytest.mark.parametrize(
    "query",
    [
        "zebrafish", "kernel zebrafish", "zebrafish d02", "d02", "zebra-boot.img", "x",
        "f:wei@example.org zebrafish", "f:wei@example.org", "zebrafish d:2016-05-01..2016-05-31",
    ],
)  # fmt: skip
def test_an_uncached_signed_out_search_costs_at_most_two_queries(
    client, world, query, django_assert_max_num_queries
):
    """Whatever the words (one, two, a board, a file name, a short one), every section
    answers in one query, and the facets' names cost one more until kept."""
    with django_assert_max_num_queries(2):
        assert _search(client, q=query).status_code == 200
    with django_assert_max_num_queries(1):
        assert _search(client, q=f"{query} again").status_code == 200


def test_a_signed_in_search_stays_within_the_signed_in_bound(
    client, world, django_assert_max_num_queries
):
    # A new answer: the reader's rights in the bugs and the lists (one query each), and the
    # sections' one query, with the session, the user and the facet names from the cache.
    client.force_login(world.reader)
    _search(client, q="zebrafish")
    with django_assert_max_num_queries(3):
        assert _search(client, q="kernel zebrafish").status_code == 200


def test_a_signed_in_search_is_kept_for_every_reader_of_the_same_rights(client, world):
    """Readers of the same rights (SearchProvider.rights) find the same things: one kept answer
    and one kept SQL serve them all. A reader whose answer is theirs alone is asked each time."""
    pat = get_user_model().objects.create_user("pat", "pat@example.org", None)  # olga's rights
    search._KEPT_SQL.clear()
    _search(client, world.reader, q="zebrafish")
    kept = len(search._KEPT_SQL)
    client.force_login(pat)

    def asked(query: str) -> tuple[dict[str, int], list[str]]:
        with CaptureQueriesContext(connection) as captured:
            response = _search(client, q=query)
        return _counts(response), [sql for sql, _run in _statements(captured)]

    # Olga's words: her answer, and no section asked.
    counts, statements = asked("zebrafish")
    assert counts["forum"] == counts["bugs"] == 1
    assert not any("forum_topic" in sql for sql in statements)
    # Other words: the sections asked, on the SQL kept for her searches' shape.
    counts, statements = asked("panic")
    assert counts["bugs"] == 1
    assert any("forum_topic" in sql for sql in statements)
    assert len(search._KEPT_SQL) == kept
    # Who reported a security bug finds it, asked for them each time.
    client.force_login(world.moderator)
    for _ in range(2):
        counts, statements = asked("quokkabug")
        assert counts["bugs"] == 1
        assert any("bugs_bug" in sql for sql in statements)


def test_no_section_search_scans_its_big_table(client, world):
    """With sequential scans priced out, every section's search must find an index to use."""
    with CaptureQueriesContext(connection) as captured:
        _search(client, q="zebrafish d02")
        _search(client, q=world.file.sha256)
    big = ["forum_post", "forum_topic", "bugs_bug", "lists_message", "lists_thread"]
    big += ["docs_app_page", "downloads_artifact"]
    statements = _statements(captured)
    assert any("forum_topic" in sql for sql, _run in statements)
    with connection.cursor() as cursor:
        # Planned anew for each EXPLAIN (a prepared statement may have kept a plan of its own).
        cursor.execute("SET enable_seqscan = off; SET plan_cache_mode = force_custom_plan")
        for sql, run in statements:
            if not any(f'"{table}"' in sql for table in big) or not run.startswith(
                ("SELECT", "EXECUTE")
            ):
                continue
            cursor.execute("EXPLAIN " + run)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            for table in big:
                assert f"Seq Scan on {table}" not in plan, plan
        cursor.execute("SET enable_seqscan = on; SET plan_cache_mode = auto")


BAD = ["", "   ", "x" * 10_000, "?!.,;:-", '"', "'", "zebra\x00fish", "-", "a & | ! ( )", "<b>"]


def test_bad_input_answers_with_a_word(client, world):
    for query in BAD:
        response = client.get(SEARCH, {"q": query})
        assert response.status_code == 200, query
        html = response.content.decode()
        if not query.strip() or not any(c.isalnum() for c in query):
            assert "Type what you are looking for" in html or "nothing to search for" in html
        elif len(query) > 200:
            assert "Only the first 200 characters" in html
    assert "&lt;b&gt;" in client.get(SEARCH, {"q": "<b>"}).content.decode()
    # The empty page teaches by example (and leads the site's crawl to a page with facets).
    assert 'href="?q=D02"' in client.get(SEARCH).content.decode()
    # A facet value that is no slug or version is ignored, not sent to the database.
    assert client.get(SEARCH, {"q": "zebrafish", "board": "\x00'", "date": "x"}).status_code == 200


def test_a_topic_is_found_by_the_words_its_posts_have_now(client, world):
    """The forum ranks topics by a kept document: every service that changes a topic's words
    changes what finds it, and a hidden post's words find it for moderators only."""
    public = Category.objects.get(slug="boards")
    topic = forum.create_topic(
        user=world.reader, category=public, title="Ordinary title", source="nothing special"
    )
    assert _counts(_search(client, q="wombatreply"))["forum"] == 0
    reply = forum.post_reply(user=world.moderator, topic=topic, source="a wombatreply here")
    response = _search(client, q="wombatreply")
    assert _counts(response)["forum"] == 1
    assert [h.url for h in _hits(response, "forum")] == [reply.get_absolute_url()]
    assert "<mark>wombatreply</mark>" in _hits(response, "forum")[0].snippet
    forum.edit_post(user=world.moderator, post=reply, source="a numbatreply now")
    assert _counts(_search(client, q="wombatreply"))["forum"] == 0
    assert _counts(_search(client, q="numbatreply"))["forum"] == 1
    forum.set_post_hidden(moderator=world.moderator, post=reply, hidden=True, reason="spam")
    assert _counts(_search(client, q="numbatreply"))["forum"] == 0
    assert _counts(_search(client, world.moderator, q="numbatreply"))["forum"] == 1


def test_a_signed_out_search_is_kept_until_a_section_changes(
    client, world, django_assert_max_num_queries
):
    _search(client, q="zebrafish")
    with django_assert_max_num_queries(0):
        response = _search(client, q="zebrafish")
    assert _counts(response)["forum"] == 1
    public = Category.objects.get(slug="boards")
    forum.create_topic(
        user=world.reader, category=public, title="Zebrafish again", source="zebrafish again"
    )
    assert _counts(_search(client, q="zebrafish"))["forum"] == 2
    # Signed in, too, until a section changes.
    client.force_login(world.reader)
    _search(client, q="zebrafish")
    forum.create_topic(
        user=world.reader, category=public, title="Zebrafish twice", source="zebrafish twice"
    )
    assert _counts(_search(client, q="zebrafish"))["forum"] == 3


def test_all_sections_show_a_few_hits_each_and_more_of_the_one_asked_for(client, world):
    component = Component.objects.get(slug="drivers")
    for number in range(25):
        filing.file_bug(
            reporter=world.reader, component=component, summary=f"Walrus stall {number}",
            description="walrus",
        )  # fmt: skip
    everything = _search(client, q="walrus")
    assert len(_hits(everything, "bugs")) == OVERVIEW_HITS
    assert _counts(everything)["bugs"] == 25
    more = next(s for s in everything.context["sections"] if s["name"] == "bugs")
    assert more["more"] and more["link"] == "?q=walrus&section=bugs"
    assert "More in Bugs" in everything.content.decode()

    narrowed = _search(client, q="walrus", section="bugs")
    assert len(_hits(narrowed, "bugs")) == SECTION_HITS
    assert _counts(narrowed)["bugs"] == 25
    html = narrowed.content.decode()
    assert html.count('<li><a href="/bugs/') == SECTION_HITS


def _generic_plan(section: str, query: str, options: str) -> list[str]:
    """EXPLAIN (`options`) of a section's part of the search page for a signed-out reader,
    run as the page runs it: a prepared statement on its generic plan (see portal.prepared)."""
    from portal import prepared

    provider = next(p for p in registry.sorted_search_providers() if p.name == section)
    part = provider.sql(query=query, user=AnonymousUser(), limit=OVERVIEW_HITS, filters=NO_FILTERS)
    types = ", ".join(prepared._type(value) for value in part.params)
    with connection.cursor() as cursor:
        cursor.execute("SET plan_cache_mode = force_generic_plan")
        cursor.execute(f"PREPARE probe({types}) AS SELECT ({prepared._numbered(part.sql)})")
        placeholders = ", ".join(["%s"] * len(part.params))
        cursor.execute(f"EXPLAIN ({options}) EXECUTE probe({placeholders})", part.params)
        plan = [row[0] for row in cursor.fetchall()]
        cursor.execute("DEALLOCATE probe; RESET plan_cache_mode")
    return plan


def _nodes(node: dict):
    yield node
    for child in node.get("Plans", []):
        yield from _nodes(child)


def test_the_forum_reads_no_more_of_a_words_older_topics_than_it_ranks(world):
    """A word in more older topics than the forum ranks (CANDIDATES): they are read until
    enough are found. With the categories' rule joined to them, the join read every older
    match before keeping one (all 1,585 topics of "uefi flash" in the bench's forum)."""
    from forum.models import Topic
    from portal.search import RECENT

    categories = [Category.objects.create(name=f"Board {n}", slug=f"board-{n}") for n in range(8)]
    now = timezone.now()

    def topic(n: int, title: str, age: dt.timedelta) -> Topic:
        category = categories[n % len(categories)]
        return Topic(category=category, title=title, author=world.reader, last_post_at=now - age)

    older = [topic(n, f"Quoll {n}", dt.timedelta(days=1000 - n)) for n in range(3 * CANDIDATES)]
    recent = [topic(n, f"Recent {n}", dt.timedelta(minutes=n)) for n in range(RECENT)]
    Topic.objects.bulk_create(older + recent)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE forum_topic SET search_document = to_tsvector('english', title)"
            " WHERE search_document IS NULL; ANALYZE forum_topic; ANALYZE forum_category"
        )
    (plan,) = _generic_plan("forum", "quoll", "ANALYZE, FORMAT JSON")
    plan = plan if isinstance(plan, list) else json.loads(plan)
    read = [
        node["Actual Rows"] * node["Actual Loops"]
        for node in _nodes(plan[0]["Plan"])
        if node.get("Relation Name") == "forum_topic" and node["Node Type"] == "Bitmap Heap Scan"
    ]
    assert read and sum(read) <= CANDIDATES + 10, read


@pytest.mark.parametrize("section", ["docs", "forum", "bugs", "lists"])
def test_each_section_parses_the_words_once_not_for_each_row(world, section):
    """As the search page runs its query: a prepared statement on its generic plan (see
    portal.prepared), where the words are a parameter. Ranks and hits use an InitPlan's
    one parse; only the matching holds the words: the index's condition (read once) and its
    recheck, or on these few rows a scan's filter."""
    plan = [line.strip() for line in _generic_plan(section, "zebrafish boot", "VERBOSE")]
    parsing = [line for line in plan if "to_tsquery(" in line]
    once = ("Output: to_tsquery(", "Output: websearch_to_tsquery(")
    matching = ("Index Cond:", "Recheck Cond:", "Filter:")
    assert parsing and all(line.startswith(once + matching) for line in parsing), "\n".join(plan)


def test_no_section_parses_a_whole_document_for_a_headline(world):
    """PostgreSQL parses every character a headline is made from: each section cuts it from a
    bounded part of the document (the first SNIPPET_TEXT, or a window around the match)."""
    for provider in registry.sorted_search_providers():
        if not provider.sql:
            continue
        part = provider.sql(limit=5, query="kernel", user=AnonymousUser(), filters=NO_FILTERS)
        for source in headline_sources(part.sql):
            assert source.lower().startswith(("left(", "substr(", "substring(")), (
                provider.name,
                source,
            )


def _sections_statement(captured) -> str:
    """The name of the prepared statement the sections answered in."""
    (run,) = [run for sql, run in _statements(captured) if '"forum_topic"' in sql]
    return run.split()[1].split("(")[0]


def test_a_search_runs_on_its_generic_plan_and_one_narrowed_to_a_period_on_its_dates(client, world):
    """Words are best served by one generic plan (their index, whatever they are). A period is a
    range of dates whose share of the rows only a plan for those dates knows: on a generic plan,
    the past week of a years-old archive read every match of "kernel boot" to keep none."""
    with connection.cursor() as cursor:  # counted from here: earlier tests ran the same shapes
        cursor.execute("DEALLOCATE ALL")
    connection._prepared_statements = None  # what portal.prepared knows of the connection
    names = {}
    for word in ["zebrafish", "kernel", "boot", "panic", "quick", "start", "again"]:
        for period in ("", "week"):
            with CaptureQueriesContext(connection) as captured:
                _search(client, q=word, date=period)
            names[period] = _sections_statement(captured)
    assert names[""] != names["week"]
    with connection.cursor() as cursor:
        statement = "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE name = %s"
        cursor.execute(statement, [names[""]])
        assert cursor.fetchone() == (7, 0)
        cursor.execute(statement, [names["week"]])
        assert cursor.fetchone()[1] >= 5
