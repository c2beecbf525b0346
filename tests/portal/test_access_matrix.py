"""Who may do what: every URL of the site × eight roles, against the table below.

The URLs come from the URL configuration itself (app namespaces and the JSON API included), so a
new URL without a line in EXPECTED fails here with the line to add. Each line is

    "namespace:name": (kwargs, GET answers, POST answers or None),

the answers one per role, in the order of ROLES (anon user moderator triager doc_editor
release_manager security staff): a status code, `login` (a redirect to the sign-in page) or
`adminlogin` (to the admin's). POST is None for a URL that changes nothing; then a POST must be
refused (405) or answered as the GET. Private things fill the URLs where they exist (a private
forum category, a security bug, a private list, a draft release, user's lab reservation), so a
200 in a column is a deliberate grant. Requests are plain (an empty POST): a 200 or 400 to a POST
means the role got as far as the form's checks.

Two-factor enforcement is off in tests (tests/testenv.py); tests/portal/test_two_factor.py
covers it. Rate limits are off here; tests/portal/test_ratelimits.py covers them.
"""

# ruff: noqa: E501 (the table keeps one line per URL)
from __future__ import annotations

import os
import re

import pytest
from django.urls import reverse

from tests.portal.access import ROLES, K, leaks, literal, outcome, seeded_site, walk_urls

# Shorthands for the common rows.
ALL = "200 200 200 200 200 200 200 200"
MEMBERS = "login 200 200 200 200 200 200 200"
NOBODY = "404 404 404 404 404 404 404 404"
NONE = literal()

