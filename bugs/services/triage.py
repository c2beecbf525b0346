"""Moving bugs through the workflow and changing their fields, one bug or a list of them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bugs.models import (
    CLOSED_STATUSES,
    Bug,
    Component,
    Keyword,
    Priority,
    Resolution,
    Severity,
    Status,
)
from bugs.services.common import BugError, Change, describe, display, index_bugs, record, tell
from bugs.services.filing import add_comment, clean_summary
from bugs.workflow import may_change, may_move
from downloads.models import Board, Release

User = get_user_model()

_VALIDATORS = {
    "severity": Severity.values,
    "priority": Priority.values,
}


def _locked(bug: Bug) -> Bug:
    return Bug.objects.select_for_update().get(pk=bug.pk)


def _refuse_move(bug: Bug, to: str) -> BugError:
    return BugError(
        _("You may not move bug #%(id)d from %(old)s to %(new)s.")
        % {"id": bug.pk, "old": Status(bug.status).label, "new": Status(to).label},
        code="workflow",
    )


def _reaches(start: int, target: int) -> bool:
    """Does `start` depend, directly or not, on `target`? Over all bugs, seen or not."""
    through = Bug.depends_on.through
    seen, frontier = {start}, {start}
    while frontier:
        if target in frontier:
            return True
        nxt = set(
            through.objects.filter(from_bug_id__in=frontier).values_list("to_bug_id", flat=True)
        )
        frontier = nxt - seen
        seen |= nxt
    return False


def _original_of(bug: Bug, duplicate_of: Bug | None) -> Bug:
    if duplicate_of is None:
        raise BugError(_("A duplicate needs the number of the original bug."), code="duplicate")
    original = Bug.objects.select_for_update().get(pk=duplicate_of.pk)
    if original.pk == bug.pk:
        raise BugError(_("A bug cannot be a duplicate of itself."), code="duplicate")
    # Walk to the end of the chain: a duplicate of a duplicate points at the original.
    seen = {bug.pk}
    while original.duplicate_of_id is not None:
        if original.duplicate_of_id in seen or original.pk in seen:
            break
        seen.add(original.pk)
        original = Bug.objects.select_for_update().get(pk=original.duplicate_of_id)
    if original.pk == bug.pk or original.duplicate_of_id == bug.pk:
        raise BugError(
            _("Bug #%(id)d is already a duplicate of #%(other)d.")
            % {"id": duplicate_of.pk, "other": bug.pk},
            code="duplicate",
        )
    return original


def _move(
    *,
    actor: AbstractBaseUser,
    bug: Bug,
    status: str,
    resolution: str = "",
    duplicate_of: Bug | None = None,
    fixed_in: Release | None = None,
    at=None,
) -> tuple[list[Change], Bug | None]:
    """Check and apply one move in memory; returns the changes and the original of a
    duplicate (changed and recorded here)."""
    if status not in Status.values:
        raise BugError(_("Unknown status %(s)s.") % {"s": status}, code="status")
    if not may_move(actor, bug, status):
        raise _refuse_move(bug, status)
    closing = status == Status.RESOLVED
    if (closing and resolution not in Resolution.values) or (closing and not resolution):
        raise BugError(_("Resolving a bug needs a resolution."), code="resolution")
    if not closing and status != Status.VERIFIED:
        resolution = ""
    if status == Status.VERIFIED:
        resolution = bug.resolution
    changes = [
        Change("status", bug.status, status),
        Change("resolution", bug.resolution, resolution),
    ]
    original = None
    new_duplicate_of = bug.duplicate_of
    if closing and resolution == Resolution.DUPLICATE:
        original = _original_of(bug, duplicate_of)
        new_duplicate_of = original
    elif status != Status.VERIFIED:
        new_duplicate_of = None
    changes.append(
        Change("duplicate_of", display_bug(bug.duplicate_of), display_bug(new_duplicate_of))
    )
    if closing and resolution == Resolution.FIXED and fixed_in is not None:
        changes.append(Change("fixed_in", display(bug.fixed_in), display(fixed_in)))
        bug.fixed_in = fixed_in
    bug.status, bug.resolution, bug.duplicate_of = status, resolution, new_duplicate_of
    if status in CLOSED_STATUSES:
        bug.closed_at = bug.closed_at or at or timezone.now()
    else:
        bug.closed_at = None
    return changes, original


def display_bug(bug: Bug | None) -> str:
    return f"#{bug.pk}" if bug is not None else ""


def _link_duplicate(*, actor: AbstractBaseUser, bug: Bug, original: Bug, at) -> None:
    """The original learns of its duplicate, and the duplicate's reporter joins its CC."""
    changes = [Change("duplicates", "", f"+#{bug.pk}")]
    if (
        bug.reporter_id != original.reporter_id
        and not original.cc.filter(pk=bug.reporter_id).exists()
    ):
        original.cc.add(bug.reporter_id)
        changes.append(Change("cc", "", f"+{bug.reporter.get_username()}"))
    record(bug=original, actor=actor, changes=changes, at=at)


