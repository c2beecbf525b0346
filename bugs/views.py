"""The tracker's pages. Reads go through bugs.querysets (visibility), writes through
bugs.services (history, workflow, notifications)."""

from __future__ import annotations

import csv
import hashlib
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import DiffLexer

from bugs import querysets as q
from bugs import reports
from bugs.filters import filtered
from bugs.forms import (
    BulkEditForm,
    CommentForm,
    DependencyForm,
    EditForm,
    FileBugForm,
    SaveSearchForm,
    StatusForm,
)
from bugs.models import Attachment, Bug, Component, SavedSearch
from bugs.services import filing, searches, triage
from bugs.services.common import BUGS
from bugs.workflow import allowed_moves, editable_fields, is_triager
from downloads.models import Board
from downloads.querysets import latest_release_for_board
from portal.caching import Fragment, kept_key, render_fragments
from portal.page_cache import csrf_mark, reader_form, shared_with_readers
from portal.ratelimits import rate_limited

PAGE_SIZE = 50
# The component of the portal product that bugs in the docs go to (bugs/seeds.py makes it).
DOCS_COMPONENT = "docs"
COLUMNS = [
    ("id", gettext_lazy("Number")),
    ("summary", gettext_lazy("Summary")),
    ("status", gettext_lazy("Status")),
    ("severity", gettext_lazy("Severity")),
    ("priority", gettext_lazy("Priority")),
    ("component", gettext_lazy("Component")),
    ("board", gettext_lazy("Board")),
    ("assignee", gettext_lazy("Assignee")),
    ("changed", gettext_lazy("Changed")),
]
CSV_LIMIT = 50_000
INLINE_TEXT_LIMIT = 1024 * 1024


def _page_number(request: HttpRequest) -> int:
    try:
        return max(1, int(request.GET.get("page", "1")))
    except ValueError:
        return 1


def _visible_bug(request: HttpRequest, pk: int, *, related=()) -> Bug:
    """The bug if this person may see it; anyone else gets the same 404 as for no bug."""
    bugs = q.visible_to(request.user)
    if related:
        bugs = bugs.select_related(*related)
    bug = bugs.filter(pk=pk).first()
    if bug is None:
        raise Http404(_("No such bug."))
    return bug


def _query_without(request: HttpRequest, *names: str) -> str:
    pairs = [(k, v) for k, values in request.GET.lists() for v in values if k not in names and v]
    return urlencode(pairs)


