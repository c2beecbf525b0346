"""The tracker's pages: filing (pre-filled, duplicates first), the list (filters as the URL,
sorting, bounded queries), bulk edit, attachments, saved searches, feed, CSV, reports."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, models
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from PIL import Image

from bugs.models import (
    Attachment,
    Bug,
    BugChange,
    Priority,
    Resolution,
    SavedSearch,
    Severity,
    Status,
)
from bugs.services import filing
from bugs.services.common import BugError
from downloads.models import Board

TESTDATA = "../shared/testdata"


def _form(component, **extra):
    data = {
        "component": component.pk,
        "severity": "major",
        "summary": "Kernel panic when loading hns on D02",
        "steps": "1. boot\n2. `modprobe hns`",
        "expected": "The interface comes up.",
        "actual": "Kernel panic.",
    }
    return data | extra


def test_report_a_bug_prefills_the_board_and_its_latest_release(
    client, reporter, component, boards, make_release
):
    make_release("3.0", {"d02/Image": b"a"})
    make_release("3.1", {"d02/Image": b"b"})
    make_release("4.0", {"hikey/Image": b"c"})
    board_page = client.get(reverse("downloads:board", args=["d02"])).content.decode()
    assert f'href="{reverse("bugs:new")}?board=d02"' in board_page
    client.force_login(reporter)
    page = client.get(reverse("bugs:new"), {"board": "d02"}).content.decode()
    assert '<option value="d02" selected>' in page
    assert '<option value="3.1" selected>' in page


def test_filing_shows_likely_duplicates_first_then_files(client, reporter, component, file_bug):
    existing = file_bug("Kernel panic loading hns module")
    client.force_login(reporter)
    first = client.post(reverse("bugs:new"), _form(component))
    assert first.status_code == 200
    html = first.content.decode()
    assert 'data-test="duplicates"' in html and existing.summary in html
    assert Bug.objects.count() == 1
    second = client.post(reverse("bugs:new"), _form(component, confirmed="True"))
    assert second.status_code == 302
    bug = Bug.objects.exclude(pk=existing.pk).get()
    assert bug.severity == "major" and bug.product == component.product
    assert (
        "Steps to reproduce" in bug.description_html
        and "<code>modprobe hns</code>" in bug.description_html
    )


def test_filing_without_duplicates_files_at_once_and_bad_input_is_a_form_error(
    client, reporter, component
):
    client.force_login(reporter)
    answer = client.post(reverse("bugs:new"), _form(component, summary="Odd"))
    assert answer.status_code == 200 and "at least 5 characters" in answer.content.decode()
    answer = client.post(reverse("bugs:new"), _form(component) | {"component": "999999"})
    assert "Select a valid choice" in answer.content.decode()
    assert not Bug.objects.exists()
    answer = client.post(reverse("bugs:new"), _form(component))
    assert answer.status_code == 302 and Bug.objects.count() == 1
    assert client.get(reverse("bugs:new")).status_code == 200
    client.logout()
    assert client.get(reverse("bugs:new")).status_code == 302  # to the sign-in page


def test_filters_are_the_url_and_columns_sort(client, file_bug, triager, assignee, boards, keyword):
    a = file_bug("Alpha bug on D02", board=boards["d02"], severity="critical")
    b = file_bug("Beta bug on HiKey", board=boards["hikey"], priority=Priority.P1)
    c = file_bug("Gamma bug without board", keywords=[keyword])
    Bug.objects.filter(pk=b.pk).update(assignee=assignee)

    def listed(**params):
        html = client.get(reverse("bugs:index"), params).content.decode()
        return [bug.summary for bug in (a, b, c) if bug.summary in html]

    assert listed(board="d02") == [a.summary]
    assert listed(severity="critical") == [a.summary]
    assert listed(priority="P1") == [b.summary]
    assert listed(assignee="alan") == [b.summary]
    assert listed(keyword="regression") == [c.summary]
    assert listed(q="gamma") == [c.summary]
    assert listed(status="open") == [a.summary, b.summary, c.summary]
    assert listed(status="closed") == []
    assert listed(product="kernel", reporter="rita") == [a.summary, b.summary, c.summary]
    html = client.get(reverse("bugs:index"), {"sort": "summary"}).content.decode()
    assert html.index("Alpha bug") < html.index("Beta bug") < html.index("Gamma bug")
    html = client.get(reverse("bugs:index"), {"sort": "-summary"}).content.decode()
    assert html.index("Gamma bug") < html.index("Alpha bug")
    bad = client.get(reverse("bugs:index"), {"board": "nope", "sort": "drop table"})
    assert bad.status_code == 200 and "Select a valid choice" in bad.content.decode()


def test_a_new_search_of_the_list_asks_only_for_its_bugs(
    client, file_bug, component, boards, make_release, django_assert_max_num_queries
):
    """A signed-out reader's first search of a query (not kept yet): the filters' choices are
    kept, so the bugs' count and rows are all it asks. A board added shows among them at once."""
    release = make_release("3.0", {"d02/Image": b"a"})
    file_bug("Alpha panic on D02", board=boards["d02"], release=release)
    file_bug("Beta panic on HiKey", board=boards["hikey"], release=release)
    assert client.get(reverse("bugs:index"), {"q": "warm"}).status_code == 200
    wanted = {"product": "kernel", "component": component.pk, "board": "d02", "release": "3.0"}
    with django_assert_max_num_queries(2) as asked:
        html = client.get(reverse("bugs:index"), {"q": "panic", **wanted}).content.decode()
    assert "Alpha panic on D02" in html and "Beta panic" not in html
    # Four tables joined to the bugs, not five: each one more multiplies the planning.
    assert [query["sql"].count(" JOIN ") for query in asked] == [0, 4]
    assert '<option value="hikey">HiKey</option>' in html
    Board.objects.create(slug="d06", name="D06", soc="Hip08", order=3)
    html = client.get(reverse("bugs:index"), {"q": "again"}).content.decode()
    assert '<option value="d06">D06</option>' in html
    assert client.get(reverse("bugs:index"), {"board": "d06"}).status_code == 200