@transaction.atomic
def change_status(
    *,
    actor: AbstractBaseUser,
    bug: Bug,
    status: str,
    resolution: str = "",
    duplicate_of: Bug | None = None,
    fixed_in: Release | None = None,
    comment: str = "",
) -> Bug:
    """Make one workflow move allowed by bugs.workflow.TRANSITIONS; nothing changes if refused."""
    bug = _locked(bug)
    at = timezone.now()
    changes, original = _move(
        actor=actor,
        bug=bug,
        status=status,
        resolution=resolution,
        duplicate_of=duplicate_of,
        fixed_in=fixed_in,
        at=at,
    )
    bug.save(update_fields=["status", "resolution", "duplicate_of", "fixed_in", "closed_at"])
    record(bug=bug, actor=actor, changes=changes, at=at)
    if original is not None:
        _link_duplicate(actor=actor, bug=bug, original=original, at=at)
    if comment.strip():
        add_comment(bug=bug, author=actor, body=comment, notify=False)
    tell(
        bug=bug,
        actor=actor,
        verb="bug_changed",
        excerpt=describe(c for c in changes if c.old != c.new)
        + ("\n\n" + comment if comment else ""),
    )
    return bug


def _field_value(field: str, value: Any) -> str:
    if field == "keywords":
        return " ".join(sorted(k.name for k in value))
    return display(value)


def _check_value(field: str, value: Any, bug: Bug) -> Any:
    if field in _VALIDATORS and value not in _VALIDATORS[field]:
        raise BugError(_("Unknown %(field)s %(value)s.") % {"field": field, "value": value})
    if field == "summary":
        return clean_summary(value)
    if field == "component" and not isinstance(value, Component):
        raise BugError(_("Choose a component."), code="component")
    if field == "assignee" and value is not None and not value.is_active:
        raise BugError(_("%(name)s cannot be assigned bugs.") % {"name": value.get_username()})
    published = getattr(value, "status", None) == Release.Status.PUBLISHED
    if field in {"release", "fixed_in"} and value is not None and not published:
        raise BugError(_("Release %(v)s is not published.") % {"v": value.version})
    if field == "board" and value is not None and not isinstance(value, Board):
        raise BugError(_("Choose a board."))
    if field == "is_security":
        return bool(value)
    return value


def _apply_fields(
    *, actor: AbstractBaseUser, bug: Bug, values: dict[str, Any]
) -> tuple[list[Change], list[str]]:
    """Check rights and values, set them on `bug` (in memory, M2M directly)."""
    changes: list[Change] = []
    update: list[str] = []
    for field, raw in values.items():
        if field in {"status", "resolution"}:
            continue
        if not may_change(actor, bug, field):
            raise BugError(
                _("You may not change the %(field)s of bug #%(id)d.")
                % {"field": field, "id": bug.pk},
                code="rights",
            )
        value = _check_value(field, raw, bug)
        if field == "keywords":
            old = list(bug.keywords.all())
            new = list(value)
            if {k.pk for k in old} != {k.pk for k in new}:
                bug.keywords.set(new)
                changes.append(
                    Change("keywords", _field_value(field, old), _field_value(field, new))
                )
            continue
        old_value = getattr(bug, field)
        if old_value == value:
            continue
        changes.append(Change(field, _field_value(field, old_value), _field_value(field, value)))
        setattr(bug, field, value)
        update.append(field)
        if field == "component":
            bug.product = value.product
            changes.append(Change("product", display(bug.product), display(value.product)))
            update.append("product")
    return changes, update


@transaction.atomic
def update_bug(
    *, actor: AbstractBaseUser, bug: Bug, values: dict[str, Any], comment: str = ""
) -> Bug:
    """Change fields (summary, assignee, component, board, release, severity, priority,
    keywords, fixed_in, is_security); each change is recorded, refused ones change nothing."""
    bug = _locked(bug)
    at = timezone.now()
    changes, update = _apply_fields(actor=actor, bug=bug, values=values)
    if update:
        bug.save(update_fields=update)
    record(bug=bug, actor=actor, changes=changes, at=at)
    if "summary" in update:
        index_bugs([bug.pk])
    if comment.strip():
        add_comment(bug=bug, author=actor, body=comment, notify=False)
    if changes or comment.strip():
        tell(
            bug=bug,
            actor=actor,
            verb="bug_changed",
            excerpt=describe(changes) + ("\n\n" + comment if comment else ""),
        )
    return bug