def _messages_of(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def _list_body_key(query: str, *, public: bool, triager: bool) -> str | None:
    """Readers who see what anonymous ones see share the rendered list of a query until a bug
    changes (triagers theirs: its rows carry bulk-edit boxes); those who may see security bugs
    get theirs made fresh."""
    if not public:
        return None
    digest = hashlib.sha256(query.encode()).hexdigest()[:32]
    return kept_key(f"bugs:list:{digest}:{int(triager)}", BUGS.current())


@require_safe
def index(request: HttpRequest) -> HttpResponse:
    query = _query_without(request, "page")
    page_number = _page_number(request)
    user = request.user
    # Triagers are staff or a group: the same for every reader of a kind (page_cache.reader_kind).
    triager = is_triager(user)
    public = q.sees_only_public(user)

    def body_context() -> dict:
        bug_filter, bugs = filtered(request.GET or None, request.user)
        paginator = Paginator(bugs, PAGE_SIZE)
        return {
            "filter": bug_filter,
            "columns": COLUMNS,
            "page": paginator.get_page(page_number),
            "query": query,
            "sort_query": _query_without(request, "page", "sort"),
            "current_sort": request.GET.get("sort", ""),
            "bulk_form": triager,
        }

    key = _list_body_key(f"{query}&page={page_number}", public=public, triager=triager)
    (body,) = render_fragments(
        request, [Fragment(key=key, template="bugs/_list_body.html", get_context=body_context)]
    )
    context = {
        "body": body,
        "query": query,
        "bulk_form": BulkEditForm() if triager else None,
        "save_form": SaveSearchForm(initial={"query": query}) if user.is_authenticated else None,
    }
    # Kept for every reader of this kind who sees only public bugs (those who see a security
    # bug of theirs get their own list); each one's saved searches filled in.
    if public and getattr(request, "shared_page", False):
        context.update(shared=True, csrf_token=csrf_mark())
        response = render(request, "bugs/list.html", context)
        return shared_with_readers(response, "bugs.views.index_reader_parts")
    context["saved"] = list(q.saved_searches(user))
    return render(request, "bugs/list.html", context)


def index_reader_parts(request: HttpRequest) -> dict[str, str] | None:
    """A reader's own part of a shared bug list, their saved searches; None for a reader who
    sees a security bug (the page kept for their kind is answered without the view)."""
    user = request.user
    if not q.sees_only_public(user):
        return None
    saved = list(q.saved_searches(user))
    return {"saved": render_to_string("bugs/_saved_searches.html", {"saved": saved})}


@require_safe
def export_csv(request: HttpRequest) -> StreamingHttpResponse:
    _filter, bugs = filtered(request.GET or None, request.user)
    bugs = q.for_list(bugs, release=True)

    class Echo:
        def write(self, value: str) -> str:
            return value

    writer = csv.writer(Echo())
    columns = ["id", "summary", "product", "component", "board", "release", "status",
               "resolution", "severity", "priority", "assignee", "changed"]  # fmt: skip

    def rows():
        yield writer.writerow(columns)
        for bug in bugs[:CSV_LIMIT].iterator(chunk_size=2000):
            yield writer.writerow(
                [
                    bug.pk,
                    bug.summary,
                    bug.product.name,
                    bug.component.name,
                    bug.board.slug if bug.board_id else "",
                    bug.release.version if bug.release_id else "",
                    bug.status,
                    bug.resolution,
                    bug.severity,
                    bug.priority,
                    bug.assignee.get_username() if bug.assignee_id else "",
                    bug.updated_at.isoformat(),
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="bugs.csv"'
    return response


@login_required
@require_safe
def mine(request: HttpRequest) -> HttpResponse:
    visible = q.visible_to(request.user)
    user = request.user
    lists = [
        (
            _("Assigned to me"),
            q.for_list(visible.filter(assignee=user, status__in=q.OPEN_STATUSES)),
        ),
        (_("Reported by me"), q.for_list(visible.filter(reporter=user))),
        (_("I am on CC"), q.for_list(visible.filter(cc=user))),
    ]
    return render(
        request,
        "bugs/mine.html",
        {
            "lists": [(title, list(bugs.order_by("-id")[:PAGE_SIZE])) for title, bugs in lists],
            "saved": list(q.saved_searches(user)),
            "columns": COLUMNS,
        },
    )


def _initial_for_new(request: HttpRequest) -> dict:
    """A board page's "Report a bug" names the board: its latest release comes with it."""
    initial = {}
    board = Board.objects.filter(slug=request.GET.get("board", "")).first()
    if board is not None:
        initial["board"] = board.slug
        latest = latest_release_for_board(board)
        if latest is not None:
            initial["release"] = latest.version
    if request.GET.get("release"):
        initial["release"] = request.GET["release"]
    component = request.GET.get("component", "")
    if component.isdigit() and Component.objects.filter(pk=int(component)).exists():
        initial["component"] = int(component)
    initial.update(_initial_for_guide(request, has_component="component" in initial))
    return initial


def _initial_for_guide(request: HttpRequest, *, has_component: bool) -> dict:
    """A guide's "Report a problem with this guide" names the page (a path on this site only)
    and its title; the bug goes to the site's docs component when there is one."""
    path = request.GET.get("doc", "")[:300]
    if not path.startswith("/") or path.startswith("//") or "\\" in path:
        return {}
    title = " ".join(request.GET.get("title", "").split())[:120]
    url = settings.SITE_URL.rstrip("/") + path
    initial = {
        "summary": (_("Guide “%(title)s”: ") % {"title": title}) if title else "",
        "steps": _("While reading the guide %(url)s") % {"url": url},
    }
    if not has_component:
        docs = Component.objects.filter(product__slug="portal", slug=DOCS_COMPONENT).first()
        if docs is not None:
            initial["component"] = docs.pk
    return initial


@login_required
@rate_limited("file", methods=("POST",))
def new(request: HttpRequest) -> HttpResponse:
    form = FileBugForm(
        request.POST or None, request.FILES or None, initial=_initial_for_new(request)
    )
    duplicates = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if not data["confirmed"]:
            text = f"{data['summary']} {data['actual']}"
            duplicates = q.likely_duplicates(request.user, text)
        if not duplicates:
            try:
                bug = filing.file_bug(
                    reporter=request.user,
                    component=data["component"],
                    summary=data["summary"],
                    description=form.description(),
                    board=data["board"],
                    release=data["release"],
                    severity=data["severity"],
                    is_security=data["is_security"],
                    attachments=[data["attachment"]] if data["attachment"] else [],
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Bug #%(id)d was filed.") % {"id": bug.pk})
                return redirect(bug)
        else:
            # Shown once: submitting again files the bug (the file must be chosen again).
            form.data = form.data.copy()
            form.data["confirmed"] = "True"
    return render(request, "bugs/new.html", {"form": form, "duplicates": duplicates})


def _timeline(request: HttpRequest, bug: Bug, *, public: bool | None = None) -> str:
    """The bug's history, rendered. Every change to it (a comment, a recorded field change)
    moves the bug's updated_at in the same transaction, so that is its version; readers who
    see only public bugs share it (others may see links to security bugs in it)."""
    if public is None:
        public = q.sees_only_public(request.user)
    key = kept_key(f"bugs:timeline:{bug.pk}", bug.updated_at.timestamp()) if public else None
    (html,) = render_fragments(
        request,
        [
            Fragment(
                key=key,
                template="bugs/_timeline.html",
                get_context=lambda: {"timeline": q.timeline(bug, request.user)},
            )
        ],
    )
    return html


def _detail_context(request: HttpRequest, bug: Bug, *, public: bool | None = None, **forms) -> dict:
    user = request.user
    attachments = list(Attachment.objects.filter(bug=bug).select_related("uploader"))
    visible = q.visible_to(user)
    depends_on = list(visible.filter(blocks=bug).only("id", "summary", "status"))
    blocks = list(visible.filter(depends_on=bug).only("id", "summary", "status"))
    duplicates = list(visible.filter(duplicate_of=bug).only("id", "summary", "status"))
    original = visible.filter(pk=bug.duplicate_of_id).first() if bug.duplicate_of_id else None
    cc = list(bug.cc.all().only("id", "username"))
    moves = allowed_moves(user, bug)
    context = {
        "bug": bug,
        "timeline_html": _timeline(request, bug, public=public),
        "attachments": attachments,
        "depends_on": depends_on,
        "blocks": blocks,
        "duplicates": duplicates,
        "original": original,
        "cc": cc,
        "on_cc": user.is_authenticated and any(p.pk == user.pk for p in cc),
        "keywords": list(bug.keywords.all()),
        "comment_form": forms.get("comment_form") or CommentForm(),
        "status_form": forms.get("status_form")
        or (StatusForm(user=user, bug=bug) if moves else None),
        "edit_form": forms.get("edit_form")
        or (EditForm(user=user, bug=bug) if editable_fields(user, bug) else None),
        "dependency_form": DependencyForm(initial={"action": "add"}),
        "may_change_dependencies": "depends_on" in editable_fields(user, bug),
    }
    return context


_DETAIL_RELATED = ("product", "component", "board", "release", "fixed_in", "reporter", "assignee")


@require_safe
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    bug = _visible_bug(request, pk, related=_DETAIL_RELATED)
    user = request.user
    if user.is_authenticated:
        if getattr(request, "shared_page", False) and _shares_bug_page(user, bug):
            return _shared_detail(request, bug)
        return render(request, "bugs/detail.html", _detail_context(request, bug))
    # Anonymous readers share the whole content (it has no form for them): every change to
    # the bug moves its updated_at, one to a linked bug the tracker's generation.
    path = hashlib.sha256(request.get_full_path().encode()).hexdigest()[:16]
    key = kept_key(f"bugs:page:{bug.pk}:{path}", f"{bug.updated_at.timestamp()}:{BUGS.current()}")
    (main,) = render_fragments(
        request,
        [
            Fragment(
                key=key,
                template="bugs/_detail_main.html",
                get_context=lambda: _detail_context(request, bug),
            )
        ],
    )
    return render(request, "bugs/detail.html", {"bug": bug, "main_html": main})


def _shares_bug_page(user, bug: Bug) -> bool:
    """Whether this reader's bug page is the one of every reader of their kind: not a security
    bug, not its reporter's or assignee's (their roles give them forms of their own), and a
    reader who sees no security bug (links to one would show on theirs)."""
    if bug.is_security or user.pk in (bug.reporter_id, bug.assignee_id):
        return False
    return q.sees_only_public(user)


def _shared_detail(request: HttpRequest, bug: Bug) -> HttpResponse:
    """The bug page kept for every reader of this kind, their CC button and tokens marks."""
    context = _detail_context(request, bug, public=True)  # _shares_bug_page asked
    context.update(shared=True, csrf_token=csrf_mark())
    response = render(request, "bugs/detail.html", context)
    # The forms the page offers follow from the kind's roles; a reader whose differ is not
    # given it (detail_reader_parts).
    moves = tuple(allowed_moves(request.user, bug))
    fields = frozenset(editable_fields(request.user, bug))
    return shared_with_readers(response, "bugs.views.detail_reader_parts", bug.pk, moves, fields)


def detail_reader_parts(
    request: HttpRequest, pk: int, moves: tuple[str, ...], fields: frozenset[str]
) -> dict[str, str] | None:
    """A reader's own part of a shared bug page, their CC button; None (their own render, or
    their 404) for anyone the view would not have shared it with: a security bug (asked of the
    database: a kept page never answers who may not see it), its reporter or assignee, a reader
    who sees a security bug or whose moves and fields differ from those of the page."""
    user = request.user
    if q.sees_all_security_bugs(user):
        return None
    bug = q.reader_bug(user, pk)
    if bug is None or bug.is_security or bug.sees_private:
        return None
    if user.pk in (bug.reporter_id, bug.assignee_id):
        return None
    if tuple(allowed_moves(user, bug)) != moves or frozenset(editable_fields(user, bug)) != fields:
        return None
    return {"cc": reader_form("bugs/_cc_form.html", bug_pk=pk, on_cc=bug.on_cc)}


def _back(bug: Bug, anchor: str = "") -> HttpResponse:
    return redirect(bug.get_absolute_url() + anchor)


@login_required
@require_POST
@rate_limited("post", methods=("POST",))
def comment(request: HttpRequest, pk: int) -> HttpResponse:
    bug = _visible_bug(request, pk, related=_DETAIL_RELATED)
    form = CommentForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            new_comment = filing.add_comment(
                bug=bug,
                author=request.user,
                body=data["body"],
                attachments=[data["attachment"]] if data["attachment"] else [],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return _back(bug, f"#c{new_comment.pk}")
    context = _detail_context(request, bug, comment_form=form)
    return render(request, "bugs/detail.html", context, status=400)


@login_required
@require_POST
def change_status(request: HttpRequest, pk: int) -> HttpResponse:
    bug = _visible_bug(request, pk, related=_DETAIL_RELATED)
    form = StatusForm(request.POST, user=request.user, bug=bug)
    if not allowed_moves(request.user, bug):
        messages.error(request, _("You may not change the status of this bug."))
        return _back(bug)
    if form.is_valid():
        data = form.cleaned_data
        original = None
        if data["duplicate_of"]:
            original = q.visible_to(request.user).filter(pk=data["duplicate_of"]).first()
            if original is None:
                form.add_error("duplicate_of", _("No such bug."))
        if not form.errors:
            try:
                triage.change_status(
                    actor=request.user,
                    bug=bug,
                    status=data["status"],
                    resolution=data["resolution"],
                    duplicate_of=original,
                    fixed_in=data["fixed_in"],
                    comment=data["comment"],
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Bug #%(id)d was updated.") % {"id": bug.pk})
                return _back(bug)
    bug.refresh_from_db()
    context = _detail_context(request, bug, status_form=form)
    return render(request, "bugs/detail.html", context, status=400)


@login_required
@require_POST
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    bug = _visible_bug(request, pk, related=_DETAIL_RELATED)
    form = EditForm(request.POST, user=request.user, bug=bug)
    if not form.fields:
        messages.error(request, _("You may not change this bug."))
        return _back(bug)
    if form.is_valid():
        try:
            triage.update_bug(actor=request.user, bug=bug, values=form.changed_values())
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Bug #%(id)d was updated.") % {"id": bug.pk})
            return _back(bug)
    bug.refresh_from_db()
    context = _detail_context(request, bug, edit_form=form)
    return render(request, "bugs/detail.html", context, status=400)


@login_required
@require_POST
def cc(request: HttpRequest, pk: int) -> HttpResponse:
    bug = _visible_bug(request, pk)
    triage.set_cc(
        actor=request.user, bug=bug, person=request.user, on=request.POST.get("on") == "1"
    )
    return _back(bug)


@login_required
@require_POST
def dependency(request: HttpRequest, pk: int) -> HttpResponse:
    bug = _visible_bug(request, pk)
    form = DependencyForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the number of a bug."))
        return _back(bug)
    other = q.visible_to(request.user).filter(pk=form.cleaned_data["other"]).first()
    if other is None:
        messages.error(request, _("No such bug."))
        return _back(bug)
    try:
        if form.cleaned_data["action"] == "remove":
            triage.remove_dependency(actor=request.user, bug=bug, depends_on=other)
        else:
            triage.add_dependency(actor=request.user, bug=bug, depends_on=other)
    except ValidationError as exc:
        messages.error(request, _messages_of(exc))
    return _back(bug)


@require_safe
def tree(request: HttpRequest, pk: int) -> HttpResponse:
    bug = _visible_bug(request, pk)
    return render(
        request, "bugs/tree.html", {"bug": bug, "tree": q.dependency_tree(request.user, bug)}
    )


def _visible_attachment(request: HttpRequest, pk: int, attachment_id: int) -> Attachment:
    bug = _visible_bug(request, pk)
    attachment = get_object_or_404(
        Attachment.objects.select_related("uploader"), pk=attachment_id, bug=bug
    )
    attachment.bug = bug
    return attachment


@require_safe
def attachment(request: HttpRequest, pk: int, attachment_id: int) -> HttpResponse:
    """Patches as highlighted diffs, logs inline, images as images; anything else downloads."""
    item = _visible_attachment(request, pk, attachment_id)
    if item.kind == Attachment.Kind.IMAGE:
        return FileResponse(item.file.open("rb"), content_type=_image_type(item))
    if item.kind in {Attachment.Kind.PATCH, Attachment.Kind.LOG}:
        with item.file.open("rb") as handle:
            raw = handle.read(INLINE_TEXT_LIMIT)
        text = raw.decode("utf-8", errors="replace")
        body = (
            highlight(text, DiffLexer(), HtmlFormatter(cssclass="highlight"))
            if item.kind == Attachment.Kind.PATCH
            else ""
        )
        return render(
            request,
            "bugs/attachment.html",
            {
                "attachment": item,
                "bug": item.bug,
                "text": text,
                "highlighted": body,
                "truncated": item.size > INLINE_TEXT_LIMIT,
            },
        )
    return raw_attachment(request, pk, attachment_id)


def _image_type(item: Attachment) -> str:
    return "image/png" if item.file.name.endswith(".png") else "image/jpeg"


@require_safe
def raw_attachment(request: HttpRequest, pk: int, attachment_id: int) -> FileResponse:
    item = _visible_attachment(request, pk, attachment_id)
    return FileResponse(
        item.file.open("rb"),
        as_attachment=True,
        filename=item.original_name,
        content_type="application/octet-stream",
    )


@login_required
@require_POST
def attachment_obsolete(request: HttpRequest, pk: int, attachment_id: int) -> HttpResponse:
    item = _visible_attachment(request, pk, attachment_id)
    try:
        filing.set_attachment_obsolete(
            actor=request.user, attachment=item, obsolete=request.POST.get("obsolete") == "1"
        )
    except ValidationError as exc:
        messages.error(request, _messages_of(exc))
    return _back(item.bug)


@login_required
@require_POST
def bulk_edit(request: HttpRequest) -> HttpResponse:
    if not is_triager(request.user):
        raise Http404
    ids = [int(i) for i in request.POST.getlist("bugs") if i.isdigit()][:500]
    form = BulkEditForm(request.POST, bug_ids=ids)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = ""
    target = target or "bugs:index"
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect(target)
    data = form.cleaned_data
    bugs = list(q.visible_to(request.user).filter(pk__in=data["bugs"]).select_related("reporter"))
    values = {
        "status": data["status"],
        "resolution": data["resolution"],
        "assignee": data["assignee"],
        "component": data["component"],
        "release": data["release"],
        "priority": data["priority"],
    }
    try:
        done = triage.bulk_edit(
            actor=request.user, bugs=bugs, values=values, comment=data["comment"]
        )
    except ValidationError as exc:
        messages.error(request, _messages_of(exc))
    else:
        messages.success(request, _("%(n)d bugs were updated.") % {"n": len(done)})
    return redirect(target)


@login_required
@require_POST
def save_search(request: HttpRequest) -> HttpResponse:
    form = SaveSearchForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the search a name."))
        return redirect("bugs:index")
    try:
        saved = searches.save_search(
            user=request.user, name=form.cleaned_data["name"], query=form.cleaned_data["query"]
        )
    except ValidationError as exc:
        messages.error(request, _messages_of(exc))
        return redirect("bugs:index")
    messages.success(request, _("The search was saved."))
    return redirect(saved.get_absolute_url())


@login_required
@require_POST
def delete_search(request: HttpRequest, search_id: int) -> HttpResponse:
    saved = get_object_or_404(SavedSearch, pk=search_id, user=request.user)
    searches.delete_search(user=request.user, saved=saved)
    messages.success(request, _("The search was deleted."))
    return redirect("bugs:mine")


@require_safe
def report(request: HttpRequest) -> HttpResponse:
    return render(request, "bugs/reports.html", reports.report_context(request.user))


def bad_request(message: str) -> HttpResponseBadRequest:
    return HttpResponseBadRequest(message)
