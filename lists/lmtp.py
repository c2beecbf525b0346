"""The LMTP server a mail server (Postfix's lmtp transport, say) delivers list mail to, as
Mailman's core does: each recipient must be a list's posting address; each delivered message
goes through the one ingestion service, and LMTP answers once per recipient (RFC 2033)."""

from __future__ import annotations

import asyncio
import logging

from aiosmtpd.lmtp import LMTP
from django.db import close_old_connections

from lists.models import MailingList
from lists.services.ingestion import ArchiveError, archive_message

logger = logging.getLogger(__name__)


def find_list(address: str) -> MailingList | None:
    address = address.strip().strip("<>").lower()
    found = MailingList.objects.filter(posting_address__iexact=address).first()
    if found is None:
        found = MailingList.objects.filter(name=address.partition("@")[0]).first()
    return found


def _deliver(list_ids: list[int], raw: bytes) -> list[str]:
    close_old_connections()
    statuses = []
    try:
        for list_id in list_ids:
            mailing_list = MailingList.objects.get(pk=list_id)
            try:
                archive_message(mailing_list=mailing_list, raw=raw)
            except ArchiveError as exc:
                statuses.append(f"554 5.6.0 {exc}"[:500])
            except Exception:
                logger.exception("LMTP delivery to %s failed", mailing_list.name)
                statuses.append("451 4.3.0 archiving failed, try again later")
            else:
                statuses.append("250 2.0.0 archived")
    finally:
        close_old_connections()
    return statuses


def _lookup(address: str) -> int | None:
    close_old_connections()
    found = find_list(address)
    return found.pk if found else None


class ArchiveHandler:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        list_id = await asyncio.to_thread(_lookup, address)
        if list_id is None:
            return f"550 5.1.1 <{address}>: no such list here"
        envelope.rcpt_tos.append(address)
        envelope.list_ids = [*getattr(envelope, "list_ids", []), list_id]
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        # The wire's CRLF line ends become LF, as mail is kept in mbox and Maildir.
        raw = raw.replace(b"\r\n", b"\n")
        statuses = await asyncio.to_thread(_deliver, list(envelope.list_ids), raw)
        return "\r\n".join(statuses)


async def serve(host: str, port: int) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: LMTP(ArchiveHandler(), data_size_limit=50 * 1024 * 1024, enable_SMTPUTF8=True),
        host=host,
        port=port,
    )
    async with server:
        await server.serve_forever()