def test_the_csv_names_each_bugs_release_in_its_one_query(
    client, file_bug, boards, make_release, django_assert_max_num_queries
):
    """The list's rows join no release (the CSV alone shows it): the CSV joins its own."""
    releases = [make_release(v, {"d02/Image": v.encode()}) for v in ("3.0", "3.1")]
    for number in range(6):
        file_bug(f"Export {number}", board=boards["d02"], release=releases[number % 2])
    file_bug("Export without a release")
    client.get(reverse("bugs:index"))  # the filters' choices are kept from here on
    with django_assert_max_num_queries(1):
        answer = client.get(reverse("bugs:csv"))
        rows = list(csv.reader(io.StringIO(b"".join(answer.streaming_content).decode())))
    by_summary = {row[1]: row[5] for row in rows[1:]}
    assert by_summary["Export 0"] == "3.0" and by_summary["Export 5"] == "3.1"
    assert by_summary["Export without a release"] == ""


@pytest.mark.parametrize("count", [10, 20_000])
def test_the_list_page_query_count_does_not_grow(
    client, count, reporter, component, boards, triager
):
    board = boards["d02"]
    Bug.objects.bulk_create(
        (
            Bug(
                product=component.product,
                component=component,
                board=board,
                reporter=reporter,
                assignee=triager,
                summary=f"Generated bug {i}",
                description="x",
            )
            for i in range(count)
        ),
        batch_size=5000,
    )
    client.force_login(triager)  # the heaviest page: bulk edit and saved searches too
    client.get(reverse("bugs:index"))  # warm the per-process caches (content types, sessions)
    with CaptureQueriesContext(connection) as queries:
        answer = client.get(
            reverse("bugs:index"),
            {"board": "d02", "status": "open", "severity": "normal", "sort": "-changed"},
        )
    assert answer.status_code == 200
    assert f"{count} bugs" in answer.content.decode()
    assert len(queries) <= 16, [q["sql"] for q in queries]
    test_the_list_page_query_count_does_not_grow.counts[count] = len(queries)
    if len(test_the_list_page_query_count_does_not_grow.counts) == 2:
        assert len(set(test_the_list_page_query_count_does_not_grow.counts.values())) == 1


test_the_list_page_query_count_does_not_grow.counts = {}


