"""The build pages: who may see them, starting and cancelling, the log by offset, query counts."""

from __future__ import annotations

import pytest
from django.urls import reverse

from builds.models import BootTest, Build, BuildLogChunk
from builds.runner import execute_build
from builds.services import start_builds

pytestmark = pytest.mark.django_db


@pytest.fixture
def rm_client(client, release_manager):
    client.force_login(release_manager)
    return client


def _fake_builds(release, recipe, n: int) -> None:
    Build.objects.bulk_create(
        Build(recipe=recipe, release=release, state="finished", result="failed", log_size=0)
        for _ in range(n)
    )


def test_build_pages_are_for_release_managers(client, django_user_model, release, make_recipe):
    build = start_builds(release=release, recipes=[make_recipe("true")]).started[0]
    urls = [
        reverse("builds:list"),
        build.get_absolute_url(),
        reverse("builds:log", args=[build.pk]),
        reverse("builds:release", args=[release.version]),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    client.force_login(django_user_model.objects.create_user("someone", "s@example.org", "x"))
    for url in urls:
        assert client.get(url).status_code == 403
    response = client.post(reverse("builds:start"), {"release": release.version})
    assert response.status_code == 403
    assert Build.objects.count() == 1


def test_starting_all_boards_from_the_page(rm_client, release, make_recipe, other_board):
    make_recipe("true")
    make_recipe("true", board=other_board)
    response = rm_client.post(reverse("builds:start"), {"release": release.version})
    assert response.status_code == 302
    assert response["Location"] == reverse("builds:release", args=[release.version])
    assert Build.objects.filter(release=release, state="queued").count() == 2
    page = rm_client.get(response["Location"]).content.decode()
    assert "2 builds queued: Test Board, Other Board." in page and "build(s)" not in page
    # One board: straight to its build page.
    Build.objects.update(state="finished", result="cancelled")
    response = rm_client.post(
        reverse("builds:start"), {"release": release.version, "board": "otherboard"}
    )
    build = Build.objects.get(state="queued")
    assert response["Location"] == build.get_absolute_url()
    assert build.recipe.board == other_board and build.trigger == "web"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"release": "0.0-nope"}, "There is no draft release with that version."),
        ({"release": "9.9", "board": "nope"}, "No enabled build recipe exists for that board."),
        ({}, "This field is required."),
    ],
)
def test_bad_start_requests_get_a_form_error(rm_client, release, make_recipe, data, message):
    make_recipe("true")
    response = rm_client.post(reverse("builds:start"), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Build.objects.exists()


def test_a_board_without_recipe_is_refused_from_the_release_page(
    rm_client, release, make_recipe, other_board
):
    make_recipe("true", board=other_board, enabled=False)
    make_recipe("true")
    response = rm_client.post(
        reverse("builds:start"),
        {"release": release.version, "from": "release", "board": "otherboard"},
    )
    assert response.status_code == 400
    assert "No enabled build recipe exists for that board." in response.content.decode()


def test_the_build_page_shows_the_log_without_javascript(rm_client, release, make_recipe):
    build = start_builds(release=release, recipes=[make_recipe("echo 'hello <world>'")]).started[0]
    execute_build(build_id=build.pk)
    page = rm_client.get(build.get_absolute_url()).content.decode()
    assert "hello &lt;world&gt;" in page
    assert "js/builds.js" in page and "<progress" in page
    assert 'data-active="false"' in page and "Retry" in page
    text = rm_client.get(reverse("builds:log_text", args=[build.pk]))
    assert b"hello <world>" in b"".join(text.streaming_content)


def test_the_log_endpoint_reads_from_an_offset(rm_client, release, make_recipe):
    build = start_builds(release=release, recipes=[make_recipe("true")]).started[0]
    BuildLogChunk.objects.create(build=build, offset=0, end=6, text="first\n")
    BuildLogChunk.objects.create(build=build, offset=6, end=13, text="second\n")
    Build.objects.filter(pk=build.pk).update(log_size=13, state="running", progress=30)
    url = reverse("builds:log", args=[build.pk])
    data = rm_client.get(url, {"offset": 0}).json()
    assert (data["text"], data["next"], data["size"]) == ("first\nsecond\n", 13, 13)
    assert (data["state"], data["progress"], data["finished"]) == ("running", 30, False)
    assert rm_client.get(url, {"offset": 6}).json()["text"] == "second\n"
    assert rm_client.get(url, {"offset": 13}).json()["text"] == ""
    for bad in ("x", "-1"):
        response = rm_client.get(url, {"offset": bad})
        assert response.status_code == 400 and b"offset" in response.content


def test_cancel_and_retry_from_the_page(rm_client, release, make_recipe):
    build = start_builds(release=release, recipes=[make_recipe("true")]).started[0]
    response = rm_client.post(reverse("builds:cancel", args=[build.pk]))
    assert response.status_code == 302
    build.refresh_from_db()
    assert build.result == "cancelled" and "rm" in build.reason
    response = rm_client.post(reverse("builds:cancel", args=[build.pk]), follow=True)
    assert "has already finished" in response.content.decode()
    response = rm_client.post(reverse("builds:retry", args=[build.pk]))
    retry = Build.objects.get(state="queued")
    assert response["Location"] == retry.get_absolute_url() and retry.recipe == build.recipe
    assert rm_client.get(reverse("builds:cancel", args=[build.pk])).status_code == 405


def test_publishing_is_offered_only_when_every_build_succeeded(rm_client, release, make_recipe):
    build = start_builds(release=release, recipes=[make_recipe('echo x > "$OUTPUT_DIR/f"')])
    url = reverse("builds:release", args=[release.version])
    assert 'data-test="publish-release"' not in rm_client.get(url).content.decode()
    response = rm_client.post(
        reverse("builds:release_publish", args=[release.version]), follow=True
    )
    assert "Not every build of this release has succeeded." in response.content.decode()
    manage_url = reverse("downloads:manage_release", args=[release.version])
    assert 'data-test="publish-release"' not in rm_client.get(manage_url).content.decode()
    execute_build(build_id=build.started[0].pk)
    # Both the builds page and the release manager's page of the draft say it and offer it.
    for page_url in (url, manage_url):
        page = rm_client.get(page_url).content.decode()
        assert "The build succeeded." in page and 'data-test="publish-release"' in page


def test_unknown_builds_and_releases_are_404(rm_client):
    assert rm_client.get(reverse("builds:detail", args=[999999])).status_code == 404
    assert rm_client.get(reverse("builds:release", args=["nope"])).status_code == 404


def test_query_counts_do_not_grow_with_the_builds(
    rm_client, release, make_recipe, other_board, django_assert_max_num_queries
):
    recipe = make_recipe("true")
    make_recipe("true", board=other_board)
    _fake_builds(release, recipe, 3)
    build = Build.objects.first()
    BootTest.objects.create(build=build, status="passed", finished_at=build.created_at)
    pages = [
        reverse("builds:list"),
        reverse("builds:release", args=[release.version]),
        build.get_absolute_url(),
        reverse("builds:log", args=[build.pk]),
    ]
    limits = {}
    for url in pages:
        with django_assert_max_num_queries(12) as captured:
            assert rm_client.get(url).status_code == 200
        limits[url] = len(captured)
    _fake_builds(release, recipe, 60)
    BuildLogChunk.objects.bulk_create(
        BuildLogChunk(build=build, offset=i * 10, end=i * 10 + 10, text="0123456789")
        for i in range(200)
    )
    Build.objects.filter(pk=build.pk).update(log_size=2000)
    BootTest.objects.bulk_create(
        BootTest(build=b, status="failed", finished_at=b.created_at, console_log="panic")
        for b in Build.objects.all()
    )
    for url in pages:
        with django_assert_max_num_queries(limits[url]):
            assert rm_client.get(url).status_code == 200


def test_only_superusers_edit_recipes_in_the_admin(client, django_user_model, make_recipe):
    from django.contrib.auth.models import Permission

    recipe = make_recipe("true")
    staff = django_user_model.objects.create_user("staff", "st@example.org", "x", is_staff=True)
    staff.user_permissions.add(
        *Permission.objects.filter(
            codename__endswith="buildrecipe", content_type__app_label="downloads"
        )
    )
    client.force_login(staff)
    change = reverse("admin:builds_buildrecipe_change", args=[recipe.pk])
    assert client.get(reverse("admin:builds_buildrecipe_add")).status_code == 403
    response = client.post(change, {"script": "echo changed"})
    assert response.status_code == 403
    recipe.refresh_from_db()
    assert recipe.script == "true"
    admin = django_user_model.objects.create_superuser("boss", "b@example.org", "x")
    client.force_login(admin)
    assert client.get(change).status_code == 200


def test_two_recipes_of_one_board_name_the_board_once(rm_client, release, make_recipe):
    make_recipe("true")
    make_recipe("true")
    response = rm_client.post(reverse("builds:start"), {"release": release.version}, follow=True)
    page = response.content.decode()
    assert "2 builds queued: Test Board." in page and "Test Board, Test Board" not in page
