"""Generations of the archive (see portal.caching): one per list, bumped by ingestion on commit.

Every cached page part of a list (its thread list, a thread's body) carries its list's number in
its key, so new mail shows at once and stale keys expire by themselves.
"""

from __future__ import annotations

from portal.caching import Generation

SITE = Generation("lists")  # what spans lists: the index, the home block


def list_generation(list_id: int) -> Generation:
    return Generation(f"lists:{list_id}")


def bump_list_generation_on_commit(mailing_list) -> None:
    list_generation(mailing_list.pk).bump_on_commit()
    SITE.bump_on_commit()
