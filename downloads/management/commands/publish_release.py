"""Publish the files of a folder as a release, from a script. Idempotent."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from downloads.models import Board, Distribution
from downloads.services.artifacts import ArtifactError
from downloads.services.publishing import PublishError, publish_directory


class Command(BaseCommand):
    help = (
        "Publish release VERSION from the files in DIR (which must lie in ARTIFACT_IMPORT_DIRS). "
        "Without --board, DIR's files are common to all boards and each sub-folder named after "
        "a board holds that board's files. Run twice, the second run changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("version")
        parser.add_argument("--from-dir", required=True, type=Path, dest="directory")
        parser.add_argument("--board", help="board slug: all files of DIR are this board's")
        parser.add_argument("--distribution", help="distribution slug of all the files")
        parser.add_argument("--title", default="")
        parser.add_argument("--notes-file", type=Path, help="release notes (Markdown)")
        parser.add_argument("--prerelease", action="store_true")

    def handle(self, *args, version, directory, board, distribution, **options):
        board_obj = self._lookup(Board, board, "board")
        distribution_obj = self._lookup(Distribution, distribution, "distribution")
        notes = ""
        if options["notes_file"]:
            try:
                notes = options["notes_file"].read_text()
            except OSError as exc:
                raise CommandError(f"{options['notes_file']}: {exc.strerror}") from exc
        try:
            outcome = publish_directory(
                version=version,
                directory=directory,
                board=board_obj,
                distribution=distribution_obj,
                title=options["title"],
                notes=notes,
                is_prerelease=options["prerelease"],
            )
        except (PublishError, ArtifactError) as exc:
            raise CommandError(str(exc)) from exc
        if not outcome.changed:
            self.stdout.write(f"Release {version} is already published with these files.")
            return
        for path in outcome.added:
            self.stdout.write(f"  {version}/{path}")
        self.stdout.write(
            self.style.SUCCESS(f"Release {version} published with {len(outcome.added)} files.")
        )
        if not outcome.release.signatures:
            self.stderr.write(self.style.WARNING(unsigned_warning(version)))

    def _lookup(self, model, slug, what):
        if not slug:
            return None
        found = model.objects.filter(slug=slug).first()
        if found is None:
            raise CommandError(f"no {what} is called {slug!r}")
        return found


def unsigned_warning(version: str) -> str:
    return (
        f"Warning: release {version} is published unsigned (no SHA256SUMS.asc): there is no "
        "signing key. Run `python manage.py signing_key create` to sign the next ones."
    )
