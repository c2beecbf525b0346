"""A signed-in reader's bug page costs a bounded number of queries, with 3 comments or 100."""

import pytest
from django.test import Client

from bugs.services import filing

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
