"""The home page: each section's block is cached and follows every change the services make."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command

from forum.models import Access, Category
from forum.services import create_topic, save_category
from portal.models import Profile
from portal.services import publish_news

pytestmark = pytest.mark.django_db(transaction=True)  # the caches are bumped on commit


@pytest.fixture
def seeded():
    call_command("seed_demo", verbosity=0)


@pytest.fixture
def author():
    user = get_user_model().objects.create_user("ada", "ada@example.org", "pw-for-tests-1")
    Profile.objects.create(user=user, trust_level=Profile.TrustLevel.REGULAR)
    return user


def home(client) -> str:
    response = client.get("/")
    assert response.status_code == 200
    return response.content.decode()


def test_a_cached_home_page_costs_at_most_one_query(client, seeded, django_assert_max_num_queries):
    home(client)  # fills the cache
    with django_assert_max_num_queries(1):
        home(client)


def test_news_appears_at_once(client, seeded):
    home(client)
    publish_news(title="Estuary 5.0 is out", body="New kernels for every board.")
    assert "Estuary 5.0 is out" in home(client)


def test_new_topics_appear_and_private_ones_never_reach_anonymous_readers(client, seeded, author):
    public = Category.objects.filter(read_access=Access.EVERYONE, post_access=Access.MEMBERS)[0]
    home(client)
    create_topic(user=author, category=public, title="GRUB hangs on HiKey", source="It hangs.")
    assert "GRUB hangs on HiKey" in home(client)

    staff = Group.objects.get(name="moderators")
    author.groups.add(staff)
    author = get_user_model().objects.get(pk=author.pk)  # a new request sees its new group
    secret = Category.objects.create(
        name="Embargoed", slug="embargoed", read_access="group", read_group=staff,
        post_access="group", post_group=staff,
    )  # fmt: skip
    create_topic(
        user=author, category=secret, title="Embargoed firmware flaw", source="Details inside."
    )
    client.force_login(author)
    assert "Embargoed firmware flaw" in home(client)  # a reader who may see it
    client.logout()
    assert "Embargoed firmware flaw" not in home(client)

    # A category made private in the admin leaves the anonymous home page at once.
    public.read_access = "group"
    public.read_group = staff
    save_category(category=public)
    assert "GRUB hangs on HiKey" not in home(client)


def test_a_new_release_shows_on_the_boards_block(client, seeded, tmp_path):
    from downloads.models import Board
    from downloads.services.artifacts import add_artifact_from_path
    from downloads.services.publishing import create_release, publish_release

    assert "Latest: 9.0" not in home(client)
    release = create_release(version="9.0")
    kernel = tmp_path / "Image"
    kernel.write_bytes(b"kernel 9.0\n")
    add_artifact_from_path(release=release, path=kernel, board=Board.objects.get(slug="d02"))
    publish_release(release=release)
    assert "Latest: 9.0" in home(client)
