"""Caliper runs: an upload of three files becomes one run and its scores, or nothing."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext as _

from downloads.models import Board, Release
from lab.caching import CALIPER
from lab.caliper import parse_run
from lab.errors import LabError
from lab.models import CaliperRun, CaliperScore


@dataclass(frozen=True)
class Machine:
    cpu: str
    memory: str
    kernel: str
    distribution: str
    compiler: str


def _clean(value: str, limit: int, label: str) -> str:
    value = " ".join(value.split())
    if not value:
        raise LabError(_("the machine's %(field)s is missing") % {"field": label})
    if len(value) > limit:
        raise LabError(
            _("the machine's %(field)s is longer than %(limit)d characters")
            % {"field": label, "limit": limit}
        )
    return value


@transaction.atomic
def upload_run(
    *,
    board: Board,
    release: Release,
    machine: Machine,
    files: dict[str, tuple[str, bytes]],
    user: AbstractBaseUser | None = None,
) -> CaliperRun:
    """Store a run from Caliper's files ({"raw"|"score"|"post": (file name, bytes)}).

    Every file is parsed before anything is written: a malformed one raises LabError naming
    the file, the line and what was expected, and the database is left as it was.
    """
    if release.status == Release.Status.WITHDRAWN:
        raise LabError(_("release %(version)s was withdrawn") % {"version": release.version})
    host, parsed = parse_run(files)
    run = CaliperRun.objects.create(
        board=board,
        release=release,
        host=host,
        cpu=_clean(machine.cpu, 200, _("CPU")),
        memory=_clean(machine.memory, 100, _("memory")),
        kernel=_clean(machine.kernel, 200, _("kernel")),
        distribution=_clean(machine.distribution, 200, _("distribution")),
        compiler=_clean(machine.compiler, 200, _("compiler")),
        host_yaml=parsed["raw"].text,
        score_yaml=parsed["score"].text,
        score_post_yaml=parsed["post"].text,
        uploaded_by=user if user is not None and user.is_authenticated else None,
    )
    rows = [
        CaliperScore(
            run=run,
            source=source,
            item=case.item,
            sub_item=case.sub_item,
            point=case.point,
            case=case.case,
            value=case.value,
        )
        for source, caliper_file in parsed.items()
        for case in caliper_file.cases
    ]
    CaliperScore.objects.bulk_create(rows, batch_size=1000)
    scored = parsed["score"].cases
    run.case_count = len(scored)
    run.failed_count = sum(1 for case in scored if case.value == 0)
    run.save(update_fields=["case_count", "failed_count"])
    CALIPER.bump_on_commit()
    return run


@transaction.atomic
def delete_run(*, run: CaliperRun) -> None:
    run.delete()
    CALIPER.bump_on_commit()
