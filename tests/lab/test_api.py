"""The lab's API: a lab machine posts a Caliper run with a personal token; reads show no notes."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from lab.models import CaliperRun, CaliperScore
from portal.services import create_api_token, revoke_api_token
from tests.lab.conftest import DATA, MACHINE, NOTES, caliper_files

pytestmark = pytest.mark.django_db
URL = "/api/v1/lab/caliper/runs"


def _form(board: str, release: str, files: dict[str, tuple[str, bytes]]) -> dict:
    fields = {
        "board": board,
        "release": release,
        "cpu": MACHINE.cpu,
        "memory": MACHINE.memory,
        "kernel": MACHINE.kernel,
        "distribution": MACHINE.distribution,
        "compiler": MACHINE.compiler,
    }
    for source, (name, data) in files.items():
        fields[source] = SimpleUploadedFile(name, data, content_type="application/x-yaml")
    return fields


@pytest.fixture
def token(alice) -> str:
    return create_api_token(user=alice, name="lab robot")[1]


def test_a_lab_machine_posts_a_run_with_its_token(client, d05, releases, token, alice):
    answer = client.post(
        URL,
        _form("d05", releases[0].version, caliper_files("d05-01")),
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert answer.status_code == 201, answer.content
    body = answer.json()
    run = CaliperRun.objects.get()
    assert body["id"] == run.pk and body["url"].endswith(run.get_absolute_url())
    assert (body["case_count"], body["failed_count"]) == (10, 1)
    assert run.uploaded_by == alice and run.scores.count() == 30
    # Anyone reads it back, with the score file's cases.
    detail = client.get(f"{URL}/{run.pk}").json()
    cases = {score["case"]: score["value"] for score in detail["scores"]}
    assert cases["lat_proc_fork"] == 5.95 and len(cases) == 10


def test_no_token_or_a_revoked_one_stores_nothing(client, d05, releases, alice):
    form = _form("d05", releases[0].version, caliper_files("d05-01"))
    assert client.post(URL, form).status_code == 401
    token_row, secret = create_api_token(user=alice, name="old robot")
    revoke_api_token(user=alice, token=token_row)
    form = _form("d05", releases[0].version, caliper_files("d05-01"))
    assert client.post(URL, form, HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 401
    assert CaliperRun.objects.count() == 0


def test_a_malformed_file_is_named_with_its_line_and_nothing_is_stored(
    client, d05, releases, token
):
    files = caliper_files("d05-01")
    broken = (DATA / "not-a-number_score.yaml").read_bytes().replace(b"not-a-number", b"d05-01")
    files["score"] = ("d05-01_score.yaml", broken)
    answer = client.post(
        URL, _form("d05", releases[0].version, files), HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert answer.status_code == 400
    assert answer.json()["detail"].startswith("d05-01_score.yaml, line 8: ")
    unknown = client.post(
        URL, _form("d99", "0.0", caliper_files("d05-01")), HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert unknown.status_code == 400 and set(unknown.json()["errors"]) == {"board", "release"}
    assert CaliperRun.objects.count() == 0 and CaliperScore.objects.count() == 0


def test_the_boards_answer_never_carries_access_notes(client, lab_board, token):
    boards = client.get("/api/v1/lab/boards").json()
    assert [b["slug"] for b in boards] == [lab_board.slug]
    signed = client.get("/api/v1/lab/boards", HTTP_AUTHORIZATION=f"Bearer {token}")
    for answer in (str(boards), signed.content.decode()):
        assert NOTES.split("\n")[0] not in answer and "console-7" not in answer
