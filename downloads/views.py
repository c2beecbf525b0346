"""The catalogue's pages, files, checksum lists and the release managers' pages.

Catalogue pages keep their whole body rendered in the cache, keyed by the catalogue generation
(downloads/caching.py), the language, the reader being a release manager and what the page
depends on (filters, board, version). The data behind a body is built lazily while it renders,
so a cached page costs no query at all (a reader who is signed in: the one that tells whether
they manage releases).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from downloads import querysets as q
from downloads.caching import PAGE_TIMEOUT, generation, page_key
from downloads.checksums import checksum_list, list_key
from downloads.forms import (
    GUESS,
    ReleaseEditForm,
    ReleaseForm,
    ServerFileForm,
    UploadForm,
    WithdrawForm,
)
from downloads.models import Artifact, Board, Release
from downloads.permissions import release_manager_required
from downloads.services.announcing import releases_watch_target
from downloads.services.artifacts import (
    ArtifactError,
    add_artifact_from_path,
    add_staged_artifact,
    check_import_path,
    guess_kind,
    remove_artifact,
)
from downloads.services.counts import count_download
from downloads.services.publishing import (
    PublishError,
    create_release,
    publish_release,
    update_release,
    withdraw_release,
)
from downloads.services.signing import public_key
from downloads.serving import ServedFile, file_validators, serve_file
from downloads.storage import local_path, signed_url
from downloads.uploads import ArtifactUploadHandler
from portal.caching import kept, page_panels, shared_panels
from portal.models import Subscription
from portal.notifications import subscribe, subscription_level, unsubscribe
from portal.page_cache import csrf_mark, reader_form, reader_mark, shared_with_readers
from portal.registry import publish_objections

logger = logging.getLogger(__name__)

UNSIGNED_WARNING = gettext_lazy(
    "It is published unsigned: there is no signing key (python manage.py signing_key create)."
)
FILTER_VALUE = re.compile(r"^[A-Za-z0-9._-]{1,50}$")


class Lazy:
    """Values computed on first use: a body found in the cache is never rendered, so its
    queries never run."""

    def __init__(self, **builders: Callable[[], Any]):
        self._builders = builders
        self._values: dict[str, Any] = {}

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name not in self._builders:
            raise AttributeError(name)
        if name not in self._values:
            self._values[name] = self._builders[name]()
        return self._values[name]


def _kept_page(
    build: Callable[[], dict[str, Any] | None], name: str, *parts: object, manager: bool = False
) -> dict[str, Any] | None:
    """A catalogue page's rendered parts, built once per change of the catalogue (and language,
    and whether the reader is a release manager); None (a withdrawn release) is not kept."""
    return kept(page_key(name, *parts, manager=manager), build, timeout=PAGE_TIMEOUT)


def _kind_groups(files: list[Artifact]) -> list[dict[str, Any]]:
    """Files grouped by kind, kinds in the order Artifact.Kind declares them."""
    order = {value: i for i, value in enumerate(Artifact.Kind.values)}
    groups: dict[str, list[Artifact]] = {}
    for artifact in sorted(files, key=lambda a: (order.get(a.kind, 99), a.folder, a.filename)):
        groups.setdefault(artifact.kind, []).append(artifact)
    return [
        {"kind": kind, "label": Artifact.Kind(kind).label, "files": items}
        for kind, items in groups.items()
    ]


def _matrix(files: list[Artifact]) -> dict[str, Any]:
    """A release's board × kind table, and its files common to all boards."""
    kinds = [k for k in Artifact.Kind.values if any(a.kind == k and a.board_id for a in files)]
    rows: dict[int, dict[str, Any]] = {}
    common = []
    for artifact in files:
        if artifact.board_id is None:
            common.append(artifact)
            continue
        row = rows.setdefault(
            artifact.board_id,
            {"board": artifact.board, "cells": {kind: [] for kind in kinds}},
        )
        row["cells"][artifact.kind].append(artifact)
    return {
        "kinds": [{"value": k, "label": Artifact.Kind(k).label} for k in kinds],
        "rows": [
            {"board": row["board"], "cells": [row["cells"][k] for k in kinds]}
            for row in sorted(rows.values(), key=lambda r: (r["board"].order, r["board"].name))
        ],
        "common": common,
    }


# --- Catalogue pages -------------------------------------------------------------------------


