"""Demo data for a living site: every section registers its own seeder (AppConfig.ready)."""

from django.core.management.base import BaseCommand, CommandError

from portal.registry import registry


class Command(BaseCommand):
    help = "Create or refresh the demo data of every section. Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument(
            "--only", action="append", default=[], help="run only these seeders (by name)"
        )

    def handle(self, *args, only: list[str], **options):
        seeders = registry.sorted_seeders()
        unknown = set(only) - {s.name for s in seeders}
        if unknown:
            raise CommandError(f"Unknown seeder(s): {', '.join(sorted(unknown))}")
        for seeder in seeders:
            if only and seeder.name not in only:
                continue
            self.stdout.write(f"Seeding {seeder.name}…")
            try:
                seeder.run(self.stdout.write)
            except Exception as exc:
                raise CommandError(f"Seeder {seeder.name!r} failed: {exc}") from exc
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
