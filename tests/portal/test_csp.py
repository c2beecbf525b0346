"""The Content-Security-Policy stays on every response: pages, errors, the admin, feeds, files.

It is what keeps an image or a script in people's text from loading from another host, so a
response without it is a hole, whatever the sanitizer does."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

pytestmark = pytest.mark.django_db


def _policy(response) -> str:
    return response.headers.get("Content-Security-Policy", "")


def _assert_locked_down(response, what: str) -> None:
    policy = _policy(response)
    assert "default-src 'self'" in policy, f"{what}: {response.status_code} has no CSP"
    assert "img-src 'self' data:" in policy, what
    assert "object-src 'none'" in policy, what


@pytest.mark.urls("tests.portal.csp_urls")
def test_every_kind_of_response_carries_the_policy(client, settings):
    staff = get_user_model().objects.create_user("boss", "b@example.org", "pw", is_staff=True)
    responses = {
        "home": client.get("/"),
        "404": client.get("/no-such-page/"),
        "feed": client.get("/news/feed/"),
        "avatar": client.get("/u/ada/avatar.svg"),
        "healthz": client.get("/healthz"),
        "admin login": client.get("/admin/login/"),
        "redirect": client.get("/admin/"),
        "search": client.get("/search/?q=<img src=https://tracker.example/p.gif>"),
    }
    client.force_login(staff)
    responses["admin"] = client.get("/admin/")
    csrf_checked = Client(enforce_csrf_checks=True)
    responses["403 csrf"] = csrf_checked.post("/accounts/login/", {"login": "x"})
    failing = Client(raise_request_exception=False)
    responses["500"] = failing.get("/fail-for-test/")
    assert responses["500"].status_code == 500 and responses["403 csrf"].status_code == 403
    for what, response in responses.items():
        _assert_locked_down(response, what)