def test_bulk_edit_records_every_change_per_bug(client, file_bug, triager, assignee, reporter):
    bugs = [file_bug(f"Bulk bug number {i}") for i in range(3)]
    client.force_login(triager)
    answer = client.post(
        reverse("bugs:bulk_edit"),
        {
            "bugs": [b.pk for b in bugs[:2]],
            "status": "CONFIRMED",
            "assignee": "alan",
            "priority": "P2",
            "next": reverse("bugs:index") + "?status=open",
        },
    )
    assert answer.status_code == 302 and answer["Location"].endswith("?status=open")
    for bug in bugs[:2]:
        bug.refresh_from_db()
        assert (bug.status, bug.assignee, bug.priority) == ("CONFIRMED", assignee, "P2")
        fields = set(
            BugChange.objects.filter(bug=bug, actor=triager).values_list("field", flat=True)
        )
        assert fields == {"status", "assignee", "priority"}
    assert Bug.objects.get(pk=bugs[2].pk).status == Status.UNCONFIRMED
    # One refused move refuses the lot: nothing changes.
    Bug.objects.filter(pk=bugs[2].pk).update(status="RESOLVED", resolution="FIXED")
    answer = client.post(
        reverse("bugs:bulk_edit"),
        {"bugs": [b.pk for b in bugs], "status": "IN_PROGRESS"},
        follow=True,
    )
    assert "may not move" in answer.content.decode()
    assert set(Bug.objects.values_list("status", flat=True)) == {"CONFIRMED", "RESOLVED"}
    client.force_login(reporter)
    assert (
        client.post(reverse("bugs:bulk_edit"), {"bugs": [bugs[0].pk], "priority": "P5"}).status_code
        == 404
    )
    assert Bug.objects.get(pk=bugs[0].pk).priority == "P2"


def test_attachments_patch_log_image_and_other(client, bug, reporter, settings):
    patch = filing.add_attachment(
        bug=bug,
        uploader=reporter,
        upload=SimpleUploadedFile(
            "fix.patch", b"diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-old\n+new\n"
        ),
    )
    log = filing.add_attachment(
        bug=bug, uploader=reporter, upload=SimpleUploadedFile("dmesg.txt", b"[ 0.0] <b>boot</b>\n")
    )
    raw_png = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(raw_png, format="PNG")
    image = filing.add_attachment(
        bug=bug, uploader=reporter, upload=SimpleUploadedFile("shot.png", raw_png.getvalue())
    )
    other = filing.add_attachment(
        bug=bug, uploader=reporter, upload=SimpleUploadedFile("fw.bin", b"\x00\x01\x02binary")
    )
    assert [a.kind for a in (patch, log, image, other)] == ["patch", "log", "image", "other"]
    page = client.get(patch.get_absolute_url()).content.decode()
    assert 'class="highlight"' in page and '<span class="gi">+new</span>' in page
    page = client.get(log.get_absolute_url()).content.decode()
    assert "&lt;b&gt;boot&lt;/b&gt;" in page
    answer = client.get(image.get_absolute_url())
    assert answer["Content-Type"] == "image/png"
    assert Image.open(io.BytesIO(b"".join(answer.streaming_content))).size == (40, 30)
    answer = client.get(other.get_absolute_url())
    assert answer["Content-Disposition"].startswith("attachment;")
    assert b"".join(answer.streaming_content) == b"\x00\x01\x02binary"
    settings.BUGS_ATTACHMENT_MAX_BYTES = 10
    with pytest.raises(BugError, match="larger than"):
        filing.add_attachment(
            bug=bug, uploader=reporter, upload=SimpleUploadedFile("big.log", b"x" * 11)
        )
    with pytest.raises(BugError, match="not an image"):
        settings.BUGS_ATTACHMENT_MAX_BYTES = 10_000
        filing.add_attachment(
            bug=bug, uploader=reporter, upload=SimpleUploadedFile("fake.png", b"\x89PNGnot really")
        )
    assert Attachment.objects.filter(bug=bug).count() == 4
    client.force_login(reporter)
    client.post(reverse("bugs:attachment_obsolete", args=[bug.pk, patch.pk]), {"obsolete": "1"})
    assert Attachment.objects.get(pk=patch.pk).is_obsolete
    assert BugChange.objects.filter(bug=bug, field__contains="obsolete").exists()


def test_real_files_attach_view_inline_and_download_unchanged(client, bug, reporter):
    """Files nobody here wrote (mail with broken charsets, checksum lists, build configs)."""
    from pathlib import Path

    paths = sorted(Path(TESTDATA, "mail").glob("*")) + sorted(
        Path(TESTDATA, "estuary-build").rglob("*.*")
    )
    paths = [p for p in paths if p.is_file()]
    assert paths, "the shared test data is missing"
    for path in paths:
        data = path.read_bytes()
        item = filing.add_attachment(
            bug=bug, uploader=reporter, upload=SimpleUploadedFile(path.name, data)
        )
        page = client.get(item.get_absolute_url())
        assert page.status_code == 200, path
        if item.kind == "log":
            assert 'data-test="log-text"' in page.content.decode(), path
        raw = client.get(reverse("bugs:attachment_raw", args=[bug.pk, item.pk]))
        assert b"".join(raw.streaming_content) == data, path


