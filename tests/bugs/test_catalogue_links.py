"""The tracker and the catalogue: default assignees, the bug page's links to the board and the
release files, the release page's fixed bugs, the board page's open bugs, pagination, demo data."""

from __future__ import annotations

from django.core.management import call_command
from django.urls import reverse

from bugs.models import Bug, Component, Product, Status
from bugs.services import triage


def test_filing_gives_the_component_or_product_default_assignee(
    file_bug, component, product, assignee, triager
):
    assert file_bug().assignee is None
    product.default_assignee = triager
    product.save()
    assert file_bug().assignee == triager
    component.default_assignee = assignee
    component.save()
    assert file_bug(component=Component.objects.get(pk=component.pk)).assignee == assignee


def test_bug_page_links_board_and_release_files_and_release_page_lists_fixed_bugs(
    client, file_bug, boards, make_release, triager, assignee
):
    release = make_release("3.1", {"d02/Image": b"k"})
    bug = file_bug("hns driver fixed bug", board=boards["d02"], release=release)
    page = client.get(bug.get_absolute_url()).content.decode()
    assert 'href="/downloads/d02/" data-test="board-link"' in page
    assert 'href="/downloads/releases/3.1/" data-test="release-link"' in page
    assert client.get("/downloads/d02/").status_code == 200
    Bug.objects.filter(pk=bug.pk).update(assignee=assignee, status=Status.CONFIRMED)
    bug.refresh_from_db()
    triage.change_status(
        actor=assignee, bug=bug, status=Status.RESOLVED, resolution="FIXED", fixed_in=release
    )
    release_page = client.get(reverse("downloads:release", args=["3.1"])).content.decode()
    assert 'data-test="release-fixed-bugs"' in release_page and bug.summary in release_page
    board_page = client.get(reverse("downloads:board", args=["d02"])).content.decode()
    assert bug.summary not in board_page  # fixed: no longer among the open bugs
    assert "/bugs/?board=d02&amp;status=open" in board_page


def test_list_paginates(client, reporter, component):
    Bug.objects.bulk_create(
        Bug(product=component.product, component=component, reporter=reporter,
            summary=f"Paged bug {i:03d}", description="x")
        for i in range(60)
    )  # fmt: skip
    first = client.get(reverse("bugs:index"), {"sort": "summary"}).content.decode()
    assert "Paged bug 000" in first and "Paged bug 050" not in first
    second = client.get(reverse("bugs:index"), {"sort": "summary", "page": 2}).content.decode()
    assert "Paged bug 050" in second and "Page 2 of 2" in second
    assert 'href="?sort=summary&amp;page=1"' in second


def test_seed_demo_adds_products_and_bugs_with_history(db, client):
    call_command("seed_demo")
    call_command("seed_demo")  # idempotent
    assert {"uefi", "grub", "kernel", "distributions", "build-system", "portal"} <= set(
        Product.objects.values_list("slug", flat=True)
    )
    bugs = Bug.objects.all()
    assert bugs.count() == 6
    statuses = set(bugs.values_list("status", flat=True))
    assert {"UNCONFIRMED", "CONFIRMED", "IN_PROGRESS", "RESOLVED"} <= statuses
    duplicate = bugs.get(resolution="DUPLICATE")
    assert duplicate.duplicate_of is not None
    for bug in bugs:
        assert bug.changes.exists()
        assert client.get(bug.get_absolute_url()).status_code == 200
    assert client.get(reverse("bugs:index")).status_code == 200
    assert client.get(reverse("bugs:reports")).status_code == 200
