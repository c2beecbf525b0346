"""Pages of the lab: Caliper results and the Open Lab. Reads go through lab.querysets, writes
through lab.services; a refused action comes back as a message or a form error."""

from __future__ import annotations

import csv
import datetime
import hashlib
from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from downloads import querysets as catalogue
from lab import querysets as q
from lab.caching import CALIPER
from lab.calendar import fill, week_of
from lab.comparison import Comparison, compare_medians, compare_runs, kept_comparison
from lab.errors import LabError
from lab.forms import BookForm, ExtendForm, HealthForm, UploadRunForm
from lab.models import CaliperScore, LabBoard, Reservation
from lab.services import caliper as caliper_services
from lab.services import reservations as reservation_services
from portal.caching import Fragment, kept_key, render_fragments
from portal.page_cache import shared_with_readers

RUNS_PER_PAGE = 50
SOURCES = {choice.value: choice for choice in CaliperScore.Source}


def _ids_digest(*groups: list[int]) -> str:
    text = "|".join(",".join(str(pk) for pk in group) for group in groups)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _source(request: HttpRequest) -> str:
    value = request.GET.get("file", CaliperScore.Source.SCORE)
    return value if value in SOURCES else CaliperScore.Source.SCORE


# --- Open Lab ----------------------------------------------------------------------------------


@require_safe
def index(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    boards = list(q.listed_lab_boards())
    holders = {
        r.lab_board_id: r
        for r in q.live_reservations()
        .filter(q.holding_q(now), lab_board__in=boards)
        .select_related("user")
    }
    for lab_board in boards:
        lab_board.current = holders.get(lab_board.pk)
    return render(
        request,
        "lab/index.html",
        {
            "boards": boards,
            "holding": list(q.held_by(request.user, now=now)),
            "runs": list(q.visible_runs(request.user)[:10]),
        },
    )


@require_safe
def calendar(request: HttpRequest) -> HttpResponse:
    week = week_of(request.GET.get("week"))
    fill(week, list(q.reservations_between(week.start, week.end)))
    return render(request, "lab/calendar.html", {"week": week, "boards": q.listed_lab_boards()})


@require_safe
def board(request: HttpRequest, slug: str) -> HttpResponse:
    lab_board = get_object_or_404(q.lab_boards(), slug=slug)
    now = timezone.now()
    week = week_of(request.GET.get("week"))
    fill(week, list(q.reservations_between(week.start, week.end, lab_board=lab_board)))
    holding = (
        q.held_by(request.user, now=now).filter(lab_board=lab_board).first()
        if request.user.is_authenticated
        else None
    )
    return render(
        request,
        "lab/board.html",
        {
            "lab_board": lab_board,
            "week": week,
            "holding": holding,
            "access_notes": q.access_notes_for(lab_board, request.user, now=now),
            "current": q.current_reservation(lab_board, now=now),
            "book_form": BookForm(initial=_default_slot(now)),
            "extend_form": ExtendForm(),
            "health_form": HealthForm(initial={"health": lab_board.health})
            if q.is_lab_moderator(request.user)
            else None,
        },
    )


def _default_slot(now: datetime.datetime) -> dict[str, datetime.datetime]:
    """The booking form's suggestion: two hours from the next quarter hour."""
    start = timezone.localtime(now).replace(second=0, microsecond=0)
    start += datetime.timedelta(minutes=15 - start.minute % 15)
    return {"starts_at": start, "ends_at": start + datetime.timedelta(hours=2)}


@login_required
@require_POST
def book(request: HttpRequest, slug: str) -> HttpResponse:
    lab_board = get_object_or_404(q.listed_lab_boards(), slug=slug)
    form = BookForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(lab_board)
    try:
        reservation = reservation_services.book(
            lab_board=lab_board,
            user=request.user,
            starts_at=form.cleaned_data["starts_at"],
            ends_at=form.cleaned_data["ends_at"],
        )
    except LabError as exc:
        messages.error(request, str(exc))
        return redirect(lab_board)
    messages.success(request, _booked_message(reservation))
    return redirect(lab_board)


def _booked_message(reservation: Reservation) -> str:
    return _("Booked %(board)s until %(end)s.") % {
        "board": reservation.lab_board.name,
        "end": timezone.localtime(reservation.ends_at).strftime("%Y-%m-%d %H:%M"),
    }


@login_required
@require_safe
def my_reservations(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    mine = list(q.reservations_of(request.user).order_by("-starts_at")[:100])
    upcoming = [
        r for r in mine if r.cancelled_at is None and r.released_at is None and r.ends_at > now
    ]
    upcoming.sort(key=lambda r: r.starts_at)
    past = [r for r in mine if r not in upcoming]
    for reservation in upcoming:
        reservation.running = reservation.starts_at <= now
    return render(
        request,
        "lab/my_reservations.html",
        {"upcoming": upcoming, "past": past, "extend_form": ExtendForm(), "now": now},
    )


def _own(request: HttpRequest, pk: int) -> Reservation:
    return get_object_or_404(
        Reservation.objects.select_related("lab_board"), pk=pk, user=request.user
    )


def _back(request: HttpRequest, reservation: Reservation) -> HttpResponse:
    target = request.POST.get("next", "")
    if target == "board":
        return redirect(reservation.lab_board)
    return redirect("lab:my_reservations")


@login_required
@require_POST
def extend(request: HttpRequest, pk: int) -> HttpResponse:
    reservation = _own(request, pk)
    form = ExtendForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose how long to extend the slot."))
        return _back(request, reservation)
    try:
        reservation = reservation_services.extend(
            reservation=reservation, user=request.user, ends_at=reservation.ends_at + form.delta()
        )
    except LabError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("Your slot now ends at %(end)s.")
            % {"end": timezone.localtime(reservation.ends_at).strftime("%Y-%m-%d %H:%M")},
        )
    return _back(request, reservation)


@login_required
@require_POST
def release(request: HttpRequest, pk: int) -> HttpResponse:
    reservation = _own(request, pk)
    try:
        reservation_services.release(reservation=reservation, user=request.user)
    except LabError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, _("You gave %(board)s back.") % {"board": reservation.lab_board.name}
        )
    return _back(request, reservation)