# fmt: off
EXPECTED: dict[str, tuple] = {
    "account_change_password": (NONE, MEMBERS, MEMBERS),
    "account_confirm_email": (literal(key="no-such-key"), ALL, NOBODY),
    "account_confirm_login_code": (NONE, "login 302 302 302 302 302 302 302", "login 302 302 302 302 302 302 302"),
    "account_email": (NONE, MEMBERS, "login 302 302 302 302 302 302 302"),
    "account_email_verification_sent": (NONE, ALL, None),
    "account_inactive": (NONE, ALL, None),
    "account_login": (NONE, "200 302 302 302 302 302 302 302", "200 302 302 302 302 302 302 302"),
    "account_logout": (NONE, "302 200 200 200 200 200 200 200", "302 302 302 302 302 302 302 302"),
    "account_reauthenticate": (NONE, MEMBERS, MEMBERS),
    "account_reset_password": (NONE, ALL, ALL),
    "account_reset_password_done": (NONE, ALL, None),
    "account_reset_password_from_key": (literal(uidb36="1", key="no-such-key"), ALL, ALL),
    "account_reset_password_from_key_done": (NONE, ALL, None),
    "account_set_password": (NONE, "login 302 302 302 302 302 302 302", "login 302 302 302 302 302 302 302"),
    "account_settings": (NONE, MEMBERS, "login 302 302 302 302 302 302 302"),
    "account_signup": (NONE, "200 302 302 302 302 302 302 302", "200 302 302 302 302 302 302 302"),
    "api:api-root": (NONE, NOBODY, NOBODY),
    "api:board_latest": (K(slug="artifact.board.slug"), ALL, None),
    "api:boards": (NONE, ALL, None),
    "api:bug_comment": (K(pk="security_bug.pk"), "405 405 405 405 405 405 405 405", "401 401 401 401 401 401 401 401"),
    "api:bug_detail": (K(pk="security_bug.pk"), NOBODY, None),
    "api:bug_file": (NONE, ALL, "401 401 401 401 401 401 401 401"),
    "api:bug_list": (NONE, ALL, "401 401 401 401 401 401 401 401"),
    "api:bug_status": (K(pk="security_bug.pk"), "405 405 405 405 405 405 405 405", "401 401 401 401 401 401 401 401"),
    "api:lab_boards": (NONE, ALL, None),
    "api:lab_run": (K(run_id="run.pk"), ALL, None),
    "api:lab_upload_run": (NONE, "405 405 405 405 405 405 405 405", "401 401 401 401 401 401 401 401"),
    "api:openapi-json": (NONE, ALL, None),
    "api:openapi-view": (NONE, ALL, None),
    "api:release": (K(version="draft.version"), NOBODY, None),
    "api:releases": (NONE, ALL, None),
    "api_token_create": (NONE, "login 405 405 405 405 405 405 405", "login 400 400 400 400 400 400 400"),
    "api_token_revoke": (K(pk="token.pk"), "login 405 405 405 405 405 405 405", "login 302 404 404 404 404 404 404"),
    "avatar": (K(username="user.username"), ALL, None),
    "bugs:attachment": (K(pk="security_bug.pk", attachment_id="attachment.pk"), "404 404 404 404 404 404 200 200", None),
    "bugs:attachment_obsolete": (K(pk="security_bug.pk", attachment_id="attachment.pk"), "login 405 405 405 405 405 405 405", "login 404 404 404 404 404 302 302"),
    "bugs:attachment_raw": (K(pk="security_bug.pk", attachment_id="attachment.pk"), "404 404 404 404 404 404 200 200", None),
    "bugs:bulk_edit": (NONE, "login 405 405 405 405 405 405 405", "login 404 404 302 404 404 404 302"),
    "bugs:cc": (K(pk="security_bug.pk"), "login 405 405 405 405 405 405 405", "login 404 404 404 404 404 302 302"),
    "bugs:comment": (K(pk="security_bug.pk"), "login 405 405 405 405 405 405 405", "login 404 404 404 404 404 400 400"),
    "bugs:csv": (NONE, ALL, None),
    "bugs:delete_search": (K(search_id="saved_search.pk"), "login 405 405 405 405 405 405 405", "login 302 404 404 404 404 404 404"),
    "bugs:dependency": (K(pk="security_bug.pk"), "login 405 405 405 405 405 405 405", "login 404 404 404 404 404 302 302"),
    "bugs:detail": (K(pk="security_bug.pk"), "404 404 404 404 404 404 200 200", None),
    "bugs:edit": (K(pk="security_bug.pk"), "login 405 405 405 405 405 405 405", "login 404 404 404 404 404 302 400"),
    "bugs:feed": (NONE, ALL, None),
    "bugs:index": (NONE, ALL, None),
    "bugs:mine": (NONE, MEMBERS, "login 405 405 405 405 405 405 405"),
    "bugs:new": (NONE, MEMBERS, MEMBERS),
    "bugs:reports": (NONE, ALL, None),
    "bugs:save_search": (NONE, "login 405 405 405 405 405 405 405", "login 302 302 302 302 302 302 302"),
    "bugs:status": (K(pk="security_bug.pk"), "login 405 405 405 405 405 405 405", "login 404 404 404 404 404 302 400"),
    "bugs:tree": (K(pk="security_bug.pk"), "404 404 404 404 404 404 200 200", None),
    "builds:boot_log": (K(pk="boot.pk"), "404 404 404 404 404 200 404 200", None),
    "builds:cancel": (K(pk="build.pk"), "login 403 403 403 403 405 403 405", "login 403 403 403 403 302 403 302"),
    "builds:detail": (K(pk="build.pk"), "login 403 403 403 403 200 403 200", "login 403 403 403 403 405 403 405"),
    "builds:list": (NONE, "login 403 403 403 403 200 403 200", "login 403 403 403 403 405 403 405"),
    "builds:log": (K(pk="build.pk"), "login 403 403 403 403 200 403 200", "login 403 403 403 403 405 403 405"),
    "builds:log_text": (K(pk="build.pk"), "login 403 403 403 403 200 403 200", "login 403 403 403 403 405 403 405"),
    "builds:release": (K(version="draft.version"), "login 403 403 403 403 200 403 200", "login 403 403 403 403 405 403 405"),
    "builds:release_publish": (K(version="draft.version"), "login 403 403 403 403 405 403 405", "login 403 403 403 403 302 403 302"),
    "builds:retry": (K(pk="build.pk"), "login 403 403 403 403 405 403 405", "login 403 403 403 403 302 403 302"),
    "builds:start": (NONE, "login 403 403 403 403 405 403 405", "login 403 403 403 403 400 403 400"),
    "docs_app:broken": (NONE, "login 403 403 403 200 403 403 200", "login 403 403 403 200 403 403 200"),
    "docs_app:choose_board": (NONE, "302 302 302 302 302 302 302 302", None),
    "docs_app:create": (NONE, "login 403 403 403 200 403 403 200", "login 403 403 403 200 403 403 200"),
    "docs_app:diff": (K(pk="page.pk", number="revision_number"), "login 403 403 403 200 403 403 200", "login 403 403 403 200 403 403 200"),
    "docs_app:edit": (K(pk="page.pk"), "login 403 403 403 200 403 403 200", "login 403 403 403 200 403 403 200"),
    "docs_app:feed": (NONE, ALL, None),
    "docs_app:history": (K(pk="page.pk"), "login 403 403 403 200 403 403 200", "login 403 403 403 200 403 403 200"),
    "docs_app:images": (NONE, "login 403 403 403 200 403 403 200", "login 403 403 403 200 403 403 200"),
    "docs_app:index": (NONE, ALL, None),
    "docs_app:watch": (K(pk="page.pk"), "login 405 405 405 405 405 405 405", "login 302 302 302 302 302 302 302"),
    "docs_app:page": (K(version="page_version", section="page.section.slug", slug="page.slug"), ALL, None),
    "docs_app:preview": (NONE, "login 405 405 405 405 405 405 405", "login 403 403 403 200 403 403 200"),
    "docs_app:print": (K(version="page_version", section="page.section.slug", slug="page.slug"), ALL, None),
    "docs_app:revert": (K(pk="page.pk", number="revision_number"), "login 405 405 405 405 405 405 405", "login 403 403 403 302 403 403 302"),
    "docs_app:search": (NONE, ALL, None),
    "docs_app:section": (K(version="page_version", section="page.section.slug"), ALL, None),
    "docs_app:sitemap": (NONE, ALL, None),
    "docs_app:switch_version": (NONE, "302 302 302 302 302 302 302 302", None),
    "docs_app:version_index": (literal(version="latest"), ALL, None),
    "downloads:board": (K(slug="artifact.board.slug"), ALL, None),
    "downloads:board_feed": (K(slug="artifact.board.slug"), ALL, None),
    "downloads:feed": (NONE, ALL, None),
    "downloads:file": (K(version="published.version", folder="artifact.board.slug", filename="artifact.filename"), ALL, None),
    "downloads:folder": (K(version="published.version", folder="artifact.board.slug"), ALL, None),
    "downloads:folder_checksums": (K(version="published.version", folder="artifact.board.slug", name="sums"), ALL, None),
    "downloads:index": (NONE, ALL, None),
    "downloads:key": (NONE, ALL, None),
    "downloads:latest": (K(folder="artifact.board.slug", filename="artifact.filename"), "302 302 302 302 302 302 302 302", None),
    "downloads:manage": (NONE, "login 403 403 403 403 200 403 200", "login 403 403 403 403 200 403 200"),
    "downloads:manage_attach": (K(version="draft.version"), "login 403 403 403 403 405 403 405", "login 403 403 403 403 400 403 400"),
    "downloads:manage_edit": (K(version="draft.version"), "login 403 403 403 403 405 403 405", "login 403 403 403 403 302 403 302"),
    "downloads:manage_publish": (K(version="draft.version"), "login 403 403 403 403 405 403 405", "login 403 403 403 403 302 403 302"),
    "downloads:manage_release": (K(version="draft.version"), "login 403 403 403 403 200 403 200", "login 403 403 403 403 405 403 405"),
    "downloads:manage_remove": (K(version="draft.version", pk="artifact.pk"), "login 403 403 403 403 405 403 405", "login 403 403 403 403 404 403 404"),
    "downloads:manage_upload": (K(version="draft.version"), "login 403 403 403 403 405 403 405", "login 403 403 403 403 400 403 400"),
    "downloads:manage_withdraw": (K(version="draft.version"), "login 403 403 403 403 405 403 405", "login 403 403 403 403 400 403 400"),
    "downloads:release": (K(version="draft.version"), "404 404 404 404 404 200 404 200", None),
    "downloads:release_checksums": (K(version="published.version", name="sums"), ALL, None),
    "downloads:releases": (NONE, ALL, None),
    "downloads:watch_board": (K(slug="artifact.board.slug"), "login 405 405 405 405 405 405 405", "login 302 302 302 302 302 302 302"),
    "downloads:watch_releases": (NONE, "login 405 405 405 405 405 405 405", "login 302 302 302 302 302 302 302"),
    "downloads_api:board_latest": (K(slug="artifact.board.slug"), ALL, None),
    "downloads_api:boards": (NONE, ALL, None),
    "downloads_api:release": (K(version="draft.version"), NOBODY, None),
    "downloads_api:releases": (NONE, ALL, None),
    "feeds": (NONE, ALL, None),
    "forum:answer": (K(pk="private_post.pk"), "login 405 405 405 405 405 405 405", "login 404 302 404 404 404 404 302"),
    "forum:category": (K(slug="private_category.slug"), "404 404 200 404 404 404 404 200", None),
    "forum:category_feed": (K(slug="private_category.slug"), NOBODY, None),
    "forum:delete": (K(pk="private_post.pk"), "login 405 405 405 405 405 405 405", "login 404 302 404 404 404 404 302"),
    "forum:edit": (K(pk="private_post.pk"), "login 404 200 404 404 404 404 200", "login 404 200 404 404 404 404 200"),
    "forum:feed": (NONE, ALL, None),
    "forum:first_unread": (K(pk="private_topic.pk"), "404 404 302 404 404 404 404 302", None),
    "forum:flag": (K(pk="private_post.pk"), "login 404 200 404 404 404 404 200", "login 404 200 404 404 404 404 200"),
    "forum:index": (NONE, ALL, None),
    "forum:like": (K(pk="private_post.pk"), "login 405 405 405 405 405 405 405", "login 404 302 404 404 404 404 302"),
    "forum:mark_category_read": (K(slug="private_category.slug"), "login 405 405 405 405 405 405 405", "login 404 302 404 404 404 404 302"),
    "forum:moderate_post": (K(pk="private_post.pk"), "login 405 405 405 405 405 405 405", "login 403 302 403 403 403 403 302"),
    "forum:moderate_topic": (K(pk="private_topic.pk"), "login 405 405 405 405 405 405 405", "login 403 302 403 403 403 403 302"),
    "forum:moderation": (NONE, "login 403 200 403 403 403 403 200", "login 403 404 403 403 403 403 404"),
    "forum:new_topic": (K(slug="private_category.slug"), "login 404 200 404 404 404 404 200", "login 404 200 404 404 404 404 200"),
    "forum:post": (K(pk="private_post.pk"), "404 404 302 404 404 404 404 302", None),
    "forum:preview": (NONE, "405 405 405 405 405 405 405 405", "403 200 200 200 200 200 200 200"),
    "forum:reply": (K(pk="private_topic.pk"), "login 404 200 404 404 404 404 200", "login 404 200 404 404 404 404 200"),
    "forum:revisions": (K(pk="private_post.pk"), "404 404 200 404 404 404 404 200", None),
    "forum:topic": (K(pk="private_topic.pk"), "404 404 200 404 404 404 404 200", None),
    "forum:topic_feed": (K(pk="private_topic.pk"), NOBODY, None),
    "forum:watch_category": (K(slug="private_category.slug"), "login 405 405 405 405 405 405 405", "login 404 302 404 404 404 404 302"),
    "forum:watch_topic": (K(pk="private_topic.pk"), "login 405 405 405 405 405 405 405", "login 404 302 404 404 404 404 302"),
    "healthz": (NONE, ALL, None),
    "home": (NONE, ALL, None),
    "javascript-catalog": (NONE, ALL, None),
    "lab:board": (K(slug="lab_board.slug"), ALL, None),
    "lab:book": (K(slug="lab_board.slug"), "login 405 405 405 405 405 405 405", "login 302 302 302 302 302 302 302"),
    "lab:calendar": (NONE, ALL, None),
    "lab:caliper": (NONE, ALL, None),
    "lab:caliper_board": (K(slug="run.board.slug"), ALL, None),
    "lab:caliper_release": (K(version="run.release.version"), ALL, None),
    "lab:compare_pick": (NONE, "302 302 302 302 302 302 302 302", None),
    "lab:compare_releases": (K(slug="run.board.slug", before="run.release.version", after="run2.release.version"), ALL, None),
    "lab:compare_releases_csv": (K(slug="run.board.slug", before="run.release.version", after="run2.release.version"), ALL, None),
    "lab:compare_runs": (K(before="run.pk", after="run2.pk"), ALL, None),
    "lab:compare_runs_csv": (K(before="run.pk", after="run2.pk"), ALL, None),
    "lab:extend": (K(pk="reservation.pk"), "login 405 405 405 405 405 405 405", "login 302 404 404 404 404 404 404"),
    "lab:index": (NONE, ALL, None),
    "lab:my_reservations": (NONE, MEMBERS, "login 405 405 405 405 405 405 405"),
    "lab:release": (K(pk="reservation.pk"), "login 405 405 405 405 405 405 405", "login 302 404 404 404 404 404 404"),
    "lab:run": (K(pk="run.pk"), ALL, None),
    "lab:run_file": (K(pk="run.pk", source="caliper_source"), ALL, None),
    "lab:set_health": (K(slug="lab_board.slug"), "login 405 405 405 405 405 405 405", "login 403 302 403 403 403 403 302"),
    "lab:upload": (NONE, MEMBERS, "login 400 400 400 400 400 400 400"),
    "lists:attachment": (K(list_name="private_list.name", message_id="private_message.message_id", position=0, filename="sums"), NOBODY, None),
    "lists:index": (NONE, ALL, None),
    "lists:list": (K(list_name="private_list.name"), "404 404 404 404 404 404 404 200", None),
    "lists:list_feed": (K(list_name="private_list.name"), NOBODY, None),
    "lists:message": (K(list_name="private_list.name", message_id="private_message.message_id"), "404 404 404 404 404 404 404 200", None),
    "lists:month": (K(list_name="private_list.name", year="private_message.date.year", month="private_message.date.month"), "404 404 404 404 404 404 404 200", None),
    "lists:month_mbox": (K(list_name="private_list.name", year="private_message.date.year", month="private_message.date.month"), "404 404 404 404 404 404 404 200", None),
    "lists:raw": (K(list_name="private_list.name", message_id="private_message.message_id"), "404 404 404 404 404 404 404 200", None),
    "lists:reply": (K(list_name="private_list.name", message_id="private_message.message_id"), "login 404 404 404 404 404 404 200", "login 404 404 404 404 404 404 200"),
    "lists:search": (K(list_name="private_list.name"), "404 404 404 404 404 404 404 200", None),
    "lists:search_mbox": (K(list_name="private_list.name"), "404 404 404 404 404 404 404 400", None),
    "lists:watch_thread": (K(list_name="private_list.name", pk="private_message.thread_id"), "login 405 405 405 405 405 405 405", "login 404 404 404 404 404 404 400"),
    "lists:thread": (K(list_name="private_list.name", pk="private_message.thread_id"), "404 404 404 404 404 404 404 200", None),
    "lists:thread_feed": (K(list_name="private_list.name", pk="private_message.thread_id"), NOBODY, None),
    "lists:thread_mbox": (K(list_name="private_list.name", pk="private_message.thread_id"), "404 404 404 404 404 404 404 200", None),
    "live": (NONE, ALL, None),
    "mfa_activate_totp": (NONE, "login 302 302 302 302 302 302 302", "login 302 302 302 302 302 302 302"),
    "mfa_authenticate": (NONE, "login 302 302 302 302 302 302 302", "login 302 302 302 302 302 302 302"),
    "mfa_deactivate_totp": (NONE, "login 404 404 404 404 404 404 404", "login 404 404 404 404 404 404 404"),
    "mfa_download_recovery_codes": (NONE, "login 404 404 404 404 404 404 404", "login 404 404 404 404 404 404 404"),
    "mfa_generate_recovery_codes": (NONE, "login 302 302 302 302 302 302 302", "login 302 302 302 302 302 302 302"),
    "mfa_index": (NONE, MEMBERS, "login 405 405 405 405 405 405 405"),
    "mfa_reauthenticate": (NONE, "login 302 302 302 302 302 302 302", "login 302 302 302 302 302 302 302"),
    "mfa_view_recovery_codes": (NONE, "login 404 404 404 404 404 404 404", "login 405 405 405 405 405 405 405"),
    "news_detail": (literal(slug="welcome"), ALL, None),
    "news_feed": (NONE, ALL, None),
    "news_list": (NONE, ALL, None),
    "notifications:preferences": (NONE, MEMBERS, "login 400 400 400 400 400 400 400"),
    "notifications:inbox": (NONE, MEMBERS, "login 405 405 405 405 405 405 405"),
    "notifications:mark_all_read": (NONE, "login 405 405 405 405 405 405 405", "login 302 302 302 302 302 302 302"),
    "notifications:open": (K(pk="notification.pk"), "login 302 404 404 404 404 404 404", "login 405 405 405 405 405 405 405"),
    "notifications:unsubscribe": (K(token="unsubscribe"), ALL, ALL),
    "profile": (K(username="user.username"), ALL, None),
    "robots_txt": (NONE, ALL, None),
    "search": (NONE, ALL, None),
    "set_language": (NONE, "302 302 302 302 302 302 302 302", "302 302 302 302 302 302 302 302"),
    "sitemap_index": (NONE, ALL, None),
    "switch_language": (literal(code="zh-hans"), "302 302 302 302 302 302 302 302", "405 405 405 405 405 405 405 405"),
    "sitemap_section": (literal(section="portal"), ALL, None),
    "status": (NONE, ALL, None),
}
# fmt: on

