"""What every write of the tracker shares: its one error type, the change history, the search
index, the cache generation and the notifications."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bugs.models import Bug, BugChange
from portal import notifications
from portal.caching import Generation
from portal.models import Subscription

# Everything a reader of the tracker sees (home block, board and release panels, reports).
BUGS = Generation("bugs")

SEARCH_CONFIG = "english"
SEARCH_TEXT_LIMIT = 400_000  # characters of comments indexed per bug


class BugError(ValidationError):
    """A refused change: the message is meant for the person and names the bug."""


def display(value: object) -> str:
    """How a field's value reads in the history: "" for none, names rather than ids."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, AbstractBaseUser):
        return value.get_username()
    version = getattr(value, "version", None)
    if version is not None:
        return str(version)
    slug = getattr(value, "slug", None)
    if slug is not None and value.__class__.__name__ == "Board":
        return str(slug)
    return str(value)


@dataclass(frozen=True)
class Change:
    field: str
    old: str
    new: str


def record(
    *, bug: Bug, actor: AbstractBaseUser | None, changes: Iterable[Change], at=None
) -> list[BugChange]:
    """Write the history of one change (one moment, one person) and touch the bug."""
    at = at or timezone.now()
    rows = [
        BugChange(
            bug=bug, actor=actor, field=c.field, old_value=c.old, new_value=c.new, created_at=at
        )
        for c in changes
        if c.old != c.new
    ]
    if rows:
        BugChange.objects.bulk_create(rows)
        Bug.objects.filter(pk=bug.pk).update(updated_at=at)
        bug.updated_at = at
        BUGS.bump_on_commit()
    return rows


def index_bugs(ids: Iterable[int]) -> None:
    """Rebuild the full-text vector (summary, description, comments) of these bugs."""
    ids = list(ids)
    if not ids or connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE bugs_bug SET search_vector = "
            "setweight(to_tsvector(%s, summary), 'A') || "
            "setweight(to_tsvector(%s, left(description, %s)), 'B') || "
            "setweight(to_tsvector(%s, coalesce((SELECT left(string_agg(body, ' '), %s) "
            "FROM bugs_comment WHERE bug_id = bugs_bug.id), '')), 'C') "
            "WHERE id = ANY(%s)",
            [
                SEARCH_CONFIG,
                SEARCH_CONFIG,
                SEARCH_TEXT_LIMIT,
                SEARCH_CONFIG,
                SEARCH_TEXT_LIMIT,
                ids,
            ],
        )


# What the notification centre and the mail say about the tracker.
notifications.register_kind("bugs", _("Changes and comments on bugs you follow"), order=30)
notifications.register_verb("bug_filed", _("filed"), kind="bugs")
notifications.register_verb("bug_changed", _("changed"), kind="bugs")
notifications.register_verb("bug_commented", _("commented on"), kind="bugs")


def involved(bug: Bug) -> set[int]:
    """Reporter, assignee and CC: who hears of every change (they are also who may read a
    security bug), less anyone who muted it."""
    ids = {bug.reporter_id, *bug.cc.values_list("pk", flat=True)}
    if bug.assignee_id:
        ids.add(bug.assignee_id)
    return ids - notifications.user_ids_with_level(target=bug, level=Subscription.Level.MUTED)


def tell(
    *,
    bug: Bug,
    actor: AbstractBaseUser | None,
    verb: str,
    excerpt: str,
    url: str | None = None,
    extra: Iterable[int] = (),
) -> None:
    with transaction.atomic():
        notifications.notify(
            recipients=involved(bug) | set(extra),
            actor=actor,
            verb=verb,
            target=bug,
            url=url or bug.get_absolute_url(),
            title=f"#{bug.pk} {bug.summary}",
            excerpt=excerpt,
            via=bug,
        )


def describe(changes: Iterable[Change]) -> str:
    return "\n".join(f"{c.field}: {c.old or '—'} → {c.new or '—'}" for c in changes)