@login_required
@require_POST
def set_health(request: HttpRequest, slug: str) -> HttpResponse:
    if not q.is_lab_moderator(request.user):
        raise PermissionDenied
    lab_board = get_object_or_404(q.lab_boards(), slug=slug)
    form = HealthForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a health for the board."))
        return redirect(lab_board)
    try:
        cancelled = reservation_services.set_health(
            lab_board=lab_board,
            health=form.cleaned_data["health"],
            note=form.cleaned_data["note"],
            user=request.user,
        )
    except LabError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("%(board)s is now %(health)s; %(count)d reservations were cancelled.")
            % {
                "board": lab_board.name,
                "health": LabBoard.Health(form.cleaned_data["health"]).label,
                "count": len(cancelled),
            },
        )
    return redirect(lab_board)


# --- Caliper -----------------------------------------------------------------------------------


@require_safe
def caliper_index(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "lab/caliper_index.html",
        {
            "boards": list(q.boards_with_runs()),
            "runs": list(q.visible_runs(request.user)[:RUNS_PER_PAGE]),
        },
    )


@require_safe
def caliper_board(request: HttpRequest, slug: str) -> HttpResponse:
    board_obj = get_object_or_404(catalogue.boards(), slug=slug)
    runs = list(q.runs_for_board(board_obj, request.user)[:RUNS_PER_PAGE])
    return render(
        request,
        "lab/caliper_board.html",
        {"board": board_obj, "runs": runs, "releases": list(q.releases_with_runs(board_obj))},
    )


@require_safe
def caliper_release(request: HttpRequest, version: str) -> HttpResponse:
    release_obj = get_object_or_404(catalogue.visible_releases(request.user), version=version)
    return render(
        request,
        "lab/caliper_release.html",
        {"release": release_obj, "runs": list(q.runs_for_release(release_obj, request.user)[:200])},
    )


@require_safe
def run(request: HttpRequest, pk: int) -> HttpResponse:
    run_obj = get_object_or_404(q.visible_runs(request.user), pk=pk)
    source = _source(request)
    others = list(q.runs_for_board(run_obj.board, request.user).exclude(pk=run_obj.pk)[:30])
    # Every case of the file, kept rendered: a run's scores change only through the services.
    [cases] = render_fragments(
        request,
        [
            Fragment(
                key=kept_key(f"lab:run:{run_obj.pk}:{source}", CALIPER.current()),
                template="lab/_run_cases.html",
                get_context=lambda: {
                    "source": source,
                    "sources": CaliperScore.Source.choices,
                    "scores": list(q.scores(run_obj, source)),
                },
            )
        ],
    )
    return render(
        request,
        "lab/run.html",
        {
            "run": run_obj,
            "source": source,
            "others": others,
            "cases": cases,
        },
    )


@require_safe
def run_file(request: HttpRequest, pk: int, source: str) -> HttpResponse:
    run_obj = get_object_or_404(q.visible_runs(request.user), pk=pk)
    texts = {"raw": run_obj.host_yaml, "score": run_obj.score_yaml, "post": run_obj.score_post_yaml}
    if source not in texts:
        raise Http404
    response = HttpResponse(texts[source], content_type="text/plain; charset=utf-8")
    # The uploader's bytes: saved, never rendered by the browser on the site's origin.
    name = {"raw": "", "score": "_score", "post": "_score_post"}[source]
    response["Content-Disposition"] = content_disposition_header(True, f"{run_obj.host}{name}.yaml")
    return response


