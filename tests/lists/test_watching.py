"""The archive on other pages and in the notification centre: a board's page shows the public
threads that name the board; readers watch a thread and hear of mail archived into it."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from downloads.models import Board
from lists.models import Thread
from lists.services.ingestion import archive_message, import_paths
from portal.models import Notification
from portal.registry import registry

from .conftest import mail

pytestmark = pytest.mark.django_db


def _board_page(client, slug: str) -> tuple[str, int]:
    cache.clear()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("downloads:board", args=[slug]))
    assert response.status_code == 200
    return response.content.decode(), len(captured.captured_queries)


def test_a_board_page_shows_the_public_threads_naming_it(
    client, public_list, private_list, archive
):
    Board.objects.create(slug="d05", name="D05", soc="Hip07", vendor="HiSilicon", order=1)
    Board.objects.create(slug="hikey960", name="HiKey 960", soc="Kirin 960", order=2)
    archive(
        public_list,
        mail("a@x", subject="D05 does not boot <from SATA>", day=1),
        mail("a1@x", subject="Re: D05 does not boot <from SATA>", references=["a@x"], day=5),
        mail("b@x", subject="Kernel 4.9 regression", body="Seen on a d05 only.\n", day=2),
        mail("c@x", subject="USB on the HiKey 960", day=3),
        mail("d@x", subject="HiKey and 960 other things", day=4),
    )
    archive(private_list, mail("p@x", subject="D05 firmware embargo", day=6))

    page, queries = _board_page(client, "d05")
    assert 'data-test="board-lists"' in page
    assert "D05 does not boot &lt;from SATA&gt;" in page
    assert (
        reverse(
            "lists:thread",
            args=[
                public_list.name,
                Thread.objects.get(mailing_list=public_list, subject__startswith="D05").pk,
            ],
        )
        in page
    )
    assert "2 messages" in page
    assert "Kernel 4.9 regression" not in page  # named in the body only
    assert "embargo" not in page  # a private list's thread
    assert "HiKey" not in page

    hikey, _queries = _board_page(client, "hikey960")  # by the board's name, as a phrase
    assert "USB on the HiKey 960" in hikey and "other things" not in hikey

    # One query more than the page without the panel, and none once kept in the cache.
    panel = registry.page_panels.pop("board:lists")
    try:
        _page, without = _board_page(client, "d05")
    finally:
        registry.page_panels["board:lists"] = panel
    assert queries <= without + 1
    with CaptureQueriesContext(connection) as kept:
        client.get(reverse("downloads:board", args=["d05"]))
    cache_free = len(kept.captured_queries)
    assert cache_free <= without

    # New mail shows at once (the archive's generation is the panel's version).
    archive(public_list, mail("e@x", subject="D05 BMC update", day=7))
    assert "D05 BMC update" in client.get(reverse("downloads:board", args=["d05"])).content.decode()

    # No thread names the board: no panel.
    Board.objects.create(slug="qemu", name="QEMU", soc="virt", order=3)
    qemu, _queries = _board_page(client, "qemu")
    assert 'data-test="board-lists"' not in qemu


@pytest.fixture
def watched(public_list, archive):
    archive(public_list, mail("root@x", subject="GIC ITS on D05", day=1))
    return Thread.objects.get(mailing_list=public_list)


def test_readers_watch_a_thread_and_hear_of_new_mail(
    client, public_list, watched, ada, eve, make_user, tmp_path
):
    url = watched.get_absolute_url()
    watch = reverse("lists:watch_thread", args=[public_list.name, watched.pk])
    assert "Watch this thread" not in client.get(url).content.decode()  # signed out
    assert client.post(watch, {"action": "watch"}).status_code == 302  # to the sign-in page
    client.force_login(ada)
    assert 'value="watch"' in client.get(url).content.decode()
    assert client.post(watch, {"action": "sideways"}).status_code == 400
    response = client.post(watch, {"action": "watch"})
    assert response.status_code == 302 and response["Location"] == url
    page = client.get(url).content.decode()
    assert "Stop watching" in page and 'value="unwatch"' in page
    # Eve watches too, and writes to the list from her verified address: not told of her own.
    client.force_login(eve)
    client.post(watch, {"action": "watch"})

    reply = archive_message(
        mailing_list=public_list,
        raw=mail("reply@x", subject="Re: GIC ITS on D05", sender="Eve <EVE@example.org>",
                 references=["root@x"], body="The ITS needs a quirk.\n", day=2),
    )  # fmt: skip
    told = Notification.objects.get()
    assert told.recipient == ada and told.actor == eve and told.verb == "list_message"
    assert told.url == reverse("lists:message", args=[public_list.name, reply.message_id])
    assert told.target_title == "GIC ITS on D05"

    # A message starting another thread tells nobody; stopping watching stops the news.
    archive_message(mailing_list=public_list, raw=mail("other@x", subject="Other", day=3))
    client.force_login(ada)
    inbox = client.get(reverse("notifications:inbox")).content.decode()
    assert "<strong>eve</strong> wrote in “GIC ITS on D05”" in inbox
    client.post(watch, {"action": "unwatch"})
    assert "Watch this thread" in client.get(url).content.decode()
    archive_message(
        mailing_list=public_list,
        raw=mail("reply2@x", subject="Re: GIC ITS on D05", references=["root@x"], day=4),
    )
    assert list(
        Notification.objects.order_by("pk").values_list("recipient__username", flat=True)
    ) == [
        "ada",
        "eve",
    ]

    # An import of old mail notifies nobody.
    mbox = tmp_path / "old.mbox"
    mbox.write_bytes(
        b"From x Mon Jan  1 00:00:00 2016\n"
        + mail("old@x", subject="Re: GIC", references=["root@x"])
        + b"\n"
    )
    import_paths(mailing_list=public_list, paths=[mbox])
    assert Notification.objects.count() == 2


def test_private_threads_are_watched_by_members_only(client, private_list, archive, ada, eve):
    archive(private_list, mail("s@x", subject="Embargoed fix", day=1))
    thread = Thread.objects.get(mailing_list=private_list)
    watch = reverse("lists:watch_thread", args=[private_list.name, thread.pk])
    client.force_login(eve)
    assert client.post(watch, {"action": "watch"}).status_code == 404
    client.force_login(ada)
    client.post(watch, {"action": "watch"})
    private_list.members.remove(ada)  # she left the list: she hears nothing more of it
    archive_message(
        mailing_list=private_list,
        raw=mail("s2@x", subject="Re: Embargoed fix", references=["s@x"], day=2),
    )
    assert not Notification.objects.exists()
