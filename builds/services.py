"""Builds: starting, cancelling, finishing and reaping them, and attaching what they made.

Each function is one state change, atomic, with keyword-only arguments. The process side (the
script, its process group, the streamed log) lives in `build_runner`; it calls in here.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from builds.caching import BOOT_TESTS
from builds.models import BootTest, Build, BuildRecipe, tool_specs
from builds.querysets import enabled_recipes, release_build_summary
from downloads.models import Artifact, Board, Release
from downloads.services.artifacts import ArtifactError, add_artifact_from_path, guess_kind
from downloads.services.publishing import PublishError, publish_release
from downloads.storage import artifact_storage

log = logging.getLogger(__name__)

# A slack on top of a recipe's own timeout for the Celery limits, which are only a backstop:
# the runner ends a build at its timeout itself (SIGTERM, then SIGKILL after the grace).
CELERY_LIMIT_SLACK_SECONDS = 60


class BuildError(ValueError):
    """A build that cannot be started, cancelled or finished; the message says why."""


@dataclass
class StartResult:
    started: list[Build] = field(default_factory=list)
    # Recipes that already had a build queued or running for the release.
    already_active: list[BuildRecipe] = field(default_factory=list)


# --- Starting ---------------------------------------------------------------------------------


def _check_draft(release: Release) -> None:
    if release.status != Release.Status.DRAFT:
        raise BuildError(
            f"release {release.version} is {release.get_status_display().lower()}: "
            "builds attach files to draft releases only"
        )


def _recipes_to_build(
    *, boards: Iterable[Board] | None, recipes: Iterable[BuildRecipe] | None
) -> list[BuildRecipe]:
    if recipes is not None:
        chosen = list(recipes)
        disabled = [r for r in chosen if not r.enabled]
        if disabled:
            raise BuildError(f"recipe {disabled[0]} is disabled")
        return chosen
    queryset = enabled_recipes()
    if boards is not None:
        boards = list(boards)
        queryset = queryset.filter(board__in=boards)
        found = list(queryset)
        missing = {b.slug for b in boards} - {r.board.slug for r in found}
        if missing:
            raise BuildError(f"no enabled build recipe for board {', '.join(sorted(missing))}")
        return found
    found = list(queryset)
    if not found:
        raise BuildError("there is no enabled build recipe")
    return found


def send_build(*, build_id: int) -> bool:
    """Send a queued build's task to its recipe's queue and note it in the outbox column.

    A broker that cannot be reached costs nothing but time: the build stays queued with no
    message_sent_at, the caller says so, and send_unsent_builds sends it once the broker is back.
    A message sent twice is harmless (claim_build runs a build once).
    """
    from builds.tasks import run_build

    build = (
        Build.objects.select_related("recipe").filter(pk=build_id, state=Build.State.QUEUED).first()
    )
    if build is None:
        return False
    recipe = build.recipe
    soft = recipe.timeout_seconds + settings.BUILD_KILL_GRACE_SECONDS + CELERY_LIMIT_SLACK_SECONDS
    try:
        run_build.apply_async(
            args=[build.pk],
            queue=recipe.queue,
            soft_time_limit=soft,
            time_limit=soft + CELERY_LIMIT_SLACK_SECONDS,
            retry=False,
        )
    except (OperationalError, OSError) as exc:
        log.warning("build %s: the broker cannot be reached (%s); sent later", build_id, exc)
        return False
    Build.objects.filter(pk=build_id).update(message_sent_at=timezone.now())
    return True


def send_unsent_builds(*, older_than: timedelta | None = None) -> list[int]:
    """Send again the queued builds whose message never left (the outbox's periodic part)."""
    older_than = older_than if older_than is not None else timedelta(seconds=10)
    unsent = Build.objects.filter(
        state=Build.State.QUEUED,
        message_sent_at__isnull=True,
        created_at__lt=timezone.now() - older_than,
    ).values_list("pk", flat=True)
    return [pk for pk in unsent if send_build(build_id=pk)]


def unsent_builds(builds: Iterable[Build]) -> list[Build]:
    """Those of `builds` whose message could not be sent (to tell the person who started them)."""
    ids = [b.pk for b in builds]
    unsent = set(
        Build.objects.filter(
            pk__in=ids, message_sent_at__isnull=True, state=Build.State.QUEUED
        ).values_list("pk", flat=True)
    )
    return [b for b in builds if b.pk in unsent]


@transaction.atomic
def start_builds(
    *,
    release: Release,
    boards: Iterable[Board] | None = None,
    recipes: Iterable[BuildRecipe] | None = None,
    user=None,
    trigger: str = Build.Trigger.WEB,
) -> StartResult:
    """Queue a build of `release` for every enabled recipe (of `boards`, or exactly `recipes`).

    A recipe that already has a build queued or running for the release is left alone: the
    database's partial unique constraint decides, so two clicks or a click and the nightly
    schedule never start the same build twice. The tasks leave only when this commits.
    """
    release = Release.objects.select_for_update().get(pk=release.pk)
    _check_draft(release)
    result = StartResult()
    for recipe in _recipes_to_build(boards=boards, recipes=recipes):
        try:
            with transaction.atomic():
                build = Build.objects.create(
                    recipe=recipe, release=release, started_by=user, trigger=trigger
                )
        except IntegrityError:
            result.already_active.append(recipe)
            continue
        # The row is the outbox: the message leaves after the commit, or later (see send_build).
        transaction.on_commit(partial(send_build, build_id=build.pk))
        result.started.append(build)
    return result


def nightly_version(*, when: datetime | None = None) -> str:
    return timezone.localtime(when or timezone.now()).strftime(settings.BUILD_NIGHTLY_VERSION)


@transaction.atomic
def start_nightly_builds(*, when: datetime | None = None) -> StartResult:
    """Create tonight's draft pre-release (once) and build every enabled recipe for it."""
    version = nightly_version(when=when)
    day = timezone.localdate(when or timezone.now())
    release, _created = Release.objects.get_or_create(
        version=version,
        defaults={
            "title": f"Nightly build {day.isoformat()}",
            "is_prerelease": True,
            "release_date": day,
        },
    )
    if release.status != Release.Status.DRAFT:
        return StartResult()  # already published tonight
    succeeded = set(
        Build.objects.filter(release=release, result=Build.Result.SUCCEEDED).values_list(
            "recipe_id", flat=True
        )
    )
    todo = [r for r in enabled_recipes() if r.pk not in succeeded]
    if not todo:
        return StartResult()
    return start_builds(release=release, recipes=todo, trigger=Build.Trigger.NIGHTLY)


# --- Cancelling -------------------------------------------------------------------------------


@transaction.atomic
def cancel_build(*, build: Build, user=None) -> Build:
    """A queued build ends at once; a running one is flagged and its runner kills the group."""
    now = timezone.now()
    who = f" by {user.get_username()}" if user is not None else ""
    ended = Build.objects.filter(pk=build.pk, state=Build.State.QUEUED).update(
        state=Build.State.FINISHED,
        result=Build.Result.CANCELLED,
        finished_at=now,
        reason=f"cancelled{who} before a worker took it",
    )
    if not ended:
        # A build whose worker stopped reporting has no runner left to stop it: end it now.
        stale = now - timedelta(seconds=settings.BUILD_STALE_AFTER_SECONDS)
        ended = Build.objects.filter(
            pk=build.pk, state=Build.State.RUNNING, heartbeat_at__lt=stale
        ).update(
            state=Build.State.FINISHED,
            result=Build.Result.CANCELLED,
            finished_at=now,
            reason=f"cancelled{who}; its worker had stopped reporting",
        )
    if not ended:
        flagged = Build.objects.filter(pk=build.pk, state=Build.State.RUNNING).update(
            cancel_requested_at=now, reason=f"cancelled{who}"
        )
        if not flagged:
            raise BuildError(f"build #{build.pk} has already finished")
    build.refresh_from_db()
    return build


# --- Claiming and finishing (called by the runner) --------------------------------------------


def claim_build(*, build_id: int) -> Build | None:
    """Move a queued build to running for this worker, or return None if it is not queued.

    A message delivered twice (acks_late, a broker's visibility timeout, a lost worker) finds
    the build running or finished and does nothing: of two conditional updates racing for the
    same row, only one changes it.
    """
    now = timezone.now()
    claimed = Build.objects.filter(pk=build_id, state=Build.State.QUEUED).update(
        state=Build.State.RUNNING,
        started_at=now,
        heartbeat_at=now,
        worker_host=socket.gethostname(),
        worker_pid=os.getpid(),
    )
    if not claimed:
        return None
    return Build.objects.select_related("recipe__board", "recipe__distribution", "release").get(
        pk=build_id
    )


def missing_tools(*, recipe: BuildRecipe, path: str) -> list[str]:
    """What the recipe needs that this worker lacks, as "cpio (Debian package cpio)"."""
    return [
        f"{spec['command']} (Debian package {spec['package']})"
        for spec in tool_specs(recipe.tools)
        if shutil.which(spec["command"], path=path) is None
    ]


@dataclass(frozen=True)
class Output:
    path: Path
    kind: str


def collect_outputs(*, output_dir: Path, patterns: list) -> list[Output]:
    """The files under output_dir the patterns name, each once; no symlinks, no escapes."""
    root = output_dir.resolve()
    found: dict[Path, Output] = {}
    for entry in patterns:
        spec = {"pattern": entry} if isinstance(entry, str) else entry
        matches = sorted(output_dir.glob(spec["pattern"]))
        files = []
        for path in matches:
            if path.is_symlink():
                raise BuildError(f"{path.name}: output files must not be symbolic links")
            if path.is_file() and path.resolve().is_relative_to(root):
                files.append(path)
        if not files and not spec.get("optional", False):
            raise BuildError(f"no file in $OUTPUT_DIR matches {spec['pattern']!r}")
        for path in files:
            found.setdefault(path, Output(path, spec.get("kind") or guess_kind(path.name)))
    names: dict[str, Path] = {}
    for path in found:
        if path.name in names:
            raise BuildError(f"two outputs are named {path.name}: {names[path.name]} and {path}")
        names[path.name] = path
    return list(found.values())


def _storage_cleanup(names: Iterable[str]) -> None:
    for name in names:
        try:
            artifact_storage.delete(name)
        except OSError:
            log.warning("could not remove %s from artifact storage", name)


def finish_build(
    *,
    build_id: int,
    result: str,
    exit_code: int | None = None,
    reason: str = "",
    outputs: list[Output] | None = None,
) -> Build | None:
    """End a running build; on success attach its outputs to the draft release, all or none.

    Returns None when the build was no longer running (a reaper ended it meanwhile): then
    nothing is attached. An attachment that fails turns the build into a failure.
    """
    created: list[str] = []
    try:
        with transaction.atomic():
            build = (
                Build.objects.select_for_update(of=("self",))
                .select_related("recipe__board", "recipe__distribution", "release")
                .filter(pk=build_id, state=Build.State.RUNNING)
                .first()
            )
            if build is None:
                return None
            replaced: list[str] = []
            if result == Build.Result.SUCCEEDED:
                replaced = _attach(build=build, outputs=outputs or [], created=created)
            _set_finished(build, result=result, exit_code=exit_code, reason=reason)
            if result == Build.Result.SUCCEEDED and build.recipe.boot_test:
                queue_boot_test(build=build)
            # Files of an earlier build of this recipe that the new ones did not overwrite.
            stale = set(replaced) - set(created)
            transaction.on_commit(lambda: _storage_cleanup(stale))
    except (ArtifactError, BuildError, OSError) as exc:
        _storage_cleanup(created)
        with transaction.atomic():
            build = Build.objects.select_for_update(of=("self",)).filter(pk=build_id).first()
            if build is None or build.state != Build.State.RUNNING:
                return None
            _set_finished(
                build,
                result=Build.Result.FAILED,
                exit_code=exit_code,
                reason=f"the files could not be attached: {exc}"[:300],
            )
    return build


def _set_finished(build: Build, *, result: str, exit_code: int | None, reason: str) -> None:
    build.state = Build.State.FINISHED
    build.result = result
    build.exit_code = exit_code
    if result == Build.Result.SUCCEEDED:
        build.progress = 100
    if reason or result != Build.Result.CANCELLED:
        build.reason = reason[:300]
    build.finished_at = timezone.now()
    build.save(update_fields=["state", "result", "exit_code", "progress", "reason", "finished_at"])


def _attach(*, build: Build, outputs: list[Output], created: list[str]) -> list[str]:
    """Attach outputs, replacing what an earlier build of the same recipe attached."""
    recipe = build.recipe
    earlier = Artifact.objects.filter(
        builds__recipe=recipe, builds__release=build.release
    ).distinct()
    replaced = [a.file.name for a in earlier]
    Artifact.objects.filter(pk__in=[a.pk for a in earlier]).delete()
    artifacts = []
    for output in outputs:
        artifact = add_artifact_from_path(
            release=build.release,
            path=output.path,
            board=recipe.board,
            distribution=recipe.distribution,
            kind=output.kind,
            filename=output.path.name,
            description=f"Built by {recipe.name} (build #{build.pk})",
        )
        created.append(artifact.file.name)
        artifacts.append(artifact)
    build.artifacts.add(*artifacts)
    return replaced


# --- Boot validation --------------------------------------------------------------------------


def queue_boot_test(*, build: Build) -> BootTest:
    """A pending boot test of a succeeded build, its task sent on commit to the recipe's queue."""
    from builds.tasks import run_boot_test

    boot_test = BootTest.objects.create(build=build)
    BOOT_TESTS.bump_on_commit()
    transaction.on_commit(
        partial(run_boot_test.apply_async, args=[boot_test.pk], queue=build.recipe.queue)
    )
    return boot_test


def boot_objections(release: Release) -> list[str]:
    """What a person must accept to publish `release`: its failed boot tests (a PublishCheck)."""
    from builds.querysets import release_build_summary

    return [
        f"{t.build.recipe.board.name}: its boot test in QEMU failed "
        f"(build #{t.build_id}: {t.reason or 'failed'})"
        for t in release_build_summary(release=release).failed_boots
    ]


# --- Nightly publishing -----------------------------------------------------------------------


def maybe_autopublish(*, release_id: int) -> bool:
    """Publish a nightly pre-release once every enabled recipe's latest build succeeded."""
    if not settings.BUILD_NIGHTLY_AUTOPUBLISH:
        return False
    release = Release.objects.filter(pk=release_id, status=Release.Status.DRAFT).first()
    if release is None or not release.is_prerelease:
        return False
    builds = Build.objects.filter(release=release)
    if builds.exclude(trigger=Build.Trigger.NIGHTLY).exists():
        return False
    summary = release_build_summary(release=release)
    # Published by itself only when everything built and booted; a failed boot waits for a
    # person, who is asked to confirm.
    if not summary.all_succeeded or summary.boots_active or summary.failed_boots:
        return False
    try:
        publish_release(release=release, user=None)
    except PublishError:
        log.exception("publishing nightly release %s failed", release.version)
        return False
    return True


# --- Reaping ----------------------------------------------------------------------------------


def _process_group_of(pid_dir: Path) -> int | None:
    try:
        stat = (pid_dir / "stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[-1].split()
    return int(fields[2]) if len(fields) > 2 else None


def kill_orphans(*, build: Build) -> bool:
    """Kill what is left of a build's process group on this host (after its worker died).

    The group id is checked against the processes' environment (ESTUARY_BUILD=<id>), so a
    number the system has since given to someone else is never signalled.
    """
    group = build.process_group
    if not group or build.worker_host != socket.gethostname() or not Path("/proc").is_dir():
        return False
    marker = f"ESTUARY_BUILD={build.pk}".encode()
    for pid_dir in Path("/proc").iterdir():
        if not pid_dir.name.isdigit() or _process_group_of(pid_dir) != group:
            continue
        try:
            environ = (pid_dir / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if marker in environ:
            try:
                os.killpg(group, signal.SIGKILL)
            except ProcessLookupError:
                return False
            return True
    return False


def remove_workspaces(*, build_id: int) -> None:
    root = Path(settings.BUILD_WORKSPACE_ROOT)
    for path in root.glob(f"build-{build_id}-*"):
        shutil.rmtree(path, ignore_errors=True)


def reap_stale_builds(
    *, stale_after: timedelta | None = None, queued_expire: timedelta | None = None
) -> list[int]:
    """End running builds whose heartbeat stopped, and queued ones no worker ever took.

    Builds a live runner holds locked (attaching its files) are skipped, not waited for.
    """
    now = timezone.now()
    stale_after = stale_after or timedelta(seconds=settings.BUILD_STALE_AFTER_SECONDS)
    queued_expire = queued_expire or timedelta(seconds=settings.BUILD_QUEUED_EXPIRE_SECONDS)
    reaped: list[Build] = []
    with transaction.atomic():
        stale = Build.objects.select_for_update(skip_locked=True).filter(
            state=Build.State.RUNNING, heartbeat_at__lt=now - stale_after
        )
        for build in stale:
            last = timezone.localtime(build.heartbeat_at).strftime("%Y-%m-%d %H:%M:%S %Z")
            _set_finished(
                build,
                result=Build.Result.FAILED,
                exit_code=None,
                reason=(
                    f"the worker {build.worker_host or '?'} stopped reporting (last heartbeat "
                    f"{last}); it died or lost its connection. Retry the build."
                ),
            )
            reaped.append(build)
        expired = Build.objects.select_for_update(skip_locked=True).filter(
            state=Build.State.QUEUED, created_at__lt=now - queued_expire
        )
        for build in expired:
            _set_finished(
                build,
                result=Build.Result.FAILED,
                exit_code=None,
                reason=f"no worker took the build from queue {build.recipe.queue!r} in time",
            )
            reaped.append(build)
    for build in reaped:
        kill_orphans(build=build)
        if build.worker_host == socket.gethostname():
            remove_workspaces(build_id=build.pk)
    return [build.pk for build in reaped]
