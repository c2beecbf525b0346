"""Archive one message read on standard input: for a mail server's pipe transport."""

import sys

from django.core.management.base import BaseCommand, CommandError

from lists.models import MailingList
from lists.services.ingestion import ArchiveError, archive_message


class Command(BaseCommand):
    help = "Archive the message on standard input in LIST (e.g. from an MTA pipe)."

    def add_arguments(self, parser):
        parser.add_argument("list", help="the list's name")

    def handle(self, *args, list, **options):
        mailing_list = MailingList.objects.filter(name=list).first()
        if mailing_list is None:
            raise CommandError(f"no mailing list is called {list!r}")
        raw = sys.stdin.buffer.read()
        try:
            message = archive_message(mailing_list=mailing_list, raw=raw)
        except ArchiveError as exc:
            raise CommandError(str(exc)) from exc
        if message is None:
            self.stdout.write(f"{list}: this message is archived already.")
        else:
            self.stdout.write(f"{list}: archived <{message.message_id}>.")
