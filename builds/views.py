"""The build pages: for release managers to start builds, watch them and publish the result."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST, require_safe

from builds.forms import StartBuildsForm
from builds.models import Build
from builds.querysets import (
    boot_tests,
    builds,
    iter_log,
    log_tail,
    read_log,
    release_build_summary,
)
from builds.services import (
    BuildError,
    cancel_build,
    start_builds,
    unsent_builds,
)
from downloads.models import Release
from downloads.permissions import release_manager_required
from downloads.querysets import visible_releases
from downloads.services.publishing import PublishError, publish_release
from portal.registry import publish_objections

BUILDS_PER_PAGE = 50


def _build_or_404(pk: int) -> Build:
    return get_object_or_404(builds(), pk=pk)


def _release_or_404(version: str) -> Release:
    return get_object_or_404(Release, version=version)


@release_manager_required
@require_safe
def build_list(request: HttpRequest) -> HttpResponse:
    return _render_list(request)


def _render_list(request: HttpRequest, *, form: StartBuildsForm | None = None) -> HttpResponse:
    page = Paginator(builds().order_by("-created_at"), BUILDS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "builds/list.html",
        {"page": page, "builds": page.object_list, "form": form or StartBuildsForm()},
        status=400 if form is not None else 200,
    )


@release_manager_required
@require_POST
def build_start(request: HttpRequest) -> HttpResponse:
    form = StartBuildsForm(request.POST)
    if form.is_valid():
        release = form.cleaned_data["release"]
        board = form.cleaned_data["board"]
        try:
            result = start_builds(
                release=release,
                boards=[board] if board else None,
                user=request.user,
                trigger=Build.Trigger.WEB,
            )
        except BuildError as exc:
            form.add_error(None, str(exc))
        else:
            _say_started(request, result)
            if len(result.started) == 1:
                return redirect(result.started[0])
            return redirect("builds:release", release.version)
    if request.POST.get("from") == "release" and form.data.get("release"):
        release = Release.objects.filter(version=form.data["release"]).first()
        if release is not None:
            return _render_release(request, release, form=form)
    return _render_list(request, form=form)


def _say_started(request: HttpRequest, result) -> None:
    if result.started:
        # Each board once, however many of its recipes were queued.
        boards = list(dict.fromkeys(b.recipe.board.name for b in result.started))
        count = len(result.started)
        messages.success(
            request,
            ngettext(
                "%(count)d build queued: %(boards)s.",
                "%(count)d builds queued: %(boards)s.",
                count,
            )
            % {"count": count, "boards": ", ".join(boards)},
        )
    unsent = unsent_builds(result.started)
    if unsent:
        messages.warning(
            request,
            _(
                "The build queue cannot be reached right now: the builds stay queued and are "
                "sent as soon as it answers again."
            ),
        )
    if result.already_active:
        messages.warning(
            request,
            _("Already building: %(recipes)s.")
            % {"recipes": ", ".join(str(r) for r in result.already_active)},
        )


@release_manager_required
@require_safe
def build_detail(request: HttpRequest, pk: int) -> HttpResponse:
    build = _build_or_404(pk)
    tail = log_tail(build=build)
    return render(
        request,
        "builds/detail.html",
        {
            "build": build,
            "log": tail,
            "artifacts": build.artifacts.order_by("filename") if not build.is_active else [],
            "boot_tests": list(build.boot_tests.defer("console_log")),
        },
    )


@release_manager_required
@require_safe
def build_log(request: HttpRequest, pk: int) -> HttpResponse:
    """The log from byte ?offset=N on, with the build's state: what the page's script polls."""
    try:
        offset = int(request.GET.get("offset", "0"))
    except ValueError:
        return HttpResponseBadRequest(_("offset must be a whole number of bytes"))
    if offset < 0:
        return HttpResponseBadRequest(_("offset must not be negative"))
    build = _build_or_404(pk)
    piece = read_log(build=build, offset=offset)
    return JsonResponse(
        {
            "offset": piece.offset,
            "next": piece.next_offset,
            "size": piece.size,
            "text": piece.text,
            "state": build.state,
            "state_label": build.get_state_display(),
            "result": build.result,
            "result_label": build.get_result_display(),
            "progress": build.progress,
            "finished": not build.is_active,
        },
        headers={"Cache-Control": "no-store"},
    )


@release_manager_required
@require_safe
def build_log_text(request: HttpRequest, pk: int) -> HttpResponse:
    build = _build_or_404(pk)
    response = StreamingHttpResponse(
        (text.encode() for text in iter_log(build=build)),
        content_type="text/plain; charset=utf-8",
    )
    response["Content-Disposition"] = f'inline; filename="build-{build.pk}.log"'
    return response


@release_manager_required
@require_POST
def build_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    build = _build_or_404(pk)
    try:
        build = cancel_build(build=build, user=request.user)
    except BuildError as exc:
        messages.error(request, str(exc))
    else:
        if build.is_active:
            messages.info(request, _("Cancelling: the build is being stopped."))
        else:
            messages.info(request, _("The build was cancelled before it started."))
    return redirect(build)


@release_manager_required
@require_POST
def build_retry(request: HttpRequest, pk: int) -> HttpResponse:
    build = _build_or_404(pk)
    try:
        result = start_builds(
            release=build.release,
            recipes=[build.recipe],
            user=request.user,
            trigger=Build.Trigger.WEB,
        )
    except BuildError as exc:
        messages.error(request, str(exc))
        return redirect(build)
    _say_started(request, result)
    if result.started:
        return redirect(result.started[0])
    return redirect(build)


def _render_release(
    request: HttpRequest, release: Release, *, form: StartBuildsForm | None = None
) -> HttpResponse:
    summary = release_build_summary(release=release)
    return render(
        request,
        "builds/release.html",
        {
            "release": release,
            "summary": summary,
            "form": form,
        },
        status=400 if form is not None else 200,
    )


@release_manager_required
@require_safe
def release_builds(request: HttpRequest, version: str) -> HttpResponse:
    return _render_release(request, _release_or_404(version))


@release_manager_required
@require_POST
def release_publish(request: HttpRequest, version: str) -> HttpResponse:
    release = _release_or_404(version)
    url = reverse("builds:release", args=[release.version])
    if release.status != Release.Status.DRAFT:
        messages.error(request, _("Release %(v)s is not a draft.") % {"v": release.version})
        return redirect(url)
    summary = release_build_summary(release=release)
    if not summary.all_succeeded:
        messages.error(request, _("Not every build of this release has succeeded."))
        return redirect(url)
    if summary.boots_active:
        messages.error(request, _("A boot test of this release is still running."))
        return redirect(url)
    failed = summary.failed_boots
    objections = publish_objections(release)
    if objections and request.POST.get("confirm") != "yes":
        # Publishing what did not boot is a decision a person makes knowingly.
        return render(
            request,
            "builds/confirm_publish.html",
            {"release": release, "failed": failed, "objections": objections},
            status=409,
        )
    try:
        publish_release(release=release, user=request.user, accepted=objections)
    except PublishError as exc:
        messages.error(request, str(exc))
        return redirect(url)
    messages.success(request, _("Release %(v)s is published.") % {"v": release.version})
    if objections:
        messages.warning(request, _("Its notes say what was published despite the checks."))
    return redirect(url)


@require_safe
def boot_log(request: HttpRequest, pk: int) -> HttpResponse:
    """A boot test's console log, for whoever may see its release (the public pages link it)."""
    boot_test = get_object_or_404(boot_tests(), pk=pk)
    if not visible_releases(request.user).filter(pk=boot_test.build.release_id).exists():
        raise Http404(_("No such boot test."))
    header = (
        f"# Boot test #{boot_test.pk} of build #{boot_test.build_id} "
        f"({boot_test.build.recipe}, release {boot_test.build.release.version}): "
        f"{boot_test.get_status_display()}"
        + (f", {boot_test.reason}" if boot_test.reason else "")
        + "\n"
    )
    return HttpResponse(header + boot_test.console_log, content_type="text/plain; charset=utf-8")
