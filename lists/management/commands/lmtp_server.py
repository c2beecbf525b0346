"""Serve LMTP for the lists: point the mail server's list transport here."""

import asyncio
import contextlib
import signal

from django.core.management.base import BaseCommand

from lists.lmtp import serve


class Command(BaseCommand):
    help = "Receive list mail over LMTP (RFC 2033) and archive it."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8024)

    def handle(self, *args, host, port, **options):
        self.stdout.write(f"LMTP server listening on {host}:{port}")
        self.stdout.flush()

        async def main():
            task = asyncio.ensure_future(serve(host, port))
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, task.cancel)
            with contextlib.suppress(asyncio.CancelledError):
                await task

        asyncio.run(main())