@login_required
def upload(request: HttpRequest) -> HttpResponse:
    form = UploadRunForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            run_obj = caliper_services.upload_run(
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
                user=request.user,
            )
        except LabError as exc:
            form.add_error(None, str(exc))
        else:
            return redirect(run_obj)
    status = 400 if request.method == "POST" else 200
    return render(request, "lab/upload.html", {"form": form}, status=status)


def _comparison_response(
    request: HttpRequest,
    *,
    name: str,
    build: Callable[[], Comparison],
    context: dict,
    csv_name: str,
    as_csv: bool,
) -> HttpResponse:
    """The comparison as CSV, or its page: the table and chart are kept rendered under the
    lab's generation (the runs were checked visible before), the frame is rendered each time."""
    if as_csv:
        comparison = kept_comparison(name, build)
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{csv_name}.csv"'
        writer = csv.writer(response)
        writer.writerow(
            [
                "test_item",
                "sub_item",
                "point",
                "case",
                "before",
                "after",
                "change_percent",
                "failed",
            ]
        )
        for row in comparison.rows:
            writer.writerow(
                [
                    row.item,
                    row.sub_item,
                    row.point,
                    row.case,
                    "" if row.before is None else row.before,
                    "" if row.after is None else row.after,
                    "" if row.change is None else f"{row.change:.2f}",
                    "yes" if row.failed else "",
                ]
            )
        return response

    def body_context() -> dict:
        comparison = kept_comparison(name, build)
        return {
            **context,
            "comparison": comparison,
            "chart": comparison.chart(),
            "sources": CaliperScore.Source.choices,
        }

    [body] = render_fragments(
        request,
        [
            Fragment(
                key=kept_key(f"lab:compare:{request.path}:{name}", CALIPER.current()),
                template="lab/_compare_body.html",
                get_context=body_context,
            )
        ],
    )
    # The same for every signed-in reader of a kind (the runs' visibility goes by groups).
    return shared_with_readers(render(request, "lab/compare.html", {**context, "body": body}))


@require_safe
def compare_two_runs(
    request: HttpRequest, before: int, after: int, as_csv: bool = False
) -> HttpResponse:
    runs = {r.pk: r for r in q.visible_runs(request.user).filter(pk__in=[before, after])}
    if before not in runs or after not in runs:
        raise Http404
    source = _source(request)
    return _comparison_response(
        request,
        name=f"runs:{before}:{after}:{source}",
        build=lambda: compare_runs(before, after, source=source),
        context={
            "kind": "runs",
            "before": runs[before],
            "after": runs[after],
            "source": source,
            "csv_url": reverse("lab:compare_runs_csv", args=[before, after]) + f"?file={source}",
        },
        csv_name=f"caliper-{before}-{after}-{source}",
        as_csv=as_csv,
    )


@require_safe
def compare_releases(
    request: HttpRequest, slug: str, before: str, after: str, as_csv: bool = False
) -> HttpResponse:
    board_obj = get_object_or_404(catalogue.boards(), slug=slug)
    visible = catalogue.visible_releases(request.user)
    releases = {r.version: r for r in visible.filter(version__in=[before, after])}
    if before not in releases or after not in releases:
        raise Http404
    runs = q.runs_for_board(board_obj, request.user).filter(release__version__in=[before, after])
    by_release: dict[str, list[int]] = {before: [], after: []}
    for pk, version in runs.values_list("pk", "release__version"):
        by_release[version].append(pk)
    source = _source(request)
    before_ids, after_ids = sorted(by_release[before]), sorted(by_release[after])
    return _comparison_response(
        request,
        name="medians:" + _ids_digest(before_ids, after_ids) + f":{source}",
        build=lambda: compare_medians(before_ids, after_ids, source=source),
        context={
            "kind": "releases",
            "board": board_obj,
            "before_release": releases[before],
            "after_release": releases[after],
            "before_count": len(by_release[before]),
            "after_count": len(by_release[after]),
            "source": source,
            "csv_url": reverse("lab:compare_releases_csv", args=[slug, before, after])
            + f"?file={source}",
        },
        csv_name=f"caliper-{slug}-{before}-{after}-{source}",
        as_csv=as_csv,
    )


@require_safe
def compare_pick(request: HttpRequest) -> HttpResponse:
    """The compare forms send GET here; the answer is the comparison's permalink."""
    source = _source(request)
    before, after = request.GET.get("before", ""), request.GET.get("after", "")
    board_slug = request.GET.get("board", "")
    try:
        if board_slug:
            url = reverse("lab:compare_releases", args=[board_slug, before, after])
        else:
            url = reverse("lab:compare_runs", args=[int(before), int(after)])
    except (NoReverseMatch, ValueError):
        # A form sent without its choices: say what is needed where the choices are.
        messages.info(request, _("Choose two runs or two releases to compare."))
        return HttpResponseRedirect(reverse("lab:caliper"))
    return HttpResponseRedirect(f"{url}?file={source}")
