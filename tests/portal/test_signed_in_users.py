"""A signed-in request reads no session, user or group row (portal/users.py, cached_db
sessions), and still sees at once a password change, a deactivation, a group change and a
sign-out."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client

from forum.querysets import is_moderator
from portal.users import session_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(db):
    return get_user_model().objects.create_user("member", "member@example.org", "pw-for-tests-1")


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def reader(client: Client):
    return client.get("/").wsgi_request.user


def test_a_warm_signed_in_request_reads_no_session_user_or_group(member, django_assert_num_queries):
    client = signed_in(member)
    client.get("/forum/")
    with django_assert_num_queries(0):
        request = client.get("/healthz/live").wsgi_request
        assert request.user.is_authenticated and request.user.pk == member.pk
        assert not is_moderator(request.user)


def test_a_password_change_ends_the_other_sessions(member):
    other = signed_in(member)
    assert reader(other).is_authenticated
    member.set_password("a-new-password-2")
    member.save()
    assert not reader(other).is_authenticated


def test_a_deactivated_member_is_signed_out(member):
    client = signed_in(member)
    assert reader(client).is_authenticated
    member.is_active = False
    member.save()
    assert not reader(client).is_authenticated


def test_group_changes_show_at_once(member):
    client = signed_in(member)
    assert not is_moderator(reader(client))
    moderators, _created = Group.objects.get_or_create(name="moderators")
    member.groups.add(moderators)
    assert is_moderator(reader(client))
    moderators.user_set.remove(member)
    assert not is_moderator(reader(client))


def test_signing_out_ends_the_session(member):
    client = signed_in(member)
    assert reader(client).is_authenticated
    response = client.post("/accounts/logout/")
    assert response.status_code in (200, 302)
    assert not reader(client).is_authenticated


def test_a_session_with_a_stale_hash_gets_no_cached_user(member, rf):
    client = signed_in(member)
    reader(client)  # the user is kept now
    request = rf.get("/")
    request.session = client.session
    request.session["_auth_user_hash"] = "not-the-hash"
    assert not session_user(request).is_authenticated