@transaction.atomic
def bulk_edit(
    *, actor: AbstractBaseUser, bugs: Sequence[Bug], values: dict[str, Any], comment: str = ""
) -> list[Bug]:
    """Apply the same changes to each bug (status, assignee, component, release, priority);
    each bug's changes are recorded on it. One refusal refuses the lot."""
    values = {k: v for k, v in values.items() if v not in (None, "")} | {
        k: None for k, v in values.items() if v == "__none__"
    }
    status = values.pop("status", None)
    resolution = values.pop("resolution", "")
    if not bugs:
        raise BugError(_("Choose at least one bug."), code="empty")
    if not values and not status:
        raise BugError(_("Choose at least one change."), code="empty")
    done = []
    for bug in bugs:
        bug = _locked(bug)
        at = timezone.now()
        changes, update = _apply_fields(actor=actor, bug=bug, values=values)
        if status and status != bug.status:
            moved, _original = _move(
                actor=actor, bug=bug, status=status, resolution=resolution, at=at
            )
            changes += moved
            update += ["status", "resolution", "duplicate_of", "fixed_in", "closed_at"]
        if update:
            bug.save(update_fields=sorted(set(update)))
        record(bug=bug, actor=actor, changes=changes, at=at)
        if comment.strip():
            add_comment(bug=bug, author=actor, body=comment, notify=False)
        if changes:
            tell(bug=bug, actor=actor, verb="bug_changed", excerpt=describe(changes))
        done.append(bug)
    return done


@transaction.atomic
def add_dependency(*, actor: AbstractBaseUser, bug: Bug, depends_on: Bug) -> Bug:
    """`bug` cannot be fixed before `depends_on`; a cycle is refused."""
    bug = _locked(bug)
    if not may_change(actor, bug, "depends_on"):
        raise BugError(
            _("You may not change the dependencies of bug #%(id)d.") % {"id": bug.pk},
            code="rights",
        )
    if depends_on.pk == bug.pk:
        raise BugError(_("A bug cannot depend on itself."), code="cycle")
    if bug.depends_on.filter(pk=depends_on.pk).exists():
        return bug
    if _reaches(depends_on.pk, bug.pk):
        raise BugError(
            _("Bug #%(other)d already depends on #%(id)d: that would make a cycle.")
            % {"other": depends_on.pk, "id": bug.pk},
            code="cycle",
        )
    bug.depends_on.add(depends_on)
    at = timezone.now()
    record(bug=bug, actor=actor, changes=[Change("depends_on", "", f"+#{depends_on.pk}")], at=at)
    record(bug=depends_on, actor=actor, changes=[Change("blocks", "", f"+#{bug.pk}")], at=at)
    return bug


@transaction.atomic
def remove_dependency(*, actor: AbstractBaseUser, bug: Bug, depends_on: Bug) -> Bug:
    bug = _locked(bug)
    if not may_change(actor, bug, "depends_on"):
        raise BugError(
            _("You may not change the dependencies of bug #%(id)d.") % {"id": bug.pk},
            code="rights",
        )
    if bug.depends_on.filter(pk=depends_on.pk).exists():
        bug.depends_on.remove(depends_on)
        at = timezone.now()
        record(
            bug=bug, actor=actor, changes=[Change("depends_on", f"-#{depends_on.pk}", "")], at=at
        )
        record(bug=depends_on, actor=actor, changes=[Change("blocks", f"-#{bug.pk}", "")], at=at)
    return bug


@transaction.atomic
def set_cc(*, actor: AbstractBaseUser, bug: Bug, person: AbstractBaseUser, on: bool) -> Bug:
    """Anyone may add or remove themselves; triagers and staff anyone."""
    from bugs.workflow import is_triager

    if person.pk != actor.pk and not is_triager(actor):
        raise BugError(_("You may only add or remove yourself."), code="rights")
    present = bug.cc.filter(pk=person.pk).exists()
    if on == present:
        return bug
    if on:
        bug.cc.add(person)
        change = Change("cc", "", f"+{person.get_username()}")
    else:
        bug.cc.remove(person)
        change = Change("cc", f"-{person.get_username()}", "")
    record(bug=bug, actor=actor, changes=[change])
    return bug


def keywords_from(names: Iterable[str]) -> list[Keyword]:
    wanted = {n.strip().lower() for n in names if n.strip()}
    found = list(Keyword.objects.filter(name__in=wanted))
    unknown = wanted - {k.name for k in found}
    if unknown:
        raise BugError(
            _("Unknown keywords: %(names)s.") % {"names": ", ".join(sorted(unknown))},
            code="keywords",
        )
    return found
