"""Who may move a bug from which status to which: the one table the services enforce and the
pages read to offer only the moves a person may make.

Roles: "triager" (the triagers group), "assignee", "reporter"; staff may make every move.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from bugs.models import Bug, Status
from portal.users import group_names

TRIAGERS = "triagers"
SECURITY = "security"

TRIAGER, ASSIGNEE, REPORTER, STAFF = "triager", "assignee", "reporter", "staff"

S = Status
# (from, to) -> the roles that may make the move. Triagers confirm and triage (they may close
# an unconfirmed report as invalid or duplicate); the assignee works and resolves; the reporter
# may reopen; a resolution is checked by a triager.
TRANSITIONS: dict[tuple[str, str], frozenset[str]] = {
    (S.UNCONFIRMED, S.CONFIRMED): frozenset({TRIAGER}),
    (S.UNCONFIRMED, S.RESOLVED): frozenset({TRIAGER}),
    (S.CONFIRMED, S.IN_PROGRESS): frozenset({ASSIGNEE}),
    (S.CONFIRMED, S.RESOLVED): frozenset({ASSIGNEE}),
    (S.IN_PROGRESS, S.CONFIRMED): frozenset({ASSIGNEE, TRIAGER}),
    (S.IN_PROGRESS, S.RESOLVED): frozenset({ASSIGNEE}),
    (S.REOPENED, S.CONFIRMED): frozenset({TRIAGER}),
    (S.REOPENED, S.IN_PROGRESS): frozenset({ASSIGNEE}),
    (S.REOPENED, S.RESOLVED): frozenset({ASSIGNEE}),
    (S.RESOLVED, S.VERIFIED): frozenset({TRIAGER}),
    (S.RESOLVED, S.REOPENED): frozenset({REPORTER, TRIAGER}),
    (S.VERIFIED, S.REOPENED): frozenset({REPORTER, TRIAGER}),
}

# Fields other than the status, and who may change them (staff: all).
FIELD_RIGHTS: dict[str, frozenset[str]] = {
    "summary": frozenset({TRIAGER, REPORTER}),
    "assignee": frozenset({TRIAGER}),
    "component": frozenset({TRIAGER}),
    "board": frozenset({TRIAGER, REPORTER}),
    "release": frozenset({TRIAGER, REPORTER}),
    "severity": frozenset({TRIAGER}),
    "priority": frozenset({TRIAGER, ASSIGNEE}),
    "keywords": frozenset({TRIAGER, ASSIGNEE}),
    "fixed_in": frozenset({TRIAGER, ASSIGNEE}),
    "is_security": frozenset({TRIAGER, REPORTER}),
    "depends_on": frozenset({TRIAGER, ASSIGNEE, REPORTER}),
}


def is_triager(user: AbstractBaseUser | AnonymousUser) -> bool:
    return user.is_authenticated and (user.is_staff or TRIAGERS in group_names(user))


def roles(user: AbstractBaseUser | AnonymousUser, bug: Bug) -> frozenset[str]:
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    found = set()
    if user.is_staff:
        found.add(STAFF)
    if TRIAGERS in group_names(user):
        found.add(TRIAGER)
    if bug.assignee_id == user.pk:
        found.add(ASSIGNEE)
    if bug.reporter_id == user.pk:
        found.add(REPORTER)
    return frozenset(found)


def may_move(user: AbstractBaseUser | AnonymousUser, bug: Bug, to: str) -> bool:
    allowed = TRANSITIONS.get((bug.status, to))
    if allowed is None:
        return False
    held = roles(user, bug)
    return STAFF in held or bool(allowed & held)


def allowed_moves(user: AbstractBaseUser | AnonymousUser, bug: Bug) -> list[str]:
    """The statuses this person may move the bug to, in the workflow's order."""
    return [s for s in Status.values if may_move(user, bug, s)]


def may_change(user: AbstractBaseUser | AnonymousUser, bug: Bug, field: str) -> bool:
    held = roles(user, bug)
    return STAFF in held or bool(FIELD_RIGHTS.get(field, frozenset()) & held)


def editable_fields(user: AbstractBaseUser | AnonymousUser, bug: Bug) -> set[str]:
    return {f for f in FIELD_RIGHTS if may_change(user, bug, f)}
