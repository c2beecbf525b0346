"""What a newcomer met on the demo site: links that led nowhere, missing cues, mixed wording.
Each page now shows what exists, says plainly what does not yet, and never links a 404."""

import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command

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


def test_print_views_fit_a_phone_and_resolve_links_like_their_page(client, demo):
    page = client.get("/docs/latest/quick-start/d02/print/").content.decode()
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert '<base href="/docs/latest/quick-start/d02/">' in page
    # Its relative links, resolved against the page as a browser does, all answer.
    for href in re.findall(r'href="(\.\./[^"]+)"', page):
        from urllib.parse import urljoin

        assert client.get(urljoin("/docs/latest/quick-start/d02/", href)).status_code == 200, href


@pytest.mark.parametrize("slug", ["d03", "d05", "hikey", "qemu"])
def test_a_board_without_a_guide_says_so_instead_of_a_dead_button(client, demo, slug):
    page = client.get(f"/downloads/{slug}/").content.decode()
    assert "Quick-start guide</a>" not in page
    assert 'data-test="no-quickstart"' in page and "no quick-start guide for the" in page


def test_a_board_with_a_guide_links_it(client, demo):
    page = client.get("/downloads/d02/").content.decode()
    (guide,) = re.findall(r'<a class="button" href="([^"]+)">Quick-start guide</a>', page)
    assert client.get(guide).status_code == 200
    assert 'data-test="no-quickstart"' not in page


def test_the_distribution_filter_offers_only_distributions_with_boards(client, demo):
    page = client.get("/downloads/").content.decode()
    select = page.split('name="distribution"')[1].split("</select>")[0]
    offered = re.findall(r'<option value="([a-z0-9-]+)"', select)
    assert {"ubuntu", "debian", "centos"} <= set(offered)
    assert not {"fedora", "opensuse", "openembedded"} & set(offered)
    for slug in offered:
        filtered = client.get("/downloads/", {"distribution": slug}).content.decode()
        assert "No board matches" not in filtered, slug
    (waiting,) = re.findall(r'data-test="no-images-yet">(.*?)</p>', page, re.S)
    assert "Fedora" in waiting and "yet" in waiting


def test_a_private_category_links_no_feed_its_members_cannot_read(client, demo):
    staff = get_user_model().objects.create_user("member", "m@example.org", "pw-for-tests-1")
    staff.groups.add(Group.objects.get(name="moderators"))
    client.force_login(staff)
    page = client.get("/forum/c/moderators/").content.decode()
    assert "/forum/c/moderators/feed/" not in page
    assert 'data-test="no-feed"' in page
    public = client.get("/forum/c/getting-started/").content.decode()
    assert "/forum/c/getting-started/feed/" in public


def test_an_empty_category_invites_signed_out_visitors_to_sign_in_and_post(client, demo):
    from forum.models import Category

    Category.objects.create(name="Benchmarks", slug="benchmarks")
    page = client.get("/forum/c/benchmarks/").content.decode()
    (cue,) = re.findall(r'data-test="sign-in-to-post">(.*?)</p>', page, re.S)
    assert "/accounts/login/?next=/forum/c/benchmarks/new/" in cue and "/accounts/signup/" in cue
    user = get_user_model().objects.create_user("ada", "ada@example.org", "pw-for-tests-1")
    client.force_login(user)
    assert 'data-test="sign-in-to-post"' not in client.get("/forum/c/benchmarks/").content.decode()


def test_one_wording_sign_up_and_build_it_yourself(client, demo):
    for url in ("/", "/accounts/signup/", "/accounts/login/"):
        page = client.get(url).content.decode()
        assert "Sign Up" not in page and "Sign In" not in page, url
    assert "Sign up" in client.get("/accounts/signup/").content.decode()
    docs = client.get("/docs/").content.decode()
    assert "Build it yourself" in docs and "Go Through" not in docs
