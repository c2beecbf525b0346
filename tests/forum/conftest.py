"""Forum fixtures: people at given trust levels, a public and a private category."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from forum import services
from forum.models import Access, Category
from portal.models import Profile


@pytest.fixture(autouse=True)
def _no_post_interval(settings):
    # Tests post quickly; the limit itself is tested in test_limits.py.
    settings.FORUM_POST_INTERVAL = 0
    settings.FORUM_NEW_USER_POST_INTERVAL = 0


@pytest.fixture
def make_user(db):
    def make(username: str, *, trust: int = Profile.TrustLevel.MEMBER, groups=(), **extra):
        user = get_user_model().objects.create_user(
            username, f"{username}@example.org", "pw-for-tests-1", **extra
        )
        Profile.objects.create(user=user, trust_level=trust)
        for name in groups:
            user.groups.add(Group.objects.get_or_create(name=name)[0])
        return user

    return make


@pytest.fixture
def ada(make_user):
    return make_user("ada")


@pytest.fixture
def bob(make_user):
    return make_user("bob")


@pytest.fixture
def mod(make_user):
    return make_user("mod", groups=["moderators"])


@pytest.fixture
def public(db):
    return Category.objects.create(name="Boards", slug="boards", description="All boards")


@pytest.fixture
def private(db):
    group, _created = Group.objects.get_or_create(name="moderators")
    return Category.objects.create(
        name="Moderators",
        slug="moderators",
        read_access=Access.GROUP,
        read_group=group,
        post_access=Access.GROUP,
        post_group=group,
    )


@pytest.fixture
def topic(ada, public):
    return services.create_topic(
        user=ada, category=public, title="D05 does not boot", source="It stops at *GRUB*."
    )
