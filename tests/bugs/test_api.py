"""The JSON API on django-ninja: bugs read with the list's filters, detail with comments and
history; writes with a personal token, never beyond its owner's rights; OpenAPI and docs."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from bugs.models import Bug, Status
from bugs.services import filing, triage
from portal.models import ApiToken
from portal.services import create_api_token, hash_api_token, revoke_api_token


def _auth(secret: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


@pytest.fixture
def token(reporter):
    return create_api_token(user=reporter, name="lab")[1]


def test_list_takes_the_same_filters_and_detail_has_comments_and_history(
    client, file_bug, boards, triager
):
    a = file_bug("Alpha on D02", board=boards["d02"])
    file_bug("Beta on HiKey", board=boards["hikey"])
    filing.add_comment(bug=a, author=triager, body="Seen it **too**.")
    triage.change_status(actor=triager, bug=a, status=Status.CONFIRMED)
    data = client.get("/api/v1/bugs/", {"board": "d02", "status": "open"}).json()
    assert data["count"] == 1 and data["bugs"][0]["summary"] == "Alpha on D02"
    assert data["bugs"][0]["url"] == f"http://testserver/bugs/{a.pk}/"
    assert client.get("/api/v1/bugs/", {"board": "nope"}).status_code == 400
    detail = client.get(f"/api/v1/bugs/{a.pk}/").json()
    assert detail["comments"][0]["body_html"] == "<p>Seen it <strong>too</strong>.</p>"
    assert ("status", "UNCONFIRMED", "CONFIRMED") in [
        (h["field"], h["old_value"], h["new_value"]) for h in detail["history"]
    ]
    assert client.get("/api/v1/bugs/999999/").status_code == 404


def test_writes_need_a_token(client, component, bug):
    body = {"product": "kernel", "component": "drivers", "summary": "x" * 10, "description": "y"}
    assert client.post("/api/v1/bugs/", body, content_type="application/json").status_code == 401
    assert (
        client.post(
            "/api/v1/bugs/", body, content_type="application/json", **_auth("est_wrong")
        ).status_code
        == 401
    )
    assert (
        client.post(
            f"/api/v1/bugs/{bug.pk}/comments/", {"body": "hi"}, content_type="application/json"
        ).status_code
        == 401
    )
    assert not Bug.objects.exclude(pk=bug.pk).exists()


def test_a_lab_files_comments_and_its_rights_are_its_owners(
    client, component, token, reporter, triager, boards, make_release
):
    make_release("3.1", {"d02/Image": b"k"})
    answer = client.post(
        "/api/v1/bugs/",
        {
            "product": "kernel",
            "component": "drivers",
            "summary": "Nightly build 20261129 fails to boot on D02",
            "description": "Boot log attached by the lab.",
            "board": "d02",
            "release": "3.1",
            "severity": "critical",
        },
        content_type="application/json",
        **_auth(token),
    )
    assert answer.status_code == 201, answer.content
    bug = Bug.objects.get(pk=answer.json()["id"])
    assert (bug.reporter, bug.board.slug, bug.release.version) == (reporter, "d02", "3.1")
    answer = client.post(
        f"/api/v1/bugs/{bug.pk}/comments/",
        {"body": "Still failing."},
        content_type="application/json",
        **_auth(token),
    )
    assert answer.status_code == 201 and bug.comments.get().author == reporter
    # The reporter may not confirm: neither may the reporter's token.
    answer = client.post(
        f"/api/v1/bugs/{bug.pk}/status/",
        {"status": "CONFIRMED"},
        content_type="application/json",
        **_auth(token),
    )
    assert answer.status_code == 403 and "may not move" in answer.json()["detail"]
    assert Bug.objects.get(pk=bug.pk).status == Status.UNCONFIRMED
    triager_token = create_api_token(user=triager, name="triage")[1]
    answer = client.post(
        f"/api/v1/bugs/{bug.pk}/status/",
        {"status": "CONFIRMED"},
        content_type="application/json",
        **_auth(triager_token),
    )
    assert answer.status_code == 200 and answer.json()["status"] == "CONFIRMED"
    bad = client.post(
        "/api/v1/bugs/",
        {"product": "kernel", "component": "nope", "summary": "Something", "description": "d"},
        content_type="application/json",
        **_auth(token),
    )
    assert bad.status_code == 400
    bad = client.post(
        "/api/v1/bugs/", {"summary": 3}, content_type="application/json", **_auth(token)
    )
    assert bad.status_code == 422


def test_a_token_sees_only_what_its_owner_sees(client, file_bug, outsider, reporter):
    secret_bug = file_bug("Secret overflow", is_security=True)
    outsider_token = create_api_token(user=outsider, name="o")[1]
    reporter_token = create_api_token(user=reporter, name="r")[1]
    for headers, expected in (
        ({}, 404),
        (_auth(outsider_token), 404),
        (_auth(reporter_token), 200),
    ):
        assert client.get(f"/api/v1/bugs/{secret_bug.pk}/", **headers).status_code == expected
        listed = client.get("/api/v1/bugs/", **headers).json()["bugs"]
        assert (secret_bug.pk in [b["id"] for b in listed]) == (expected == 200)
    answer = client.post(
        f"/api/v1/bugs/{secret_bug.pk}/comments/",
        {"body": "peek"},
        content_type="application/json",
        **_auth(outsider_token),
    )
    assert answer.status_code == 404 and not secret_bug.comments.exists()


def test_tokens_are_hashed_shown_once_and_revocable(client, reporter, bug):
    client.force_login(reporter)
    page = client.post(reverse("api_token_create"), {"name": "nightly lab"})
    secret = re.search(r"est_[A-Za-z0-9_-]+", page.content.decode()).group(0)
    stored = ApiToken.objects.get(user=reporter)
    assert stored.token_hash == hash_api_token(secret) and secret not in stored.token_hash
    assert secret not in client.get(reverse("account_settings")).content.decode()
    assert client.get(f"/api/v1/bugs/{bug.pk}/", **_auth(secret)).status_code == 200
    client.post(reverse("api_token_revoke", args=[stored.pk]))
    assert ApiToken.objects.get(pk=stored.pk).revoked_at is not None
    assert client.get(f"/api/v1/bugs/{bug.pk}/", **_auth(secret)).status_code == 401
    assert client.post(reverse("api_token_create"), {"name": " "}).status_code == 400


def test_inactive_owner_token_is_refused(client, reporter, bug, token):
    reporter.is_active = False
    reporter.save()
    assert client.get("/api/v1/bugs/", **_auth(token)).status_code == 401
    revoke_api_token(user=reporter, token=ApiToken.objects.get())


def test_openapi_document_and_docs_page_use_no_cdn(client):
    spec = client.get("/api/v1/openapi.json").json()
    assert {"/api/v1/boards/", "/api/v1/bugs/", "/api/v1/bugs/{pk}/status/"} <= set(spec["paths"])
    docs = client.get("/api/v1/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in docs
    assert not re.search(r"(src|href)=\"https?://", docs)