@require_safe
def index(request: HttpRequest) -> HttpResponse:
    arch = request.GET.get("arch", "")
    distribution = request.GET.get("distribution", "")
    support = request.GET.get("support", "")
    arch = arch if FILTER_VALUE.match(arch) else ""
    distribution = distribution if FILTER_VALUE.match(distribution) else ""
    support = support if support in Board.SupportLevel.values else ""
    filters = {"arch": arch, "distribution": distribution, "support": support}

    def build() -> dict[str, Any]:
        data = Lazy(
            boards=lambda: list(
                q.board_grid(arch=arch, distribution=distribution, support_level=support)
            ),
            architectures=q.architectures,
            distributions=lambda: list(q.distributions()),
            # Only these filter to a board; the others are named as "no images yet".
            filterable=lambda: list(q.distributions_with_board_files()),
            waiting=lambda: [d for d in data.distributions if d not in data.filterable],
        )
        body = render_to_string(
            "downloads/_index_body.html",
            {
                "data": data,
                "filters": filters,
                "support_levels": Board.SupportLevel.choices,
                "filtered": bool(arch or distribution or support),
            },
            request,
        )
        return {"body": body}

    page = _kept_page(build, "index", arch, distribution, support)
    return render(
        request,
        "downloads/index.html",
        {"body": page["body"], "can_manage": q.is_release_manager(request.user)},
    )


@require_safe
def board(request: HttpRequest, slug: str) -> HttpResponse:
    """A board's page: its header and its rendered body come from the cache, with no query."""

    def build() -> dict[str, Any]:
        board_obj = get_object_or_404(q.boards(), slug=slug)

        def latest() -> Release | None:
            return q.latest_release_for_board(board_obj)

        data = Lazy(
            latest=latest,
            groups=lambda: (
                _kind_groups(list(q.release_files(data.latest, board=board_obj)))
                if data.latest
                else []
            ),
            distributions=lambda: list(q.distributions_for_board(board_obj)),
            releases=lambda: list(q.releases_for_board(board_obj)[:100]),
        )
        body = render_to_string(
            "downloads/_board_body.html", {"board": board_obj, "data": data}, request
        )
        return {
            "name": board_obj.name,
            "slug": board_obj.slug,
            "summary": board_obj.summary,
            "body": body,
        }

    # The copyable commands name this site: the host and scheme are part of the key.
    page = _kept_page(build, "board", slug, request.scheme, request.get_host())
    return _with_panels(
        request, "downloads/board.html", {"board": page, "body": page["body"]}, "board", slug
    )


def _with_panels(
    request: HttpRequest, template: str, context: dict[str, Any], page: str, key: str
) -> HttpResponse:
    """A public catalogue page with the panels other sections add; signed in, the page is
    shared by the readers of one kind, the panels made for each reader filled in for them."""
    shared = getattr(request, "shared_page", False)
    panels = page_panels(request, page, key, shared=shared)
    if not shared:
        return render(request, template, {**context, "panels": panels})
    response = render(request, template, {**context, "panels": panels, "csrf_token": csrf_mark()})
    return shared_panels(response, page, key, panels)


@require_safe
def releases(request: HttpRequest) -> HttpResponse:
    def build() -> dict[str, Any]:
        data = Lazy(releases=lambda: list(q.release_list()))
        return {"body": render_to_string("downloads/_releases_body.html", {"data": data}, request)}

    page = _kept_page(build, "releases")
    context: dict[str, Any] = {"body": page["body"]}
    if getattr(request, "shared_page", False):
        # Kept for every signed-in reader of this kind; each one's watch button filled in.
        context["watch_form"] = reader_mark("watch")
        response = render(request, "downloads/releases.html", context)
        return shared_with_readers(response, "downloads.views.releases_reader_parts")
    if request.user.is_authenticated:
        watch = {"watching": _watching_releases(request)}
        context["watch_form"] = render_to_string("downloads/_watch_releases.html", watch, request)
    return render(request, "downloads/releases.html", context)


def _watching_releases(request: HttpRequest) -> bool:
    level = subscription_level(user=request.user, target=releases_watch_target())
    return level == Subscription.Level.WATCHING


def releases_reader_parts(request: HttpRequest) -> dict[str, str]:
    """A signed-in reader's own part of the shared release list: their watch button."""
    return {
        "watch": reader_form("downloads/_watch_releases.html", watching=_watching_releases(request))
    }


def _watch(request: HttpRequest, target: Any, *, name: str) -> None:
    """Watch or stop watching `target` as the form asks (the notification centre keeps it)."""
    if request.POST.get("watch") == "1":
        subscribe(user=request.user, target=target)
        messages.success(request, _("You are watching %(name)s.") % {"name": name})
    else:
        unsubscribe(user=request.user, target=target)
        messages.success(request, _("You no longer watch %(name)s.") % {"name": name})


