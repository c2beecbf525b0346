"""A signed-in reader's bug page costs a bounded number of queries, with 3 comments or 100."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bugs import querysets as q
from bugs.services import filing, triage

pytestmark = pytest.mark.django_db

SIGNED_IN_BOUND = 8


def bug_with(file_bug, reporter, comments: int):
    bug = file_bug(summary=f"A bug with {comments} comments")
    for number in range(comments):
        filing.add_comment(bug=bug, author=reporter, body=f"comment {number}", notify=False)
    return bug


def test_a_bug_page_signed_in_is_bounded_and_does_not_grow(
    file_bug, reporter, outsider, django_assert_max_num_queries
):
    client = Client()
    client.force_login(outsider)
    found = []
    for bug in (bug_with(file_bug, reporter, 3), bug_with(file_bug, reporter, 100)):
        client.get(bug.get_absolute_url())
        with django_assert_max_num_queries(SIGNED_IN_BOUND) as captured:
            assert client.get(bug.get_absolute_url()).status_code == 200
        found.append(len(captured))
    assert found[0] == found[1]


def _rows_read(sql: str) -> int:
    """Rows the plan of `sql` reads, kept or filtered out, over all its nodes and loops."""
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql)
        plan = cursor.fetchone()[0][0]["Plan"]

    def read(node: dict) -> int:
        rows = node["Actual Rows"] + node.get("Rows Removed by Filter", 0)
        return rows * node["Actual Loops"] + sum(read(child) for child in node.get("Plans", []))

    return read(plan)


def test_whether_a_reader_sees_a_security_bug_reads_their_roles_not_every_security_bug(
    file_bug, reporter, assignee, outsider, make_user, triager
):
    """Asked on every signed-in bug page, bug list and search: the rows read are the reader's
    own roles' index entries, however many security bugs others have."""
    cc_reader = make_user("cora")
    secret = file_bug("Secret overflow", is_security=True)
    triage.update_bug(actor=triager, bug=secret, values={"assignee": assignee})
    triage.set_cc(actor=triager, bug=secret, person=cc_reader, on=True)
    for number in range(30):
        file_bug(f"Another secret {number}", is_security=True)

    for reader, sees in ((reporter, True), (assignee, True), (cc_reader, True), (outsider, False)):
        assert q.sees_only_public(reader) is not sees
        assert q.search_rights(reader) == (None if sees else "public")
        assert q.reader_bug(reader, secret.pk).sees_private is sees

    with CaptureQueriesContext(connection) as captured:
        q.sees_only_public(outsider)
        q.reader_bug(outsider, secret.pk)
    asked = [query["sql"] for query in captured if "is_security" in query["sql"]]
    assert len(asked) == 2
    for sql in asked:
        assert _rows_read(sql) <= 3, sql  # the bug itself and a CC row; before: all 31 secrets