# The admin's URLs are Django's own: every one of them sends a signed-out or non-staff person to
# the admin's sign-in (the same check for every one: walked as anon; admin:index as every role).
ADMIN_NAMESPACE = "admin:"
ADMIN_OPEN = {"admin:login": "200", "admin:logout": "302"}
ADMIN_KWARGS = {"object_id": "1", "app_label": "auth", "content_type_id": 1, "url": "x"}

pytestmark = pytest.mark.django_db

RECORD = os.environ.get("ACCESS_MATRIX_RECORD")


@pytest.fixture(scope="module")
def site(django_db_setup, django_db_blocker, tmp_path_factory):
    yield from seeded_site(django_db_setup, django_db_blocker, tmp_path_factory)


def _url(route, objects) -> str:
    kwargs_of, _get, _post = EXPECTED[route.name]
    return reverse(route.name, kwargs=kwargs_of(objects))


def _row(answers: str) -> list[str]:
    row = answers.split()
    assert len(row) == len(ROLES), f"{answers!r}: one answer per role, {len(ROLES)} in all"
    return row


def test_every_url_has_an_entry():
    missing = [r for r in walk_urls() if not r.name.startswith(ADMIN_NAMESPACE)]
    missing = [r for r in missing if r.name not in EXPECTED]
    lines = "\n".join(
        f'    "{r.name}": (NONE, "<GET answers>", "<POST answers or None>"),  # /{r.pattern}'
        for r in missing
    )
    assert not missing, (
        "add an entry to EXPECTED in tests/portal/test_access_matrix.py for each of these URLs "
        f"(kwargs with K(...) when it has arguments; answers per role: {' '.join(ROLES)}):\n"
        + lines
    )
    stale = set(EXPECTED) - {r.name for r in walk_urls()}
    assert not stale, f"EXPECTED names URLs that no longer exist: {sorted(stale)}"