@login_required
@require_POST
def watch_board(request: HttpRequest, slug: str) -> HttpResponse:
    board_obj = get_object_or_404(q.boards(), slug=slug)
    _watch(request, board_obj, name=board_obj.name)
    return redirect(board_obj)


@login_required
@require_POST
def watch_releases(request: HttpRequest) -> HttpResponse:
    _watch(request, releases_watch_target(), name=_("all releases"))
    return redirect("downloads:releases")


def _gone(request: HttpRequest, release: Release, *, path: str = "") -> HttpResponse:
    """410 for anything of a withdrawn release, pointing to its replacement."""
    response = render(
        request,
        "downloads/gone.html",
        {"release": release, "replacement": release.replaced_by, "path": path},
        status=410,
    )
    if release.replaced_by_id:
        response["Link"] = f'<{release.replaced_by.get_absolute_url()}>; rel="successor-version"'
    return response


def _visible_release(request: HttpRequest, version: str) -> Release:
    return get_object_or_404(
        q.visible_releases(request.user).select_related("replaced_by"), version=version
    )


@require_safe
def release(request: HttpRequest, version: str) -> HttpResponse:
    """A release's page: from the cache with no query once rendered (drafts only ever for
    release managers, withdrawn releases never: their 410 is made from the rows)."""
    manager = q.is_release_manager(request.user)

    def build() -> dict[str, Any] | None:
        release_obj = _visible_release(request, version)
        if release_obj.status == Release.Status.WITHDRAWN:
            return None
        preview = release_obj.status == Release.Status.DRAFT
        data = Lazy(
            matrix=lambda: _matrix(list(q.release_files(release_obj))),
            newer=lambda: q.newer_release(release_obj),
        )
        body = render_to_string(
            "downloads/_release_body.html",
            {"release": release_obj, "data": data, "preview": preview},
            request,
        )
        return {"version": release_obj.version, "preview": preview, "body": body}

    page = _kept_page(build, "release", version, manager=manager)
    if page is None:
        return _gone(request, _visible_release(request, version))
    context = {"release": page, "preview": page["preview"], "body": page["body"]}
    return _with_panels(request, "downloads/release.html", context, "release", page["version"])


@require_safe
def folder(request: HttpRequest, version: str, folder: str) -> HttpResponse:
    """A release's board folder, as a plain listing (what mirrors and scripts expect)."""
    release_obj = _visible_release(request, version)
    if release_obj.status == Release.Status.WITHDRAWN:
        return _gone(request, release_obj, path=f"{folder}/")
    files = list(q.folder_files(release_obj, folder))
    if not files:
        raise Http404(_("This release has no files for that board."))
    return render(
        request,
        "downloads/folder.html",
        {"release": release_obj, "folder": folder, "files": files},
    )


# --- Files and checksum lists ----------------------------------------------------------------


@require_safe
def download(request: HttpRequest, version: str, folder: str, filename: str) -> HttpResponse:
    artifact = q.find_file(version=version, folder=folder, filename=filename)
    if artifact is None:
        raise Http404(_("No such file in this release."))
    release_obj = artifact.release
    if release_obj.status == Release.Status.WITHDRAWN:
        return _gone(request, release_obj, path=artifact.path)
    if release_obj.status == Release.Status.DRAFT and not q.is_release_manager(request.user):
        raise Http404(_("No such file in this release."))
    path = local_path(artifact.file.name)
    if path is None:  # object storage: Django answers who may have it, the store sends bytes
        served = ServedFile(
            path=None,
            storage_name=artifact.file.name,
            filename=artifact.filename,
            size=artifact.size,
            etag=f'"{artifact.sha256[:32]}"',
            last_modified=artifact.created_at.timestamp(),
            url=signed_url(artifact.file.name, filename=artifact.filename),
        )
    else:
        if not path.is_file():
            logger.error("artifact %s (%s): file missing at %s", artifact.pk, artifact, path)
            raise Http404(_("This file is missing from the server; it has been reported."))
        etag, mtime = file_validators(path, sha256=artifact.sha256)
        served = ServedFile(
            path=path,
            storage_name=artifact.file.name,
            filename=artifact.filename,
            size=artifact.size,
            etag=etag,
            last_modified=mtime,
        )
    response = serve_file(request, served)
    if release_obj.status == Release.Status.DRAFT:
        response["Cache-Control"] = "private, no-cache"  # a draft's file may still change
    elif response.is_download:
        count_download(artifact_id=artifact.pk)
    return response


