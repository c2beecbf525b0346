"""The home page and the search page signed in: bounded query counts (search's own bound is
its section's; here it is recorded, not tightened)."""

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