# Rows whose GET answers cannot depend on the role are asked of three roles, not eight (the test
# budget): the JSON API never reads the session's cookie, and a POST-only view refuses a GET
# before it looks at who asks.
SAMPLE_ROLES = ("anon", "user", "staff")
API_NAMESPACES = ("api:", "downloads_api:")


def _roles_asked(name: str, get: str) -> tuple[str, ...]:
    if RECORD:
        return ROLES
    if name.startswith(API_NAMESPACES) or set(_row(get)) <= {"405", "login"}:
        return SAMPLE_ROLES
    return ROLES


def test_every_url_answers_each_role_as_the_table_says(site):
    wrong: list[str] = []
    recorded: list[str] = []
    for route in walk_urls():
        if route.name.startswith(ADMIN_NAMESPACE) or route.name not in EXPECTED:
            continue
        _kwargs, get, post = EXPECTED[route.name]
        try:
            url = _url(route, site.objects)
        except Exception as error:
            if not RECORD:
                raise
            recorded.append(f"    {route.name}: {error!r}")
            continue
        got_get = []
        for role in ROLES:
            if role not in _roles_asked(route.name, get):
                got_get.append(_row(get)[ROLES.index(role)])  # answered by the rule's sample
                continue
            response = site.request(role, "GET", url)
            got_get.append(outcome(response))
            for what in leaks(role, response):
                wrong.append(f"GET {url} ({route.name}) shows the {what} to {role}")
        got_post = None
        if post is not None or RECORD:
            got_post = [outcome(site.request(role, "POST", url)) for role in ROLES]
        if RECORD:
            recorded.append(f'    "{route.name}": ({" ".join(got_get)} | {" ".join(got_post)}),')
            continue
        if got_get != _row(get):
            wrong.append(f"GET {url} ({route.name}): expected {get}, got {' '.join(got_get)}")
        if post is not None and got_post != _row(post):
            wrong.append(f"POST {url} ({route.name}): expected {post}, got {' '.join(got_post)}")
        elif post is None:
            # Not a state-changing URL: a POST is refused, or read as the GET.
            answer = outcome(site.request("staff", "POST", url))
            if answer not in ("405", got_get[-1]):
                wrong.append(f"POST {url} ({route.name}) as staff: {answer}, but POST is None")
    if RECORD:
        with open(RECORD, "w") as out:
            out.write("\n".join(recorded) + "\n")
    assert not wrong, "\n".join(wrong)


