"""Demo data: the lists an ARM64 community has, each with a small archive made by the
project's generator (bench/mailgen.py), imported through the one ingestion service."""

from __future__ import annotations

from collections.abc import Callable

from bench.mailgen import generate
from lists.mailboxes import Entry
from lists.models import MailingList
from lists.services.ingestion import archive_batch

DOMAIN = "lists.estuary.example"
LISTS = [
    (
        "estuary-dev",
        "Estuary development",
        "Patches and design talk for Estuary's firmware, kernels and build system.",
        160,
    ),
    ("estuary-announce", "Estuary announcements", "Releases and news, low traffic.", 12),
    (
        "estuary-users",
        "Estuary users",
        "Questions and answers from people running Estuary on their boards.",
        90,
    ),
]


def seed_lists(say: Callable[[str], None]) -> None:
    for name, title, description, count in LISTS:
        mailing_list, _created = MailingList.objects.get_or_create(
            name=name,
            defaults={
                "title": title,
                "description": description,
                "posting_address": f"{name}@{DOMAIN}",
            },
        )
        entries = [
            Entry(envelope, raw, 0)
            for envelope, raw in generate(count, seed=7, list_name=name, domain=DOMAIN)
        ]
        result = archive_batch(mailing_list=mailing_list, entries=entries)
        say(f"List {name}: {result.imported} messages archived ({result.skipped} there already)")
