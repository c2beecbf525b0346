"""Caliper files parse, a malformed one names its line and stores nothing, runs compare."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from lab.caliper import parse_file
from lab.errors import LabError
from lab.models import CaliperRun, CaliperScore
from lab.services.caliper import upload_run
from tests.lab.conftest import DATA, MACHINE, caliper_files


def test_score_file_parses_every_case_and_skips_totals():
    parsed = parse_file(
        filename="d05-01_score.yaml", data=(DATA / "d05-01_score.yaml").read_bytes()
    )
    assert parsed.host == "d05-01"
    cases = {(c.item, c.sub_item, c.point, c.case): c.value for c in parsed.cases}
    assert len(cases) == 10
    assert cases[("Performance", "latency", "process", "lat_proc_fork")] == 5.95
    assert cases[("Performance", "network", "tcp", "iperf_udp")] == 0
    assert not any(c.case == "Total_Scores" or c.point == "Total_Scores" for c in parsed.cases)


def test_upload_stores_three_files_and_counts_failures(d05, releases):
    run = upload_run(board=d05, release=releases[0], machine=MACHINE, files=caliper_files("d05-01"))
    assert run.host == "d05-01"
    assert (run.case_count, run.failed_count) == (10, 1)
    assert run.scores.filter(source=CaliperScore.Source.RAW, case="coremark").get().value == 412833
    assert run.scores.count() == 30
    assert "Configuration:" in run.host_yaml


@pytest.mark.parametrize(
    ("name", "line", "expected"),
    [
        ("broken-indent", 8, "expected valid YAML"),
        ("not-a-number", 8, "a number of zero or more for lat_proc_exec"),
    ],
)
def test_malformed_score_file_names_file_and_line_and_stores_nothing(
    d05, releases, name, line, expected
):
    files = caliper_files("d05-01")
    files["score"] = (f"{name}_score.yaml", (DATA / f"{name}_score.yaml").read_bytes())
    files["raw"] = (f"{name}.yaml", files["raw"][1].replace(b"d05-01", name.encode()))
    files["post"] = (f"{name}_score_post.yaml", files["post"][1].replace(b"d05-01", name.encode()))
    with pytest.raises(LabError) as caught:
        upload_run(board=d05, release=releases[0], machine=MACHINE, files=files)
    message = str(caught.value)
    assert message.startswith(f"{name}_score.yaml, line {line}: ")
    assert expected in message
    assert CaliperRun.objects.count() == 0 and CaliperScore.objects.count() == 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (b"", "line 1: expected name: and results:"),
        (b"name: d05-01\n", "line 1: expected a top-level results:"),
        (
            b"name: d05-01\nresults:\n  Performance: 3\n",
            "line 3: expected sub-items under Performance",
        ),
        (
            b"name: d05-01\nresults:\n  P:\n    s:\n      p:\n"
            b"        Point_Scores:\n          a: -1\n",
            "line 7: expected a number of zero or more for a",
        ),
        (
            b"name: d05-01\nresults: !!python/object:os.system {}\n",
            "line 2: expected Test Items under results:",
        ),
        (
            (DATA / "d05-01_score.yaml").read_bytes().replace(b"d05-01", b"other-host"),
            "line 1: expected name: d05-01",
        ),
    ],
)
def test_structure_errors_name_the_line(d05, releases, text, expected):
    files = caliper_files("d05-01")
    files["score"] = ("d05-01_score.yaml", text)
    with pytest.raises(LabError, match=expected):
        upload_run(board=d05, release=releases[0], machine=MACHINE, files=files)
    assert CaliperRun.objects.count() == 0


def test_file_names_must_follow_caliper(d05, releases):
    files = caliper_files("d05-01")
    files["post"] = ("results.yaml", files["post"][1])
    with pytest.raises(LabError, match=r"results\.yaml: expected a name like <host>_score_post"):
        upload_run(board=d05, release=releases[0], machine=MACHINE, files=files)


def _form(d05, release, host="d05-01"):
    data = {
        "board": d05.pk,
        "release": release.pk,
        "cpu": MACHINE.cpu,
        "memory": MACHINE.memory,
        "kernel": MACHINE.kernel,
        "distribution": MACHINE.distribution,
        "compiler": MACHINE.compiler,
    }
    for source, (name, content) in caliper_files(host).items():
        upload = io.BytesIO(content)
        upload.name = name
        data[source] = upload
    return data


def test_upload_page_needs_sign_in_then_stores_the_run(client, alice, d05, releases):
    url = reverse("lab:upload")
    assert client.get(url).status_code == 302
    client.force_login(alice)
    assert client.get(url).status_code == 200
    response = client.post(url, _form(d05, releases[1]))
    run = CaliperRun.objects.get()
    assert response.status_code == 302 and response["Location"] == run.get_absolute_url()
    assert run.uploaded_by == alice


def test_upload_page_answers_a_malformed_file_with_its_line(client, alice, d05, releases):
    client.force_login(alice)
    data = _form(d05, releases[1])
    broken = io.BytesIO(
        (DATA / "broken-indent_score.yaml").read_bytes().replace(b"broken-indent", b"d05-01")
    )
    broken.name = "d05-01_score.yaml"
    data["score"] = broken
    response = client.post(reverse("lab:upload"), data)
    assert response.status_code == 400
    assert "d05-01_score.yaml, line 8: expected valid YAML" in response.content.decode()
    assert CaliperRun.objects.count() == 0


def test_run_page_lists_every_case(client, two_runs, django_assert_max_num_queries):
    run = two_runs[0]
    with django_assert_max_num_queries(6):
        response = client.get(run.get_absolute_url())
    body = response.content.decode()
    for case in ("lat_proc_fork", "coremark", "iperf_udp", "whetstone", "lat_mem_rd_l2"):
        assert case in body
    assert client.get(run.get_absolute_url() + "?file=raw").content.decode().count("<tr") == 11
    assert client.get(reverse("lab:run_file", args=[run.pk, "score"])).content.startswith(
        b"name: d05-01"
    )


def test_compare_runs_orders_biggest_changes_first_and_flags_failures(
    client, two_runs, django_assert_max_num_queries
):
    before, after = two_runs
    url = reverse("lab:compare_runs", args=[before.pk, after.pk])
    with django_assert_max_num_queries(6):
        response = client.get(url)
    assert response.status_code == 200
    body = response.content.decode()
    assert "<svg" in body and "<script" not in body.split("<main", 1)[1].split("</main>")[0]
    # whetstone: 8.9 → 0 is a -100 % loss and a failure; fork +10.1 %; coremark -10 %.
    order = [body.index(case) for case in ("whetstone", "lat_proc_fork", "coremark")]
    assert order == sorted(order)
    assert "-100.0%" in body and "+10.1%" in body and "-10.0%" in body
    response = client.get(reverse("lab:compare_runs_csv", args=[before.pk, after.pk]))
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert response["Content-Type"].startswith("text/csv")
    assert [r["case"] for r in rows[:3]] == ["whetstone", "lat_proc_fork", "coremark"]
    by_case = {r["case"]: r for r in rows}
    assert (
        by_case["whetstone"]["failed"] == "yes"
        and by_case["whetstone"]["change_percent"] == "-100.00"
    )
    assert by_case["iperf_udp"]["failed"] == "yes" and by_case["iperf_udp"]["change_percent"] == ""
    assert by_case["dhrystone"]["change_percent"] == "0.00"


def test_compare_pick_redirects_to_the_permalink(client, two_runs, d05):
    before, after = two_runs
    response = client.get(reverse("lab:compare_pick"), {"before": before.pk, "after": after.pk})
    assert (
        response["Location"]
        == reverse("lab:compare_runs", args=[before.pk, after.pk]) + "?file=score"
    )
    response = client.get(
        reverse("lab:compare_pick"), {"board": "d05", "before": "3.0", "after": "3.1"}
    )
    assert (
        response["Location"]
        == reverse("lab:compare_releases", args=["d05", "3.0", "3.1"]) + "?file=score"
    )
    # Choices missing or wrong: back to the results, saying what is needed.
    for query in ({"before": "x", "after": "../"}, {}):
        refused = client.get(reverse("lab:compare_pick"), query, follow=True)
        assert refused.redirect_chain == [(reverse("lab:caliper"), 302)]
        assert "Choose two runs or two releases to compare." in refused.content.decode()


def test_compare_release_medians(client, two_runs, d05, releases):
    new = releases[1]
    # Seen once (and kept rendered) before more runs arrive: the page must not go stale.
    url = reverse("lab:compare_releases", args=["d05", "3.0", "3.1"])
    first = client.get(url).content.decode()
    assert "Medians of 1 runs of 3.0 and 1 runs of 3.1" in first
    assert "1 gains, 2 losses, 2 failed cases." in first
    upload_run(board=d05, release=new, machine=MACHINE, files=caliper_files("d05-01"))
    upload_run(board=d05, release=new, machine=MACHINE, files=caliper_files("d05-01"))
    # 3.1 now has d05-02, d05-01, d05-01: each median is d05-01's value, as in 3.0.
    csv_url = reverse("lab:compare_releases_csv", args=["d05", "3.0", "3.1"])
    rows = {r["case"]: r for r in csv.DictReader(io.StringIO(client.get(csv_url).content.decode()))}
    assert rows["lat_proc_fork"]["after"] == rows["lat_proc_fork"]["before"] == "5.95"
    assert rows["whetstone"]["after"] == "8.9" and rows["whetstone"]["failed"] == ""
    again = client.get(url).content.decode()
    assert "Medians of 1 runs of 3.0 and 3 runs of 3.1" in again
    assert "0 gains, 0 losses, 1 failed cases." in again
    assert (
        client.get(reverse("lab:compare_releases", args=["d05", "3.0", "9.9"])).status_code == 404
    )


def test_runs_per_board_and_release(client, two_runs, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        board_page = client.get(reverse("lab:caliper_board", args=["d05"]))
    assert board_page.content.decode().count("d05-0") >= 2
    release_page = client.get(reverse("lab:caliper_release", args=["3.1"]))
    body = release_page.content.decode()
    assert "d05-02" in body and "d05-01</a>" not in body
    assert client.get(reverse("lab:caliper")).status_code == 200


def test_board_and_release_pages_show_the_lab_panels(client, two_runs):
    board_page = client.get(reverse("downloads:board", args=["d05"])).content.decode()
    assert "Latest Caliper results" in board_page and "d05-02" in board_page
    release_page = client.get(reverse("downloads:release", args=["3.1"])).content.decode()
    assert "Compared with the previous release (3.0)" in release_page
    assert "1 gains, 2 losses, 2 failed cases" in release_page
    assert reverse("lab:compare_releases", args=["d05", "3.0", "3.1"]) in release_page


def test_draft_release_runs_stay_hidden(client, d05, releases):
    from downloads.models import Release

    draft = Release.objects.create(version="3.2-rc1")
    run = upload_run(board=d05, release=draft, machine=MACHINE, files=caliper_files("d05-01"))
    assert client.get(run.get_absolute_url()).status_code == 404
    assert "d05-01" not in client.get(reverse("lab:caliper")).content.decode()


def test_release_panel_queries_do_not_grow_with_boards(rf, two_runs, releases, d05):
    from downloads.models import Artifact, Board
    from lab.panels import release_panel

    old, new = releases
    for slug in ("d03", "hikey"):
        board = Board.objects.create(slug=slug, name=slug.upper(), soc="x", arch="arm64")
        for release in releases:
            Artifact.objects.create(
                release=release, board=board, filename="Image", file="x", size=1, sha256="1" * 64
            )
        upload_run(board=board, release=old, machine=MACHINE, files=caliper_files("d05-01"))
        upload_run(board=board, release=new, machine=MACHINE, files=caliper_files("d05-02"))
    request = rf.get("/")
    from django.contrib.auth.models import AnonymousUser
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    request.user = AnonymousUser()
    with CaptureQueriesContext(connection) as captured:
        context = release_panel(request, "3.1")
    assert len(captured.captured_queries) <= 4
    assert [row["board"].slug for row in context["rows"]] == ["d03", "d05", "hikey"]
    assert all(row["comparison"].losses == 2 for row in context["rows"])


def test_sitemaps_list_public_runs_and_lab_pages_only(client, two_runs, d05, lab_board):
    from downloads.models import Release

    draft = Release.objects.create(version="3.2-rc1")
    hidden = upload_run(board=d05, release=draft, machine=MACHINE, files=caliper_files("d05-01"))
    index = client.get("/sitemap.xml").content.decode()
    assert "sitemap-lab.xml" in index and "sitemap-caliper-runs.xml" in index
    runs = client.get("/sitemap-caliper-runs.xml").content.decode()
    assert two_runs[0].get_absolute_url() in runs and two_runs[1].get_absolute_url() in runs
    assert f"/lab/caliper/runs/{hidden.pk}/" not in runs
    pages = client.get("/sitemap-lab.xml").content.decode()
    assert "/lab/boards/d05-lab-1/" in pages and "/lab/caliper/board/d05/" in pages


def test_upload_page_refuses_a_file_over_its_limit_before_parsing_it(
    client, alice, d05, releases, settings
):
    settings.LAB_CALIPER_FILE_MAX_BYTES = 50_000
    client.force_login(alice)
    data = _form(d05, releases[1])
    padded = io.BytesIO(caliper_files("d05-01")["raw"][1] + b"#" * 60_000 + b"\n")
    padded.name = "d05-01.yaml"
    data["raw"] = padded
    response = client.post(reverse("lab:upload"), data)
    assert response.status_code == 400
    assert "d05-01.yaml is larger than" in response.content.decode()
    assert CaliperRun.objects.count() == 0
    # The run file is served for saving, never shown by the browser on the site's origin.
    client.post(reverse("lab:upload"), _form(d05, releases[1]))
    run = CaliperRun.objects.get()
    served = client.get(reverse("lab:run_file", args=[run.pk, "raw"]))
    assert served["Content-Disposition"] == 'attachment; filename="d05-01.yaml"'
    assert served["X-Content-Type-Options"] == "nosniff"


def test_signed_in_members_share_a_comparison_and_drafts_stay_hidden(
    two_runs, d05, alice, bruno, django_assert_num_queries
):
    from django.contrib.auth.models import Group
    from django.test import Client

    from downloads.models import Release
    from downloads.querysets import RELEASE_MANAGERS
    from tests.lab.conftest import make_user

    before, after = two_runs
    manager = make_user("mira")
    manager.groups.add(Group.objects.get_or_create(name=RELEASE_MANAGERS)[0])
    draft = Release.objects.create(version="3.2-rc1")
    draft_run = upload_run(board=d05, release=draft, machine=MACHINE, files=caliper_files("d05-01"))
    clients = {}
    for user in (alice, bruno, manager):
        clients[user.username] = Client()
        clients[user.username].force_login(user)
    url = reverse("lab:compare_runs", args=[before.pk, after.pk])
    assert not clients["alice"].get(url).has_header("Age")  # rendered once, kept for members
    clients["bruno"].get(url)
    with django_assert_num_queries(0):
        shared = clients["bruno"].get(url)
    assert shared.has_header("Age") and ">bruno<" in shared.content.decode()
    assert "whetstone" in shared.content.decode()
    # A release manager's comparison of a draft's run is kept for their kind only.
    draft_url = reverse("lab:compare_runs", args=[before.pk, draft_run.pk])
    assert clients["mira"].get(draft_url).status_code == 200
    assert clients["mira"].get(draft_url).has_header("Age")
    assert clients["alice"].get(draft_url).status_code == 404
