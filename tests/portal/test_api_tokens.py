"""API tokens: scoped (read, or read and write), expiring (chosen when made, 90 days unless said),
revocable, shown once, and never printed whole in a log line."""

import logging
import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from portal.logs import redact
from portal.models import ApiToken
from portal.services import create_api_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def ada(db):
    return get_user_model().objects.create_user("ada", "ada@example.org", "pw-for-tests-1")


def _bearer(secret: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def test_a_token_is_made_with_a_scope_and_an_expiry_and_shown_once(client, ada):
    client.force_login(ada)
    form = client.get(reverse("account_settings")).content.decode()
    assert 'value="read" selected' in form and 'value="90" selected' in form  # the defaults
    page = client.post(reverse("api_token_create"), {"name": "lab", "scope": "read", "days": "30"})
    assert page["Cache-Control"] == "no-store"
    secret = re.search(r"est_[A-Za-z0-9_-]+", page.content.decode()).group(0)
    token = ApiToken.objects.get(user=ada)
    assert token.scope == "read"
    assert abs(token.expires_at - (timezone.now() + timedelta(days=30))) < timedelta(minutes=1)
    settings_page = client.get(reverse("account_settings")).content.decode()
    assert secret not in settings_page and token.prefix in settings_page
    assert "Read only" in settings_page and "expires on" in settings_page
    # A lifetime or a scope not offered is refused with the form, not stored.
    for bad in ({"days": "100000"}, {"scope": "admin"}):
        data = {"name": "x", "scope": "read", "days": "30"} | bad
        assert client.post(reverse("api_token_create"), data).status_code == 400
    assert ApiToken.objects.filter(user=ada).count() == 1


def test_a_read_token_reads_but_may_not_write(client, ada):
    _token, secret = create_api_token(user=ada, name="reader", scope="read")
    assert client.get(reverse("api:bug_list"), **_bearer(secret)).status_code == 200
    answer = client.post(
        reverse("api:bug_file"), {}, content_type="application/json", **_bearer(secret)
    )
    assert answer.status_code == 403 and "may only read" in answer.json()["detail"]


def test_an_expired_token_is_refused_with_a_message(client, ada):
    token, secret = create_api_token(user=ada, name="old", scope="write", days=7)
    assert client.get(reverse("api:bug_list"), **_bearer(secret)).status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    for answer in (
        client.get(reverse("api:bug_list"), **_bearer(secret)),
        client.post(
            reverse("api:bug_file"), {}, content_type="application/json", **_bearer(secret)
        ),
    ):
        assert answer.status_code == 401
        assert answer.json()["detail"].startswith("API token expired on ")
    client.force_login(ada)
    assert "expired on" in client.get(reverse("account_settings")).content.decode()


def test_a_token_in_a_log_line_is_never_printed_whole(client, ada, caplog):
    _token, secret = create_api_token(user=ada, name="leaky")
    logger = logging.getLogger("estuary.anything")
    with caplog.at_level(logging.INFO):
        logger.info("calling with %s", secret)  # in the arguments
        logger.warning(f"header was Bearer {secret}")  # in the message itself
        # django.request logs the path of a 404: a token pasted into a URL.
        assert client.get(f"/api/v1/{secret}/").status_code == 404
    assert caplog.records and len(caplog.records) >= 3
    assert secret not in caplog.text
    for record in caplog.records:
        assert secret not in record.getMessage()
    assert f"{secret[:12]}…[redacted]" in caplog.text  # the prefix still names the token
    assert any(
        r.name == "django.request" and "[redacted]" in r.getMessage() for r in caplog.records
    )
    assert redact("est_short") == "est_short"  # not a token


def test_error_reports_hide_the_authorization_header(rf):
    from django.views.debug import SafeExceptionReporterFilter

    request = rf.get("/api/v1/bugs/", HTTP_AUTHORIZATION="Bearer est_" + "x" * 43)
    meta = SafeExceptionReporterFilter().get_safe_request_meta(request)
    assert "est_" not in meta["HTTP_AUTHORIZATION"]
