"""Filing, commenting and the API are rate limited (portal/ratelimits.py): 429 with Retry-After,
per address and per account or token, and a refused request stores nothing."""

import pytest
from django.urls import reverse

from bugs.models import Bug, Comment
from portal.services import create_api_token

pytestmark = pytest.mark.django_db

FORM = {
    "severity": "major",
    "summary": "Kernel panic when loading hns on D02",
    "steps": "1. boot",
    "expected": "It works.",
    "actual": "Kernel panic.",
    "confirmed": "True",
}


def _refused(response) -> None:
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 3601


def test_filing_is_limited_per_account_and_a_refused_bug_is_not_stored(
    client, settings, reporter, component
):
    settings.RATE_LIMITS = {"file": {"user": "2/h"}}
    client.force_login(reporter)
    for n in range(2):
        answer = client.post(
            reverse("bugs:new"), FORM | {"component": component.pk, "summary": f"Panic number {n}"}
        )
        assert answer.status_code == 302
    _refused(client.post(reverse("bugs:new"), FORM | {"component": component.pk}))
    # Another address does not reset the account's budget; reading the form is not limited.
    _refused(
        client.post(
            reverse("bugs:new"), FORM | {"component": component.pk}, REMOTE_ADDR="198.51.100.4"
        )
    )
    assert Bug.objects.count() == 2
    assert client.get(reverse("bugs:new")).status_code == 200


def test_comments_are_limited_per_address(client, settings, reporter, outsider, bug):
    settings.RATE_LIMITS = {"post": {"ip": "1/m"}}
    client.force_login(reporter)
    url = reverse("bugs:comment", args=[bug.pk])
    assert client.post(url, {"body": "Still there on 3.1."}).status_code == 302
    client.force_login(outsider)  # another account from the same address
    _refused(client.post(url, {"body": "Me too."}))
    assert not Comment.objects.filter(bug=bug, body="Me too.").exists()


def test_the_api_is_limited_per_token_and_per_address_in_json(client, settings, reporter, bug):
    settings.RATE_LIMITS = {"api": {"ip": "5/m", "user": "2/m"}}
    _token, first = create_api_token(user=reporter, name="one")
    _token, second = create_api_token(user=reporter, name="two")
    url = reverse("api:bug_detail", args=[bug.pk])
    for _ in range(2):
        assert client.get(url, HTTP_AUTHORIZATION=f"Bearer {first}").status_code == 200
    answer = client.get(url, HTTP_AUTHORIZATION=f"Bearer {first}")
    _refused(answer)
    assert answer.json()["detail"].startswith("too many requests")
    # A write is refused before it is looked at: nothing stored.
    comment = reverse("api:bug_comment", args=[bug.pk])
    _refused(
        client.post(
            comment,
            {"body": "x"},
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {first}",
        )
    )
    assert not Comment.objects.filter(bug=bug, body="x").exists()
    # Each token has its own budget, under the address's.
    assert client.get(url, HTTP_AUTHORIZATION=f"Bearer {second}").status_code == 200
    _refused(client.get(url))  # the address's 5 are spent (the refused ones count too)
    assert client.get(url, REMOTE_ADDR="192.0.2.9").status_code == 200