@require_safe
def checksums(
    request: HttpRequest, version: str, name: str, folder: str | None = None
) -> HttpResponse:
    """SHA256SUMS, MD5SUMS and SHA256SUMS.asc of a release (folder None) or a board folder."""
    release_obj = _visible_release(request, version)
    if release_obj.status == Release.Status.WITHDRAWN:
        return _gone(request, release_obj, path=f"{folder}/{name}" if folder else name)
    if name.endswith(".asc"):
        signature = release_obj.signatures.get(list_key(name=name[:-4], folder=folder))
        if not signature:
            raise Http404(_("This list is not signed."))
        return HttpResponse(signature, content_type="application/pgp-signature")

    def build() -> str:
        files = list(q.folder_files(release_obj, folder))
        if not files:
            raise Http404(_("This release has no files for that board."))
        return checksum_list(files, name=name, folder=folder)

    key = f"downloads:sums:{generation()}:{release_obj.pk}:{folder}:{name}"
    text = kept(key, build, timeout=600)
    return HttpResponse(text, content_type="text/plain; charset=utf-8")


@require_safe
def latest(request: HttpRequest, folder: str, filename: str) -> HttpResponse:
    """/downloads/latest/<board>/<file>: a temporary redirect to that file of the board's latest
    release (q.latest_release_for_board, the one rule of pages, API and permalinks); a file that
    release lacks is a 404 naming the release, never a file of an older one."""
    if folder == "common":
        newest = q.latest_release()
    else:
        newest = q.latest_release_for_board(get_object_or_404(q.boards(), slug=folder))
    if newest is None:
        raise Http404(_("No release has files for this board yet."))
    if filename in ("SHA256SUMS", "MD5SUMS", "SHA256SUMS.asc"):
        target = reverse("downloads:folder_checksums", args=[newest.version, folder, filename])
    else:
        artifact = q.find_file(version=newest.version, folder=folder, filename=filename)
        if artifact is None:
            message = _(
                "Release %(version)s, the latest for %(folder)s, has no file %(filename)s."
            ) % {"version": newest.version, "folder": folder, "filename": filename}
            return render(
                request,
                "downloads/not_in_latest.html",
                {"message": message, "release": newest},
                status=404,
            )
        target = artifact.get_absolute_url()
    response = redirect(target)  # 302: the target moves with every release
    response["Cache-Control"] = "no-cache"
    return response


@require_safe
def signing_key(request: HttpRequest) -> HttpResponse:
    key = cache.get_or_set("downloads:public-key", public_key, timeout=3600)
    if not key:
        raise Http404(_("Releases are not signed on this site."))
    return HttpResponse(key, content_type="application/pgp-keys")


# --- Release managers ------------------------------------------------------------------------


@release_manager_required
@require_http_methods(["GET", "HEAD", "POST"])
def manage(request: HttpRequest) -> HttpResponse:
    form = ReleaseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            new = create_release(user=request.user, **form.cleaned_data)
        except PublishError as exc:
            form.add_error("version", str(exc))
        else:
            messages.success(request, _("Draft %(version)s created.") % {"version": new.version})
            return redirect("downloads:manage_release", new.version)
    return render(
        request,
        "downloads/manage.html",
        {
            "form": form,
            "drafts": list(q.drafts().select_related("created_by")),
            "published": list(q.release_list()[:20]),
            "panels": page_panels(request, "manage", ""),
        },
    )


def _manage_context(request: HttpRequest, release_obj: Release, **forms: Any) -> dict[str, Any]:
    context = {
        "release": release_obj,
        "files": list(q.release_files(release_obj)),
        "edit_form": ReleaseEditForm(
            initial={
                "title": release_obj.title,
                "notes": release_obj.notes,
                "is_prerelease": release_obj.is_prerelease,
                "release_date": release_obj.release_date,
            }
        ),
        "upload_form": UploadForm(),
        "server_form": ServerFileForm(),
        "withdraw_form": WithdrawForm(release=release_obj),
        # Other sections' blocks, e.g. the release's builds.
        "panels": page_panels(request, "manage-release", release_obj.version),
    }
    context.update(forms)
    return context


@release_manager_required
@require_safe
def manage_release(request: HttpRequest, version: str) -> HttpResponse:
    release_obj = get_object_or_404(Release, version=version)
    return render(request, "downloads/manage_release.html", _manage_context(request, release_obj))


@release_manager_required
@require_POST
def manage_edit(request: HttpRequest, version: str) -> HttpResponse:
    release_obj = get_object_or_404(Release, version=version)
    form = ReleaseEditForm(request.POST)
    if not form.is_valid():
        context = _manage_context(request, release_obj, edit_form=form)
        return render(request, "downloads/manage_release.html", context, status=400)
    update_release(release=release_obj, **form.cleaned_data)
    messages.success(request, _("Release %(version)s saved.") % {"version": version})
    return redirect("downloads:manage_release", version)


