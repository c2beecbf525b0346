"""python manage.py import_hexo DIR [--section S] [--version V] [--language L]"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from docs_app.importers import import_hexo
from docs_app.models import LATEST, Page
from docs_app.services import DocsError


class Command(BaseCommand):
    help = "Import a folder of Hexo posts as doc pages (run again to update them)."

    def create_parser(self, prog_name, subcommand, **kwargs):
        # --version names a release here; Django's own --version (its version) gives way.
        return super().create_parser(prog_name, subcommand, conflict_handler="resolve", **kwargs)

    def add_arguments(self, parser):
        parser.add_argument("directory", type=Path)
        parser.add_argument("--section", help="section slug for every post (default: guessed)")
        parser.add_argument("--version", default=LATEST, help='release version or "latest"')
        parser.add_argument(
            "--language", default=Page.Language.ENGLISH, choices=Page.Language.values
        )

    def handle(self, *args, directory: Path, section, version, language, **options):
        if not directory.is_dir():
            raise CommandError(f"{directory}: not a folder")
        try:
            report = import_hexo(
                directory=directory, section=section, version=version, language=language
            )
        except DocsError as exc:
            raise CommandError(str(exc)) from exc
        for name in report.created:
            self.stdout.write(f"created  {name}")
        for name in report.updated:
            self.stdout.write(f"updated  {name}")
        for name in report.unchanged:
            self.stdout.write(f"same     {name}")
        for error in report.errors:
            self.stderr.write(f"error    {error}")
        self.stdout.write(
            f"{len(report.created)} created, {len(report.updated)} updated, "
            f"{len(report.unchanged)} unchanged, {len(report.errors)} failed"
        )
        if report.errors:
            raise CommandError(f"{len(report.errors)} post(s) could not be imported (see above)")
