"""Every field a service changes is recorded (who, when, old, new) and shown in the timeline
between the comments; duplicates and dependencies follow their rules."""

from __future__ import annotations

import pytest
from django.urls import reverse

from bugs.models import Bug, BugChange, Priority, Resolution, Severity, Status
from bugs.services import filing, triage
from bugs.services.common import BugError


def _changes(bug: Bug) -> dict[str, tuple[str, str]]:
    return {c.field: (c.old_value, c.new_value) for c in BugChange.objects.filter(bug=bug)}


def test_every_field_change_is_recorded_with_who_and_when(
    bug, triager, assignee, other_component, keyword, boards, make_release
):
    release = make_release("3.1", {"d02/Image": b"k"})
    triage.update_bug(
        actor=triager,
        bug=bug,
        values={
            "summary": "Network link drops under iperf3 load",
            "assignee": assignee,
            "component": other_component,
            "board": boards["d02"],
            "release": release,
            "severity": Severity.CRITICAL,
            "priority": Priority.P1,
            "keywords": [keyword],
            "fixed_in": release,
            "is_security": True,
        },
    )
    changes = _changes(bug)
    assert changes["summary"] == (
        "Network drops under load",
        "Network link drops under iperf3 load",
    )
    assert changes["assignee"] == ("", "alan")
    assert changes["component"] == ("Kernel / Drivers", "Kernel / ACPI")
    assert changes["board"] == ("", "d02")
    assert changes["release"] == ("", "3.1")
    assert changes["severity"] == ("normal", "critical")
    assert changes["priority"] == ("P3", "P1")
    assert changes["keywords"] == ("", "regression")
    assert changes["fixed_in"] == ("", "3.1")
    assert changes["is_security"] == ("no", "yes")
    for change in BugChange.objects.filter(bug=bug).exclude(field="status"):
        assert change.actor == triager and change.created_at is not None
    triage.set_cc(actor=triager, bug=bug, person=triager, on=True)
    assert _changes(bug)["cc"] == ("", "+tom")


def test_status_moves_and_comments_make_one_timeline(client, bug, triager, assignee):
    triage.update_bug(actor=triager, bug=bug, values={"assignee": assignee})
    triage.change_status(actor=triager, bug=bug, status=Status.CONFIRMED, comment="Seen here too.")
    filing.add_comment(bug=bug, author=assignee, body="Looking at the **driver** now.")
    changes = _changes(bug)
    assert changes["status"] == ("UNCONFIRMED", "CONFIRMED")
    page = client.get(reverse("bugs:detail", args=[bug.pk])).content.decode()
    order = [
        page.index(text)
        for text in (
            "<ins>alan</ins>",
            "<ins>CONFIRMED</ins>",
            "Seen here too.",
            "<strong>driver</strong>",
        )
    ]
    assert order == sorted(order)


def test_a_refused_field_change_changes_nothing(bug, outsider, reporter, triager):
    with pytest.raises(BugError, match="may not change the severity"):
        triage.update_bug(
            actor=reporter, bug=bug, values={"severity": "blocker", "summary": "A new summary"}
        )
    bug.refresh_from_db()
    assert bug.severity == "normal" and bug.summary == "Network drops under load"
    assert not BugChange.objects.filter(bug=bug).exclude(field="status").exists()
    with pytest.raises(BugError):
        triage.update_bug(actor=triager, bug=bug, values={"priority": "P9"})
    with pytest.raises(BugError):
        triage.set_cc(actor=outsider, bug=bug, person=reporter, on=False)


def test_duplicate_needs_the_original_links_both_ways_and_copies_the_reporter_to_cc(
    file_bug, triager, outsider
):
    original = file_bug("Wi-Fi firmware missing on HiKey")
    duplicate = file_bug("HiKey has no wlan0", reporter=outsider)
    with pytest.raises(BugError, match="original"):
        triage.change_status(
            actor=triager, bug=duplicate, status=Status.RESOLVED, resolution=Resolution.DUPLICATE
        )
    with pytest.raises(BugError, match="itself"):
        triage.change_status(
            actor=triager,
            bug=duplicate,
            status=Status.RESOLVED,
            resolution=Resolution.DUPLICATE,
            duplicate_of=duplicate,
        )
    assert Bug.objects.get(pk=duplicate.pk).status == Status.UNCONFIRMED
    triage.change_status(
        actor=triager,
        bug=duplicate,
        status=Status.RESOLVED,
        resolution=Resolution.DUPLICATE,
        duplicate_of=original,
    )
    duplicate.refresh_from_db()
    assert duplicate.duplicate_of == original
    assert list(original.duplicates.all()) == [duplicate]
    assert outsider in original.cc.all()
    assert _changes(original)["duplicates"] == ("", f"+#{duplicate.pk}")
    assert _changes(original)["cc"] == ("", "+oscar")
    assert _changes(duplicate)["duplicate_of"] == ("", f"#{original.pk}")
    # The original cannot in turn be closed as a duplicate of its own duplicate.
    with pytest.raises(BugError, match="already a duplicate"):
        triage.change_status(
            actor=triager,
            bug=original,
            status=Status.RESOLVED,
            resolution=Resolution.DUPLICATE,
            duplicate_of=duplicate,
        )


def test_dependencies_refuse_cycles_and_the_tree_shows_them(client, file_bug, triager):
    a, b, c = file_bug("Bug number one"), file_bug("Bug number two"), file_bug("Bug number three")
    triage.add_dependency(actor=triager, bug=a, depends_on=b)
    triage.add_dependency(actor=triager, bug=b, depends_on=c)
    with pytest.raises(BugError, match="cycle"):
        triage.add_dependency(actor=triager, bug=c, depends_on=a)
    with pytest.raises(BugError, match="itself"):
        triage.add_dependency(actor=triager, bug=a, depends_on=a)
    assert not c.depends_on.exists()
    assert _changes(a)["depends_on"] == ("", f"+#{b.pk}")
    assert _changes(b)["blocks"] == ("", f"+#{a.pk}")
    page = client.get(reverse("bugs:tree", args=[a.pk])).content.decode()
    assert page.count('data-test="tree-node"') == 2
    assert page.index("Bug number two") < page.index("Bug number three")
    triage.remove_dependency(actor=triager, bug=a, depends_on=b)
    assert _changes(a)["depends_on"] == (f"-#{b.pk}", "")


def test_refused_dependency_from_the_page_says_why(client, file_bug, triager):
    a, b = file_bug("Bug number one"), file_bug("Bug number two")
    triage.add_dependency(actor=triager, bug=a, depends_on=b)
    client.force_login(triager)
    answer = client.post(
        reverse("bugs:dependency", args=[b.pk]), {"other": a.pk, "action": "add"}, follow=True
    )
    assert "cycle" in answer.content.decode()
    assert not b.depends_on.exists()
