"""The home page signed in: a bounded query count (the forum's, the tracker's and the users'
own tests bound theirs)."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

pytestmark = pytest.mark.django_db

SIGNED_IN_BOUND = 8


@pytest.fixture
def member_client(db):
    user = get_user_model().objects.create_user("member", "member@example.org", "pw-for-tests-1")
    client = Client()
    client.force_login(user)
    return client


def test_home_signed_in_is_bounded(member_client, django_assert_max_num_queries):
    member_client.get("/")
    with django_assert_max_num_queries(SIGNED_IN_BOUND):
        assert member_client.get("/").status_code == 200
