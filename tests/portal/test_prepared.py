"""Statements prepared once per connection (portal.prepared): prepared with their first run in
one round trip, run by name after, their parameters typed as the driver's literals are."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import DataError, connection, transaction
from django.test.utils import CaptureQueriesContext

from portal import prepared

pytestmark = pytest.mark.django_db


def _run(sql: str, params: list):
    with connection.cursor() as cursor:
        prepared.execute(cursor, sql, params)
        return cursor.fetchone()


def test_a_statement_is_prepared_with_its_first_run_and_run_by_name_after():
    sql = "SELECT %s + 1, left('abcdef', %s), %s || '%%', now() - %s < now()"
    with CaptureQueriesContext(connection) as captured:
        assert _run(sql, [1, 2, "50", dt.timedelta(days=7)]) == (2, "ab", "50%", True)
        assert _run(sql, [41, 3, "x", dt.timedelta(days=1)]) == (42, "abc", "x%", True)
    first, second = (query["sql"] for query in captured.captured_queries)
    # (After a DEALLOCATE of the connection's oldest statement, when it keeps its most.)
    assert first.index("PREPARE prepared_") < first.index("EXECUTE prepared_")
    assert "PREPARE" not in second and "EXECUTE prepared_" in second


def test_a_failed_run_leaves_the_next_one_working():
    # The PREPARE stays on the server though its first EXECUTE fails (prepared statements are
    # not undone with a transaction): the next run must not prepare the same name again.
    with pytest.raises(DataError), transaction.atomic():
        _run("SELECT 10 / %s", [0])
    assert _run("SELECT 10 / %s", [5]) == (2,)
    assert _run("SELECT 10 / %s", [2]) == (5,)


def test_a_value_of_a_type_it_does_not_name_runs_as_it_is():
    with CaptureQueriesContext(connection) as captured:
        assert _run("SELECT %s::date", [dt.date(2026, 1, 2)]) == (dt.date(2026, 1, 2),)
    assert captured.captured_queries[0]["sql"].startswith("SELECT")


def test_every_run_takes_the_generic_plan_planned_once():
    """PostgreSQL's own choice plans each of a statement's first five runs for its values, and
    goes on doing so while those plans look cheaper than its generic one, as the plans of
    searches for rare words do: then the search page's long statement was planned anew for
    every search, about half of what a search cost the database."""
    sql = "SELECT count(*) AS plan_probe FROM auth_user WHERE username = %s OR email = %s"
    for word in ("nobody", "somebody", "anybody", "everybody", "x", "y", "z"):
        assert _run(sql, [word, word]) == (0,)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements"
            " WHERE statement LIKE %s",
            ["%plan_probe%"],  # this statement only, whatever else the connection ran
        )
        assert cursor.fetchall() == [(7, 0)]
