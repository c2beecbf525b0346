"""The lab's JSON API (a django-ninja Router mounted at /api/v1/lab/ by portal/urls.py).

A lab machine posts its Caliper run with a personal token, as the page upload does for people:

    curl -H "Authorization: Bearer est_..." \\
      -F board=d05 -F release=18.06 -F cpu="Hi1616, 64 cores" -F memory="128 GiB" \\
      -F kernel=4.16.0 -F distribution="Ubuntu 18.04" -F compiler="gcc 7.3" \\
      -F raw=@d05-01.yaml -F score=@d05-01_score.yaml -F post=@d05-01_score_post.yaml \\
      https://estuary.example.org/api/v1/lab/caliper/runs

Reads are open; the boards' access notes never appear here (they are the holder's, on the page).
"""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status

from lab import querysets as q
from lab.errors import LabError
from lab.forms import UploadRunForm
from lab.models import CaliperRun, CaliperScore
from lab.services import caliper as caliper_services
from portal.api import ApiTokenAuth, api_user

router = Router(tags=["lab"])


class ErrorOut(Schema):
    detail: str
    errors: dict[str, list[str]] = {}


class ScoreOut(Schema):
    item: str
    sub_item: str
    point: str
    case: str
    value: float


class RunOut(Schema):
    id: int
    url: str
    board: str
    release: str
    host: str
    cpu: str
    memory: str
    kernel: str
    distribution: str
    compiler: str
    case_count: int
    failed_count: int
    uploaded_at: datetime


class RunDetailOut(RunOut):
    scores: list[ScoreOut]


class LabBoardOut(Schema):
    slug: str
    name: str
    board: str
    health: str
    url: str


class ApiUploadRunForm(UploadRunForm):
    """The page's form, with the board and the release named as scripts know them."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["board"].to_field_name = "slug"
        self.fields["release"].to_field_name = "version"


def _run_out(request: HttpRequest, run: CaliperRun) -> dict:
    return {
        "id": run.pk,
        "url": request.build_absolute_uri(run.get_absolute_url()),
        "board": run.board.slug,
        "release": run.release.version,
        "host": run.host,
        "cpu": run.cpu,
        "memory": run.memory,
        "kernel": run.kernel,
        "distribution": run.distribution,
        "compiler": run.compiler,
        "case_count": run.case_count,
        "failed_count": run.failed_count,
        "uploaded_at": run.created_at,
    }


@router.post(
    "/caliper/runs",
    auth=ApiTokenAuth(),
    response={201: RunOut, 400: ErrorOut},
    url_name="lab_upload_run",
)
def upload_run(request: HttpRequest):
    form = ApiUploadRunForm(request.POST, request.FILES, user=request.auth)
    if not form.is_valid():
        errors = {field: [str(e) for e in found] for field, found in form.errors.items()}
        return Status(400, {"detail": "the run was not stored: see errors", "errors": errors})
    data = form.cleaned_data
    try:
        run = caliper_services.upload_run(
            board=data["board"],
            release=data["release"],
            machine=caliper_services.Machine(
                cpu=data["cpu"],
                memory=data["memory"],
                kernel=data["kernel"],
                distribution=data["distribution"],
                compiler=data["compiler"],
            ),
            files=form.files_by_source(),
            user=request.auth,
        )
    except LabError as exc:  # names the file, the line and what was expected
        return Status(400, {"detail": str(exc)})
    return Status(201, _run_out(request, run))


@router.get("/caliper/runs/{run_id}", response=RunDetailOut, url_name="lab_run")
def run_detail(request: HttpRequest, run_id: int):
    run = get_object_or_404(
        q.visible_runs(api_user(request)).select_related("board", "release"), pk=run_id
    )
    scores = q.scores(run, CaliperScore.Source.SCORE).values(
        "item", "sub_item", "point", "case", "value"
    )
    return {**_run_out(request, run), "scores": list(scores)}


@router.get("/boards", response=list[LabBoardOut], url_name="lab_boards")
def boards(request: HttpRequest):
    return [
        {
            "slug": lab_board.slug,
            "name": lab_board.name,
            "board": lab_board.board.slug,
            "health": lab_board.health,
            "url": request.build_absolute_uri(lab_board.get_absolute_url()),
        }
        for lab_board in q.listed_lab_boards()
    ]
