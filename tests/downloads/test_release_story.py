"""A release's whole story: publishing writes its news item and forum topic and tells the
watchers of its boards and of all releases (centre and mail through the real worker);
withdrawing tells them why; a failure anywhere leaves nothing half-done; the board and
release pages show what the sections registered there, at a bounded cost."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from bugs.models import Bug, Component, Product, Severity
from docs_app.models import Section
from docs_app.services import save_page
from downloads.models import Release
from downloads.services.announcing import releases_watch_target
from forum.models import Topic
from portal.models import NewsItem, Notification
from portal.notifications import subscribe
from portal.registry import ReleaseListener, register_release_listener, registry


@pytest.fixture
def people(db):
    make = get_user_model().objects.create_user
    return {
        "board_fan": make("board_fan", "fan@example.org", "pw-for-tests-1"),
        "all_fan": make("all_fan", "all@example.org", "pw-for-tests-1"),
        "hikey_fan": make("hikey_fan", "hikey@example.org", "pw-for-tests-1"),
    }


@pytest.fixture
def story(boards, people, make_release):
    """A draft 5.0 for D02 with a guide and a bug it fixes; people watching what they like."""
    draft = make_release("5.0", {"d02/Image": b"kernel 5"}, publish=False)
    section, _new = Section.objects.get_or_create(slug="quick-start", defaults={"title": "Start"})
    save_page(section=section, slug="d02", title="D02 quick start", source="Boot.", tags=["d02"])
    product = Product.objects.create(slug="kernel", name="Kernel")
    component = Component.objects.create(product=product, slug="boot", name="Boot")
    Bug.objects.create(
        product=product, component=component, reporter=people["hikey_fan"], board=boards["d02"],
        summary="PCIe link drops at boot", description="It drops.", fixed_in=draft,
        status="RESOLVED", resolution="FIXED",
    )  # fmt: skip
    subscribe(user=people["board_fan"], target=boards["d02"])
    subscribe(user=people["all_fan"], target=releases_watch_target())
    subscribe(user=people["hikey_fan"], target=boards["hikey"])
    return draft


@pytest.mark.django_db(transaction=True)
def test_publishing_and_withdrawing_tell_the_watchers_through_the_worker(
    client, celery_worker, release_manager, people, story, make_release
):
    celery_worker.clear_mail()
    client.force_login(release_manager)
    response = client.post(reverse("downloads:manage_publish", args=["5.0"]))
    assert response.status_code == 302
    release = Release.objects.get(version="5.0")
    assert release.status == Release.Status.PUBLISHED

    news = release.announcement
    assert news.is_published and news.title == "Estuary 5.0 is out"
    for link in (
        "/downloads/d02/",
        "/downloads/releases/5.0/d02/Image",
        "/docs/5.0/quick-start/d02/",
    ):
        assert f"]({link})" in news.body, link
    assert "PCIe link drops at boot" in news.body and "Notes." in news.body

    topic = Topic.objects.get(release=release)
    assert topic.category.slug == "announcements" and topic.author == release_manager
    assert [b.slug for b in topic.boards.all()] == ["d02"]
    assert topic.get_absolute_url() in news.body  # the news item links its discussion

    told = Notification.objects.filter(verb="release_published")
    assert sorted(n.recipient.username for n in told) == ["all_fan", "board_fan"]
    assert {n.url for n in told} == {"/downloads/releases/5.0/"}
    mail = celery_worker.wait_for_mail(to="fan@example.org")
    assert "rm published Estuary 5.0" in mail["Subject"]
    assert "unsubscribe" in mail["List-Unsubscribe"]

    # The release page links its announcement and its topic, beside the bugs it fixes.
    client.logout()
    page = client.get(reverse("downloads:release", args=["5.0"])).content.decode()
    assert f'href="{news.get_absolute_url()}"' in page
    assert f'href="{topic.get_absolute_url()}"' in page
    assert "PCIe link drops at boot" in page
    assert "Estuary 5.0 is out" in client.get("/").content.decode()

    newer = make_release("5.1", {"d02/Image": b"kernel 5.1"})
    celery_worker.clear_mail()
    client.force_login(release_manager)
    response = client.post(
        reverse("downloads:manage_withdraw", args=["5.0"]),
        {"reason": "Bricks D02 boards with old firmware", "replaced_by": newer.pk},
    )
    assert response.status_code == 302
    withdrawn = Notification.objects.filter(verb="release_withdrawn")
    assert sorted(n.recipient.username for n in withdrawn) == ["all_fan", "board_fan"]
    # 5.1's own announcement may land after the clearing: wait for the withdrawal's.
    mail = celery_worker.wait_for_mail(to="fan@example.org", about="Bricks D02 boards")
    body = mail.get_content()
    assert "Bricks D02 boards with old firmware" in body
    assert "Use instead: Estuary 5.1" in body and "/downloads/releases/5.1/" in body


@pytest.fixture
def failing_listener():
    """A section whose part fails, after the forum opened its topic."""

    def fail(event):
        assert Topic.objects.filter(release=event.release).exists()  # the forum went first
        raise RuntimeError("the mailing list is down")

    register_release_listener(ReleaseListener(name="probe.failing", published=fail, order=900))
    yield
    registry.release_listeners.pop("probe.failing")


@pytest.mark.django_db
def test_a_failing_part_leaves_the_release_a_draft_and_nothing_else(
    client, release_manager, story, failing_listener
):
    client.force_login(release_manager)
    response = client.post(reverse("downloads:manage_publish", args=["5.0"]), follow=True)
    assert "announcing it failed (the mailing list is down)" in response.content.decode()
    assert Release.objects.get(version="5.0").status == Release.Status.DRAFT
    assert not NewsItem.objects.exists()
    assert not Topic.objects.exists()
    assert not Notification.objects.exists()


@pytest.mark.django_db
def test_a_draft_announcement_waits_for_staff(client, settings, release_manager, story):
    settings.RELEASE_NEWS_DRAFT = True
    client.force_login(release_manager)
    client.post(reverse("downloads:manage_publish", args=["5.0"]))
    news = Release.objects.get(version="5.0").announcement
    assert not news.is_published
    client.logout()
    assert client.get(news.get_absolute_url()).status_code == 404
    page = client.get(reverse("downloads:release", args=["5.0"])).content.decode()
    assert news.get_absolute_url() not in page  # no link to what readers cannot open
    topic = Topic.objects.get(release__version="5.0")
    assert news.get_absolute_url() not in topic.posts.get(number=1).source


@pytest.mark.django_db
def test_the_board_page_shows_guides_bugs_topics_and_a_watch_button(
    client, people, story, release_manager, django_assert_max_num_queries
):
    client.force_login(release_manager)
    client.post(reverse("downloads:manage_publish", args=["5.0"]))
    product = Product.objects.get()
    for severity, summary in ((Severity.MINOR, "Fan is loud"), (Severity.CRITICAL, "No boot")):
        Bug.objects.create(
            product=product, component=Component.objects.get(), reporter=people["board_fan"],
            board=story.artifacts.get().board, summary=summary, description=".",
            severity=severity,
        )  # fmt: skip
    url = reverse("downloads:board", args=["d02"])
    panels = len(registry.panels_for("board"))
    client.logout()
    with django_assert_max_num_queries(6 + panels):  # a cold cache: the body, one per panel
        client.get(url)
    client.force_login(people["hikey_fan"])
    # Signed in: the session, the user, the release-manager check and the unread badge, and
    # the groups the tracker and the forum check for private things.
    with django_assert_max_num_queries(6 + panels + 6):
        page = client.get(url).content.decode()
    assert "D02 quick start" in page
    assert page.index("No boot") < page.index("Fan is loud")  # the most severe first
    assert "Estuary 5.0" in page.split('data-test="board-topics"')[1]
    assert "Watch this board" in page

    response = client.post(reverse("downloads:watch_board", args=["d02"]), {"watch": "1"})
    assert response.status_code == 302
    assert "Stop watching this board" in client.get(url).content.decode()
    client.post(reverse("downloads:watch_board", args=["d02"]), {"watch": "0"})
    assert "Watch this board" in client.get(url).content.decode()

    client.post(reverse("downloads:watch_releases"), {"watch": "1"})
    assert (
        "Stop watching all releases" in client.get(reverse("downloads:releases")).content.decode()
    )
    client.logout()
    assert client.post(reverse("downloads:watch_board", args=["d02"])).status_code == 302
    assert "Sign in to watch this board" in client.get(url).content.decode()


def test_the_catalogue_and_the_announcer_import_no_section():
    """Publishing reaches the forum, the docs and the tracker only through what they register."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    sections = {"forum", "bugs", "docs_app", "lists", "lab", "builds"}
    files = [*(root / "downloads").rglob("*.py"), root / "portal" / "announcements.py"]
    for path in files:
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else []
            )
            for name in names:
                assert name.split(".")[0] not in sections, f"{path} imports {name}"


@pytest.mark.django_db
def test_a_topic_tagged_with_a_board_shows_on_both_pages(client, boards, people):
    from forum.models import Access, Category

    category = Category.objects.create(
        name="Boards", slug="boards-talk", read_access=Access.EVERYONE, post_access=Access.MEMBERS
    )
    client.force_login(people["board_fan"])
    response = client.post(
        reverse("forum:new_topic", args=[category.slug]),
        {"title": "D02 fan speed", "source": "How loud is yours?", "boards": [boards["d02"].pk],
         "post": "1"},
    )  # fmt: skip
    topic = Topic.objects.get(title="D02 fan speed")
    assert response.status_code == 302 and [b.slug for b in topic.boards.all()] == ["d02"]
    page = client.get(topic.get_absolute_url()).content.decode()
    assert f'href="{reverse("downloads:board", args=["d02"])}"' in page
    board = client.get(reverse("downloads:board", args=["d02"])).content.decode()
    assert "D02 fan speed" in board.split('data-test="board-topics"')[1]