def _attach(
    request: HttpRequest,
    version: str,
    *,
    form_class: type,
    form_name: str,
    add: Callable[[Release, dict[str, Any]], Artifact],
) -> HttpResponse:
    release_obj = get_object_or_404(Release, version=version)
    form = form_class(request.POST, request.FILES)
    upload_error = getattr(request, "upload_error", None)
    if upload_error:  # the upload handler could not store the file: say why, keep nothing
        form = form_class(request.POST)
        form.is_valid()
        form.errors.clear()
        form.add_error(None, upload_error)
        context = _manage_context(request, release_obj, **{form_name: form})
        return render(request, "downloads/manage_release.html", context, status=507)
    if form.is_valid():
        try:
            artifact = add(release_obj, form.cleaned_data)
        except ArtifactError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("%(path)s attached.") % {"path": artifact.path})
            return redirect("downloads:manage_release", version)
    context = _manage_context(request, release_obj, **{form_name: form})
    return render(request, "downloads/manage_release.html", context, status=400)


def _common_fields(data: dict[str, Any], filename: str) -> dict[str, Any]:
    return {
        "board": data["board"],
        "distribution": data["distribution"],
        "kind": data["kind"] if data["kind"] != GUESS else guess_kind(filename),
        "description": data["description"],
    }


@csrf_exempt  # checked below, once the upload handler is in place (Django's documented way)
@release_manager_required
@require_POST
def manage_upload(request: HttpRequest, version: str) -> HttpResponse:
    request.upload_handlers = [ArtifactUploadHandler(request)]
    try:
        return _manage_upload(request, version)
    finally:
        for uploaded in request.FILES.values():
            uploaded.discard()  # still staged only when no artifact took it (or CSRF failed)


@csrf_protect
def _manage_upload(request: HttpRequest, version: str) -> HttpResponse:
    def add(release_obj: Release, data: dict[str, Any]) -> Artifact:
        uploaded = data["file"]
        name = Path(uploaded.name).name
        return add_staged_artifact(
            release=release_obj,
            staged=uploaded.staged,
            filename=name,
            **_common_fields(data, name),
        )

    return _attach(request, version, form_class=UploadForm, form_name="upload_form", add=add)


@release_manager_required
@require_POST
def manage_attach(request: HttpRequest, version: str) -> HttpResponse:
    def add(release_obj: Release, data: dict[str, Any]) -> Artifact:
        path = check_import_path(data["path"])
        return add_artifact_from_path(
            release=release_obj, path=path, **_common_fields(data, path.name)
        )

    return _attach(request, version, form_class=ServerFileForm, form_name="server_form", add=add)


@release_manager_required
@require_POST
def manage_remove(request: HttpRequest, version: str, pk: int) -> HttpResponse:
    artifact = get_object_or_404(Artifact, pk=pk, release__version=version)
    try:
        remove_artifact(artifact=artifact)
    except ArtifactError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("%(path)s removed.") % {"path": artifact.path})
    return redirect("downloads:manage_release", version)


@release_manager_required
@require_POST
def manage_publish(request: HttpRequest, version: str) -> HttpResponse:
    release_obj = get_object_or_404(Release, version=version)
    # Other sections may object (a failed boot test): publishing then asks first.
    objections = publish_objections(release_obj)
    if objections and request.POST.get("confirm") != "yes":
        return render(
            request,
            "downloads/confirm_publish.html",
            {"release": release_obj, "objections": objections},
            status=409,
        )
    try:
        release_obj = publish_release(release=release_obj, user=request.user, accepted=objections)
    except PublishError as exc:
        messages.error(request, str(exc))
        return redirect("downloads:manage_release", version)
    messages.success(request, _("Release %(version)s is published.") % {"version": version})
    if not release_obj.signatures:
        messages.warning(request, UNSIGNED_WARNING)
    return redirect("downloads:release", version)


@release_manager_required
@require_POST
def manage_withdraw(request: HttpRequest, version: str) -> HttpResponse:
    release_obj = get_object_or_404(Release, version=version)
    form = WithdrawForm(request.POST, release=release_obj)
    if form.is_valid():
        try:
            withdraw_release(release=release_obj, user=request.user, **form.cleaned_data)
        except PublishError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Release %(version)s withdrawn.") % {"version": version})
            return redirect("downloads:manage_release", version)
    context = _manage_context(request, release_obj, withdraw_form=form)
    return render(request, "downloads/manage_release.html", context, status=400)
