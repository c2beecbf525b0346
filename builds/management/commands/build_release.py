"""Build a release from the command line: `build_release 5.0 [--board d05] [--wait]`."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from builds.models import Build
from builds.querysets import active_builds, builds, read_log
from builds.services import BuildError, cancel_build, start_builds, unsent_builds
from downloads.models import Board, Release
from downloads.services.publishing import PublishError, create_release

POLL_SECONDS = 1.0


class Command(BaseCommand):
    help = (
        "Queue builds of a draft release for every enabled recipe (or some boards). With "
        "--wait, follow the logs and exit 0 only if every build succeeded."
    )

    def add_arguments(self, parser):
        parser.add_argument("version", help="the draft release to build, e.g. 5.0")
        parser.add_argument(
            "--board", action="append", default=[], metavar="SLUG", help="only this board"
        )
        parser.add_argument("--wait", action="store_true", help="follow the builds to the end")
        parser.add_argument(
            "--create", action="store_true", help="create the draft release if it is missing"
        )
        parser.add_argument(
            "--prerelease", action="store_true", help="with --create: mark it a pre-release"
        )
        parser.add_argument(
            "--cancel", action="store_true", help="cancel the release's active builds instead"
        )

    def handle(self, *args, version: str, board: list[str], wait: bool, **options):
        release = self._release(version, create=options["create"], pre=options["prerelease"])
        boards = self._boards(board)
        if options["cancel"]:
            return self._cancel(release, boards)
        try:
            result = start_builds(release=release, boards=boards, trigger=Build.Trigger.COMMAND)
        except BuildError as exc:
            raise CommandError(str(exc)) from exc  # the message names the release
        for build in result.started:
            self.stdout.write(f"queued build #{build.pk}: {build.recipe}")
        if unsent_builds(result.started):
            self.stdout.write(
                "the broker cannot be reached: the builds stay queued and are sent as soon as "
                "it answers (the builds.send_queued task)"
            )
        for recipe in result.already_active:
            self.stdout.write(f"already building: {recipe}")
        if not wait:
            return
        ids = [b.pk for b in result.started] + list(
            active_builds()
            .filter(release=release, recipe__in=result.already_active)
            .values_list("pk", flat=True)
        )
        self._follow(ids)

    def _release(self, version: str, *, create: bool, pre: bool) -> Release:
        release = Release.objects.filter(version=version).first()
        if release is None:
            if not create:
                raise CommandError(f"release {version!r} does not exist (use --create)")
            try:
                release = create_release(version=version, is_prerelease=pre)
            except PublishError as exc:
                raise CommandError(str(exc)) from exc  # the same message as the web form's
            self.stdout.write(f"created draft release {release.version}")
        return release

    def _boards(self, slugs: list[str]) -> list[Board] | None:
        if not slugs:
            return None
        found = list(Board.objects.filter(slug__in=slugs))
        missing = set(slugs) - {b.slug for b in found}
        if missing:
            raise CommandError(f"no board with slug {', '.join(sorted(missing))}")
        return found

    def _cancel(self, release: Release, boards: list[Board] | None) -> None:
        queryset = active_builds().filter(release=release)
        if boards is not None:
            queryset = queryset.filter(recipe__board__in=boards)
        for build in queryset:
            try:
                cancel_build(build=build)
            except BuildError as exc:
                self.stdout.write(str(exc))
            else:
                self.stdout.write(f"cancelling build #{build.pk}: {build.recipe}")

    def _follow(self, ids: list[int]) -> None:
        offsets = dict.fromkeys(ids, 0)
        self._partial: dict[int, str] = {}
        try:
            while True:
                current = {b.pk: b for b in builds().filter(pk__in=ids)}
                for pk in ids:
                    build = current[pk]
                    self._print_new_log(build, offsets)
                if all(not current[pk].is_active for pk in ids):
                    break
                time.sleep(POLL_SECONDS)
        except KeyboardInterrupt as exc:
            raise CommandError("stopped following; the builds go on") from exc
        failed = []
        for pk in ids:
            build = current[pk]
            line = f"build #{pk} {build.recipe}: {build.get_result_display()}"
            if build.reason:
                line += f" ({build.reason})"
            self.stdout.write(line)
            if build.result != Build.Result.SUCCEEDED:
                failed.append(build)
        if failed:
            raise CommandError(f"{len(failed)} of {len(ids)} builds did not succeed")
        self.stdout.write(self.style.SUCCESS(f"all {len(ids)} builds succeeded"))

    def _print_new_log(self, build: Build, offsets: dict[int, int]) -> None:
        prefix = f"[{build.recipe.board.slug}] "
        while offsets[build.pk] < build.log_size:
            piece = read_log(build=build, offset=offsets[build.pk])
            if piece.next_offset == offsets[build.pk]:
                break
            offsets[build.pk] = piece.next_offset
            lines = (self._partial.pop(build.pk, "") + piece.text).split("\n")
            self._partial[build.pk] = lines.pop()
            for line in lines:
                self.stdout.write(prefix + line)
        if not build.is_active and self._partial.get(build.pk):
            self.stdout.write(prefix + self._partial.pop(build.pk))