def test_comment_with_attachment_and_empty_comment_is_a_form_error(client, bug, reporter):
    client.force_login(reporter)
    answer = client.post(reverse("bugs:comment", args=[bug.pk]), {"body": " "})
    assert answer.status_code == 400
    answer = client.post(
        reverse("bugs:comment", args=[bug.pk]),
        {"body": "Here is the log.", "attachment": SimpleUploadedFile("boot.log", b"line\n")},
    )
    assert answer.status_code == 302
    bug.refresh_from_db()
    assert bug.comment_count == 1 and bug.attachments.get().comment is not None
    page = client.get(bug.get_absolute_url()).content.decode()
    assert "Here is the log." in page and "boot.log" in page


def test_saved_searches_my_bugs_feed_and_csv(client, file_bug, reporter, boards):
    bug = file_bug("Saved search target bug", board=boards["d02"])
    client.force_login(reporter)
    answer = client.post(
        reverse("bugs:save_search"), {"name": "D02 open", "query": "board=d02&status=open&page=3"}
    )
    saved = SavedSearch.objects.get(user=reporter)
    assert saved.query == "board=d02&status=open"
    assert answer["Location"] == "/bugs/?board=d02&status=open"
    mine = client.get(reverse("bugs:mine")).content.decode()
    assert "D02 open" in mine and bug.summary in mine
    feed = client.get(reverse("bugs:feed"), {"board": "d02"})
    assert (
        feed["Content-Type"].startswith("application/atom+xml")
        and bug.summary in feed.content.decode()
    )
    rows = list(
        csv.reader(
            io.StringIO(
                b"".join(
                    client.get(reverse("bugs:csv"), {"board": "d02"}).streaming_content
                ).decode()
            )
        )
    )
    assert rows[0][0] == "id" and rows[1][1] == bug.summary
    client.post(reverse("bugs:delete_search", args=[saved.pk]))
    assert not SavedSearch.objects.exists()


def test_reports_are_svg_without_javascript(client, file_bug, boards):
    file_bug("Report bug one", board=boards["d02"])
    html = client.get(reverse("bugs:reports")).content.decode()
    assert (
        html.count('<svg class="chart"') == 3
        and "<script" not in html.split("<main")[1].split("</main>")[0]
    )


@pytest.mark.parametrize("signed_in", [False, True])
def test_a_long_bug_page_keeps_its_history_and_shows_a_new_comment_at_once(
    client, bug, reporter, outsider, signed_in
):
    """The history of a 100-comment bug is rendered once and kept (the whole page for anonymous
    readers): the page's queries do not grow with the comments, and a comment added afterwards
    is on the next view."""
    from bugs.models import Comment

    Comment.objects.bulk_create(
        Comment(bug=bug, author=reporter, body=f"seen {i}", body_html=f"<p>seen {i}</p>")
        for i in range(100)
    )
    if signed_in:
        client.force_login(outsider)
    url = reverse("bugs:detail", args=[bug.pk])
    assert client.get(url).content.decode().count('data-test="timeline-comment"') == 100
    with CaptureQueriesContext(connection) as queries:
        answer = client.get(url)
    assert answer.content.decode().count('data-test="timeline-comment"') == 100
    # Signed out: the bug, the rest is kept whole; signed in: the bug and its side parts
    # (attachments, links, CC, keywords), the session, the reader, their groups and one
    # visibility check, not its history.
    assert len(queries) <= (11 if signed_in else 2), [q["sql"] for q in queries]
    assert not any("bugs_comment" in q["sql"] for q in queries)
    filing.add_comment(bug=Bug.objects.get(pk=bug.pk), author=reporter, body="Fixed by 5.1")
    page = client.get(url).content.decode()
    assert page.count('data-test="timeline-comment"') == 101
    assert "Fixed by 5.1" in page


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_bugs_labels_are_djangos_in_each_language(language):
    """The list's rows name status, resolution and severity through the choices' enums, not
    Django's get_FOO_display: the same words, a value none of them is shown as it is."""
    fields = {"status": Status, "resolution": Resolution, "severity": Severity}
    with translation.override(language):
        for name, choices in fields.items():
            field = Bug._meta.get_field(name)
            for value in [*choices.values, "NOT-A-CHOICE"]:
                bug = Bug(**{name: value})
                ours = getattr(bug, f"get_{name}_display")()
                assert ours == models.Model._get_FIELD_display(bug, field), (name, value)
        expected = {"en": "in progress", "zh-hans": "处理中"}[language]
        assert Bug(status=Status.IN_PROGRESS).get_status_display() == expected