def test_the_admin_is_for_staff_only(site):
    wrong = []
    for route in walk_urls():
        if not route.name.startswith(ADMIN_NAMESPACE):
            continue
        names = re.findall(r"<(?:\w+:)?(\w+)>", route.pattern)
        kwargs = {name: ADMIN_KWARGS.get(name, "1") for name in names}
        url = reverse(route.name, kwargs=kwargs)
        answer = outcome(site.request("anon", "GET", url))
        if answer != ADMIN_OPEN.get(route.name, "adminlogin"):
            wrong.append(f"GET {url} as anon: {answer}")
    answers = [outcome(site.request(role, "GET", reverse("admin:index"))) for role in ROLES]
    assert answers == ["adminlogin"] * 7 + ["200"]
    assert not wrong, "\n".join(wrong)


# --- CSRF ---------------------------------------------------------------------------------------

# State-changing URLs that take no CSRF token, and why.
CSRF_EXEMPT = {
    "notifications:unsubscribe": "RFC 8058 one-click unsubscribe: mail clients POST the signed token",
}
# The JSON API takes a bearer token, never the session's cookie: CSRF cannot apply to it
# (API_NAMESPACES above).
REFUSED = {"login", "adminlogin", "401", "403", "404", "405"}


def test_every_state_changing_url_refuses_a_post_without_a_csrf_token(site):
    """With the real middleware: as a role that may do it, a POST without the token answers 403
    from the CSRF check itself (the view never ran, so nothing changed)."""
    wrong, checked = [], 0
    for name, (kwargs_of, _get, post) in EXPECTED.items():
        if post is None or name.startswith(API_NAMESPACES):
            continue
        url = reverse(name, kwargs=kwargs_of(site.objects))
        allowed = [
            role for role, answer in zip(ROLES, _row(post), strict=True) if answer not in REFUSED
        ]
        if not allowed:
            continue  # nobody gets past the view's own checks (nothing to forge)
        response = site.request(allowed[0], "POST", url, csrf=True)
        refused_by_csrf = (
            response.status_code == 403 and b"CSRF verification failed" in response.content
        )
        if name in CSRF_EXEMPT:
            if refused_by_csrf:
                wrong.append(f"{url} ({name}) is listed as exempt but asks for a token")
        elif not refused_by_csrf:
            wrong.append(
                f"POST {url} ({name}) as {allowed[0]} without a token: {outcome(response)}"
            )
        checked += 1
    assert checked > 50  # the walk really reached the forms
    assert not wrong, "\n".join(wrong)


def test_the_api_ignores_the_session_and_takes_tokens_without_csrf(site):
    from portal.services import create_api_token

    url = reverse("api:bug_comment", kwargs={"pk": site.objects.security_bug.pk})
    # Signed in by cookie, no token: the session does not authenticate a write.
    response = site.request(
        "security",
        "POST",
        url,
        csrf=True,
        content_type="application/json",
        data={"body": "By cookie."},
    )
    assert response.status_code == 401
    # A token needs no CSRF token (a browser cannot send it on its own).
    _token, secret = create_api_token(user=site.objects.people["security"], name="csrf")
    response = site.request(
        "anon", "POST", url, csrf=True, content_type="application/json",
        data={"body": "By token."}, HTTP_AUTHORIZATION=f"Bearer {secret}",
    )  # fmt: skip
    assert response.status_code in (200, 201), response.content
