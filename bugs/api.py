"""The tracker's JSON API (a django-ninja Router mounted at /api/v1/bugs/ by portal/urls.py).

Reads take the list's own filters and see what the caller may see (anonymous without a token).
Writes need a personal token and act with its owner's rights, no more: a test lab's robot
account files bugs when a nightly build breaks.

    curl -H "Authorization: Bearer est_..." -H "Content-Type: application/json" \\
      -d '{"product": "kernel", "component": "drivers", "summary": "...", "description": "..."}' \\
      https://estuary.example.org/api/v1/bugs/
"""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest
from ninja import Router, Schema, Status
from ninja.errors import HttpError

from bugs import querysets as q
from bugs.filters import filtered
from bugs.models import Bug, Component, Priority, Severity
from bugs.services import filing, triage
from downloads.models import Board, Release
from portal.api import ApiTokenAuth, api_user

router = Router(tags=["bugs"])
PAGE_SIZE = 50
REFUSALS = {"workflow", "rights"}


class ErrorOut(Schema):
    detail: str


class BugOut(Schema):
    id: int
    summary: str
    product: str
    component: str
    board: str | None
    release: str | None
    fixed_in: str | None = None
    status: str
    resolution: str
    severity: str
    priority: str
    assignee: str | None
    is_security: bool
    created_at: datetime
    updated_at: datetime
    url: str


class BugListOut(Schema):
    count: int
    page: int
    pages: int
    bugs: list[BugOut]


class CommentOut(Schema):
    id: int
    author: str
    created_at: datetime
    body: str
    body_html: str


class ChangeOut(Schema):
    actor: str | None
    created_at: datetime
    field: str
    old_value: str
    new_value: str


class BugDetailOut(BugOut):
    description: str
    description_html: str
    reporter: str
    cc: list[str]
    keywords: list[str]
    depends_on: list[int]
    blocks: list[int]
    duplicate_of: int | None
    comments: list[CommentOut]
    history: list[ChangeOut]


class FileBugIn(Schema):
    product: str
    component: str
    summary: str
    description: str
    board: str | None = None
    release: str | None = None
    severity: str = Severity.NORMAL
    priority: str = Priority.P3
    is_security: bool = False


class CommentIn(Schema):
    body: str


class StatusIn(Schema):
    status: str
    resolution: str = ""
    duplicate_of: int | None = None
    fixed_in: str | None = None
    comment: str = ""


def _bug(bug: Bug, request: HttpRequest) -> dict:
    return {
        "id": bug.pk,
        "summary": bug.summary,
        "product": bug.product.slug,
        "component": bug.component.slug,
        "board": bug.board.slug if bug.board_id else None,
        "release": bug.release.version if bug.release_id else None,
        "status": bug.status,
        "resolution": bug.resolution,
        "severity": bug.severity,
        "priority": bug.priority,
        "assignee": bug.assignee.get_username() if bug.assignee_id else None,
        "is_security": bug.is_security,
        "created_at": bug.created_at,
        "updated_at": bug.updated_at,
        "url": request.build_absolute_uri(bug.get_absolute_url()),
    }


def _refused(exc: ValidationError) -> HttpError:
    code = getattr(exc, "code", None)
    return HttpError(403 if code in REFUSALS else 400, " ".join(exc.messages))


def _visible(user, pk: int) -> Bug:
    bug = (
        q.visible_to(user)
        .select_related("product", "component", "board", "release", "fixed_in", "assignee")
        .select_related("reporter")
        .filter(pk=pk)
        .first()
    )
    if bug is None:
        raise HttpError(404, f"no bug {pk}")
    return bug


@router.get("", response={200: BugListOut}, url_name="bug_list")
def list_bugs(request: HttpRequest, page: int = 1):
    """Bugs matching the list's filters: q, product, component, board, release, status
    (several, or "open"/"closed"), resolution, severity, priority, assignee, reporter, keyword,
    sort."""
    user = api_user(request)
    bug_filter, bugs = filtered(request.GET or None, user)
    if request.GET and not bug_filter.is_valid():
        raise HttpError(400, bug_filter.form.errors.as_text())
    paginator = Paginator(
        bugs.select_related("product", "component", "board", "release", "assignee").only(
            *BUG_FIELDS
        ),
        PAGE_SIZE,
    )
    current = paginator.get_page(page)
    return {
        "count": paginator.count,
        "page": current.number,
        "pages": paginator.num_pages,
        "bugs": [_bug(b, request) for b in current.object_list],
    }


BUG_FIELDS = (
    "id", "summary", "status", "resolution", "severity", "priority", "is_security",
    "created_at", "updated_at", "product__slug", "component__slug", "board__slug",
    "release__version", "assignee__username",
)  # fmt: skip


