"""Import mailboxes into a list's archive: mbox (mboxrd or mboxo, gzipped or not), Maildir
folders and single messages. Batched, resumable: run it again and it imports nothing twice."""

import datetime
import os
import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from lists.models import MailingList
from lists.services.ingestion import BATCH_SIZE, ArchiveError, import_paths


class Command(BaseCommand):
    help = (
        "Import mail into LIST from each PATH: an mbox file (.gz too), a Maildir folder or a "
        "single message. Messages already archived (same bytes) are skipped."
    )

    def add_arguments(self, parser):
        parser.add_argument("list", help="the list's name")
        parser.add_argument("paths", nargs="+", type=Path, metavar="PATH")
        parser.add_argument(
            "--since", type=datetime.date.fromisoformat, help="skip mail dated before YYYY-MM-DD"
        )
        parser.add_argument("--format", choices=["mboxrd", "mboxo"], default="mboxrd")
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)
        parser.add_argument(
            "--workers",
            type=int,
            default=min(os.cpu_count() or 1, 4),
            help="processes that parse mail (1: parse in this process)",
        )
        parser.add_argument("--no-progress", action="store_true")

    def handle(
        self, *args, list, paths, since, format, batch_size, workers, no_progress, **options
    ):
        mailing_list = MailingList.objects.filter(name=list).first()
        if mailing_list is None:
            raise CommandError(f"no mailing list is called {list!r}")
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        started = time.monotonic()
        show = not no_progress and options.get("verbosity", 1) > 0

        def progress(done, total, result):
            if not show:
                return
            elapsed = max(time.monotonic() - started, 1e-6)
            percent = 100 * done / total if total else 100
            sys.stderr.write(
                f"\r{percent:5.1f}%  {result.imported} imported, {result.skipped} skipped, "
                f"{result.imported / elapsed:,.0f} messages/s"
            )
            sys.stderr.flush()

        try:
            result = import_paths(
                mailing_list=mailing_list,
                paths=paths,
                flavour=format,
                since=since,
                batch_size=batch_size,
                workers=workers,
                progress=progress,
            )
        except ArchiveError as exc:
            raise CommandError(str(exc)) from exc
        if show:
            sys.stderr.write("\n")
        elapsed = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"{mailing_list.name}: {result.imported} messages imported, {result.skipped} "
                f"skipped (archived already or before --since), {result.noted} with notes, "
                f"in {elapsed:.1f}s."
            )
        )
