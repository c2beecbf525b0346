"""The workflow table: every move for every role, allowed or refused, through the service; a
refused move says why and changes nothing; the page offers only the allowed moves."""

from __future__ import annotations

import pytest
from django.urls import reverse

from bugs.models import Bug, BugChange, Resolution, Status
from bugs.services.common import BugError
from bugs.services.triage import change_status
from bugs.workflow import ASSIGNEE, REPORTER, TRANSITIONS, TRIAGER, allowed_moves

ROLES = ["reporter", "triager", "assignee", "outsider", "staff"]
ROLE_NAMES = {"reporter": REPORTER, "triager": TRIAGER, "assignee": ASSIGNEE}


def _put(bug: Bug, status: str) -> Bug:
    closed = status in (Status.RESOLVED, Status.VERIFIED)
    Bug.objects.filter(pk=bug.pk).update(
        status=status, resolution=Resolution.FIXED if closed else "", duplicate_of=None
    )
    bug.refresh_from_db()
    return bug


@pytest.mark.parametrize("role", ROLES)
def test_every_move_for_every_role(role, request, bug, assignee):
    Bug.objects.filter(pk=bug.pk).update(assignee=assignee)
    actor = request.getfixturevalue(role)
    for start in Status.values:
        for target in Status.values:
            bug = _put(bug, start)
            allowed_roles = TRANSITIONS.get((start, target))
            expected = allowed_roles is not None and (
                role == "staff" or ROLE_NAMES.get(role) in allowed_roles
            )
            history = BugChange.objects.filter(bug=bug).count()
            resolution = Resolution.FIXED if target == Status.RESOLVED else ""
            if expected:
                moved = change_status(actor=actor, bug=bug, status=target, resolution=resolution)
                assert moved.status == target, (role, start, target)
                assert Bug.objects.get(pk=bug.pk).status == target
                assert BugChange.objects.filter(bug=bug, field="status").last().new_value == target
            else:
                with pytest.raises(BugError) as refused:
                    change_status(actor=actor, bug=bug, status=target, resolution=resolution)
                assert f"#{bug.pk}" in refused.value.messages[0], (role, start, target)
                assert Bug.objects.get(pk=bug.pk).status == start
                assert BugChange.objects.filter(bug=bug).count() == history
            assert (target in allowed_moves(actor, _put(bug, start))) == expected


def test_resolving_needs_a_resolution_and_closing_sets_closed_at(bug, triager):
    with pytest.raises(BugError, match="resolution"):
        change_status(actor=triager, bug=bug, status=Status.RESOLVED)
    assert Bug.objects.get(pk=bug.pk).status == Status.UNCONFIRMED
    closed = change_status(
        actor=triager, bug=bug, status=Status.RESOLVED, resolution=Resolution.INVALID
    )
    assert closed.closed_at is not None
    reopened = change_status(actor=bug.reporter, bug=closed, status=Status.REOPENED)
    assert reopened.closed_at is None and reopened.resolution == ""


def test_the_page_offers_only_allowed_moves_and_refuses_others_with_a_message(
    client, bug, reporter, triager
):
    client.force_login(reporter)
    page = client.get(reverse("bugs:detail", args=[bug.pk])).content.decode()
    assert 'data-test="status-form"' not in page  # an unconfirmed bug: nothing for its reporter
    answer = client.post(reverse("bugs:status", args=[bug.pk]), {"status": "CONFIRMED"})
    assert answer.status_code == 302
    assert Bug.objects.get(pk=bug.pk).status == Status.UNCONFIRMED
    client.force_login(triager)
    page = client.get(reverse("bugs:detail", args=[bug.pk])).content.decode()
    assert '<option value="CONFIRMED">' in page and '<option value="VERIFIED">' not in page
    refused = client.post(reverse("bugs:status", args=[bug.pk]), {"status": "VERIFIED"})
    assert refused.status_code == 400
    assert "Select a valid choice" in refused.content.decode()
    assert Bug.objects.get(pk=bug.pk).status == Status.UNCONFIRMED
    done = client.post(reverse("bugs:status", args=[bug.pk]), {"status": "CONFIRMED"})
    assert done.status_code == 302
    assert Bug.objects.get(pk=bug.pk).status == Status.CONFIRMED