@router.get("{int:pk}/", response={200: BugDetailOut, 404: ErrorOut}, url_name="bug_detail")
def bug_detail(request: HttpRequest, pk: int):
    """One bug with its comments and its history of changes."""
    user = api_user(request)
    bug = _visible(user, pk)
    visible = q.visible_to(user)
    comments, history = [], []
    for entry in q.timeline(bug, user):
        if entry["kind"] == "comment":
            c = entry["comment"]
            comments.append(
                {
                    "id": c.pk,
                    "author": c.author.get_username(),
                    "created_at": c.created_at,
                    "body": c.body,
                    "body_html": c.body_html,
                }
            )
        else:
            history += [
                {
                    "actor": ch.actor.get_username() if ch.actor_id else None,
                    "created_at": ch.created_at,
                    "field": ch.field,
                    "old_value": ch.old_value,
                    "new_value": ch.new_value,
                }
                for ch in entry["changes"]
            ]
    original = visible.filter(pk=bug.duplicate_of_id).first() if bug.duplicate_of_id else None
    return {
        **_bug(bug, request),
        "fixed_in": bug.fixed_in.version if bug.fixed_in_id else None,
        "description": bug.description,
        "description_html": bug.description_html,
        "reporter": bug.reporter.get_username(),
        "cc": sorted(bug.cc.values_list("username", flat=True)),
        "keywords": sorted(bug.keywords.values_list("name", flat=True)),
        "depends_on": sorted(visible.filter(blocks=bug).values_list("pk", flat=True)),
        "blocks": sorted(visible.filter(depends_on=bug).values_list("pk", flat=True)),
        "duplicate_of": original.pk if original else None,
        "comments": comments,
        "history": history,
    }


@router.post(
    "",
    auth=ApiTokenAuth(),
    response={201: BugOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut},
    url_name="bug_file",
)
def file_bug(request: HttpRequest, data: FileBugIn):
    """File a bug (token required)."""
    component = (
        Component.objects.select_related("product")
        .filter(product__slug=data.product, slug=data.component)
        .first()
    )
    if component is None:
        raise HttpError(400, f"no component {data.product}/{data.component}")
    board = None
    if data.board:
        board = Board.objects.filter(slug=data.board).first()
        if board is None:
            raise HttpError(400, f"no board {data.board}")
    release = None
    if data.release:
        release = Release.objects.filter(version=data.release).first()
        if release is None:
            raise HttpError(400, f"no release {data.release}")
    try:
        bug = filing.file_bug(
            reporter=request.auth,
            component=component,
            summary=data.summary,
            description=data.description,
            board=board,
            release=release,
            severity=data.severity,
            priority=data.priority,
            is_security=data.is_security,
        )
    except ValidationError as exc:
        raise _refused(exc) from exc
    return Status(201, _bug(_visible(request.auth, bug.pk), request))


@router.post(
    "{int:pk}/comments/",
    auth=ApiTokenAuth(),
    response={201: CommentOut, 400: ErrorOut, 401: ErrorOut, 404: ErrorOut},
    url_name="bug_comment",
)
def comment(request: HttpRequest, pk: int, data: CommentIn):
    """Comment on a bug (token required)."""
    bug = _visible(request.auth, pk)
    try:
        new = filing.add_comment(bug=bug, author=request.auth, body=data.body)
    except ValidationError as exc:
        raise _refused(exc) from exc
    return Status(
        201,
        {
            "id": new.pk,
            "author": request.auth.get_username(),
            "created_at": new.created_at,
            "body": new.body,
            "body_html": new.body_html,
        },
    )


@router.post(
    "{int:pk}/status/",
    auth=ApiTokenAuth(),
    response={200: BugOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    url_name="bug_status",
)
def change_status(request: HttpRequest, pk: int, data: StatusIn):
    """Move a bug through the workflow (token required; the owner's rights apply)."""
    user = request.auth
    bug = _visible(user, pk)
    original = _visible(user, data.duplicate_of) if data.duplicate_of else None
    fixed_in = None
    if data.fixed_in:
        fixed_in = Release.objects.filter(version=data.fixed_in).first()
        if fixed_in is None:
            raise HttpError(400, f"no release {data.fixed_in}")
    try:
        triage.change_status(
            actor=user,
            bug=bug,
            status=data.status,
            resolution=data.resolution,
            duplicate_of=original,
            fixed_in=fixed_in,
            comment=data.comment,
        )
    except ValidationError as exc:
        raise _refused(exc) from exc
    return Status(200, _bug(_visible(user, pk), request))
