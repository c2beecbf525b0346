"""A body over its page's ceiling is refused on its Content-Length, before anything reads it:
no temporary file, no memory spent on gigabytes nobody may send there."""

from __future__ import annotations

import io

import pytest
from django.conf import settings

FORM = "application/x-www-form-urlencoded"


class Unreadable(io.RawIOBase):
    """A request body that fails the test if any of it is read."""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        raise AssertionError("the refused body was read")


@pytest.mark.parametrize(
    "path",
    [
        "/forum/c/boards/new/",
        "/forum/t/1/reply/",
        "/bugs/new/",
        "/bugs/1/comment/",
        "/docs/images/",
        "/lab/caliper/upload/",
        "/api/v1/lab/caliper/runs",
        "/lists/estuary-dev/reply/",
        "/accounts/login/",
        "/downloads/manage/1.0/upload/",
        "/admin/lists/mboxupload/add/",
    ],
)
def test_a_body_over_the_ceiling_is_refused_unread(client, path):
    limit = max(
        [settings.REQUEST_MAX_BYTES]
        + [v for prefix, v in settings.REQUEST_MAX_BYTES_BY_PATH.items() if path.startswith(prefix)]
    )
    response = client.generic(
        "POST",
        path,
        CONTENT_TYPE="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(limit + 1),
        **{"wsgi.input": Unreadable()},
    )
    assert response.status_code == 413
    assert response["Connection"] == "close"
    assert "larger than" in response.content.decode()


def test_each_page_gets_the_ceiling_of_its_own_form(client):
    # A bug attachment of 3 MB is over the site's default but under the tracker's own ceiling:
    # it reaches the view (which asks the anonymous sender to sign in), not the 413.
    body = b"x=" + b"y" * (3 * 1024 * 1024)
    over_default = client.post("/accounts/login/", body, content_type=FORM)
    under_bugs = client.post("/bugs/new/", body, content_type=FORM)
    assert over_default.status_code == 413
    assert under_bugs.status_code != 413


@pytest.mark.parametrize(
    ("accept_language", "words"),
    [("en", "larger than"), ("zh-hans", "此请求超过了")],
)
def test_the_refusal_speaks_the_visitor_s_language_not_the_last_one_served(
    client, accept_language, words
):
    """It is answered before the language is chosen for the request: the worker's thread
    still holds the language of whatever it served last."""
    from django.utils import translation

    translation.activate("zh-hans" if accept_language == "en" else "en")
    try:
        response = client.generic(
            "POST",
            "/bugs/new/",
            CONTENT_TYPE="multipart/form-data; boundary=x",
            CONTENT_LENGTH=str(settings.REQUEST_MAX_BYTES * 1000),
            HTTP_ACCEPT_LANGUAGE=accept_language,
            **{"wsgi.input": Unreadable()},
        )
    finally:
        translation.deactivate()
    assert response.status_code == 413
    assert words in response.content.decode()
