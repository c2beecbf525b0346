"""Reading the archive: list page, months, thread tree and flat view, permalinks, senders
shown to signed-in readers only, replies by mail, feeds; bounded query counts."""

from __future__ import annotations

import re
from urllib.parse import unquote

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse

from bench.mailgen import write_mbox
from lists.models import MailingList, Message, Thread
from lists.services.ingestion import import_paths
from tests.readers import account_name, filled, from_cache, signed_in

from .conftest import mail

pytestmark = pytest.mark.django_db

VERIFY = "Verify an e-mail address in your account to reply from here."

PATCH = """Fix the link state.

> Old text one
> Old text two
> Old text three
> Old text four
Short answer.
> one quoted line

diff --git a/drivers/net/hns.c b/drivers/net/hns.c
--- a/drivers/net/hns.c
+++ b/drivers/net/hns.c
@@ -1,2 +1,2 @@
-\told_call(dev);
+\tnew_call(dev);
"""


@pytest.fixture
def thread(public_list, archive):
    archive(
        public_list,
        mail("root@x", subject="[PATCH] hns: fix <link>", body=PATCH, day=2),
        mail("r1@x", subject="Re: [PATCH] hns: fix <link>", references=["root@x"], day=3),
        mail("r2@x", subject="Re: [PATCH] hns: fix <link>", references=["root@x", "r1@x"], day=4),
    )
    return Thread.objects.get(mailing_list=public_list)


def test_list_page_shows_threads_counts_and_months(client, public_list, thread):
    page = client.get(public_list.get_absolute_url()).content.decode()
    assert "[PATCH] hns: fix &lt;link&gt;" in page
    assert "1 thread" in page and "3 messages" in page
    month = reverse("lists:month", args=[public_list.name, 2016, 5])
    assert month in page
    month_page = client.get(month).content.decode()
    assert thread.get_absolute_url() in month_page
    assert client.get(reverse("lists:month", args=[public_list.name, 2016, 13])).status_code == 404
    assert client.get(public_list.get_absolute_url() + "?page=9").status_code == 404


def test_thread_tree_flat_view_quotes_and_patch(client, public_list, thread):
    page = client.get(thread.get_absolute_url()).content.decode()
    assert page.count('data-test="mail"') == 3
    assert re.search(r'class="depth-0".*class="depth-1".*class="depth-2"', page, re.S)
    # Four quoted lines fold without JavaScript; a single one is shown as it is.
    assert '<details class="quote"><summary>4 quoted lines</summary>' in page
    assert '<span class="quoted">&gt; one quoted line</span>' in page
    assert '<span class="gi">+\tnew_call(dev);</span>' in page
    assert '<span class="gd">-\told_call(dev);</span>' in page
    flat = client.get(thread.get_absolute_url() + "?view=flat").content.decode()
    assert flat.count('class="depth-0"') == 3


def test_permalink_raw_and_reply_links(client, public_list, thread):
    message = Message.objects.get(message_id="r1@x")
    url = reverse("lists:message", args=[public_list.name, "r1@x"])
    assert url == "/lists/estuary-dev/m/r1@x/"
    page = client.get(url).content.decode()
    mailto = re.search(r'href="(mailto:[^"]+)"', page).group(1)
    assert mailto.startswith("mailto:dev@lists.example.org?")
    decoded = unquote(mailto.replace("&amp;", "&"))
    assert "In-Reply-To=<r1@x>" in decoded
    assert "References=<root@x> <r1@x>" in decoded
    assert "subject=Re: [PATCH] hns: fix <link>" in decoded
    assert (
        "git send-email --in-reply-to=&#x27;&lt;r1@x&gt;&#x27; --to=dev@lists.example.org" in page
    )
    assert client.get(url + "raw").content == bytes(message.raw)


def test_message_ids_with_slashes_and_odd_characters(client, public_list, archive):
    archive(public_list, mail("a/b?c#d%e@x", subject="Odd id"))
    message = Message.objects.get(message_id="a/b?c#d%e@x")
    response = client.get(message.get_absolute_url())
    assert response.status_code == 200 and b"Odd id" in response.content
    assert client.get(message.get_absolute_url() + "raw").status_code == 200


def test_sender_addresses_for_signed_in_readers_only(client, public_list, thread, ada):
    url = reverse("lists:message", args=[public_list.name, "root@x"])
    page = client.get(url).content.decode()
    assert "wei@example.org" not in page and "wei(a)example.org" not in page
    assert "Wei Zhang" in page
    assert "--cc" not in page
    assert "wei@example.org" not in client.get(thread.get_absolute_url()).content.decode()
    client.force_login(ada)
    page = client.get(url).content.decode()
    assert "wei(a)example.org" in page and "wei@example.org" not in page.replace(
        "--cc=wei@example.org", ""
    )


def test_feeds(client, public_list, thread):
    feed = client.get(reverse("lists:list_feed", args=[public_list.name])).content.decode()
    assert feed.count("<entry>") == 3 and "wei@example.org" not in feed
    feed = client.get(reverse("lists:thread_feed", args=[public_list.name, thread.pk]))
    assert feed.content.decode().count("<entry>") == 3


def test_index_lists_and_empty_list(client, public_list):
    MailingList.objects.create(name="empty", posting_address="empty@lists.example.org")
    page = client.get(reverse("lists:index")).content.decode()
    assert "estuary-dev" in page and "empty" in page
    assert client.get(reverse("lists:list", args=["empty"])).status_code == 200


@pytest.fixture
def big_list(db, tmp_path):
    mailing_list = MailingList.objects.create(name="big", posting_address="big@lists.example.org")
    path = tmp_path / "big.mbox"
    write_mbox(str(path), 600, seed=5)
    import_paths(mailing_list=mailing_list, paths=[path])
    return mailing_list


PAGE_BOUND = 9  # session and user where signed in, the list, counts, threads, months …, and
# on a thread page, whether a signed-in reader watches it (its content type, once per process)


def test_query_counts_do_not_grow_with_data(
    client, public_list, thread, big_list, ada, django_assert_max_num_queries
):
    big_thread = Thread.objects.filter(mailing_list=big_list).order_by("-message_count").first()
    assert big_thread.message_count >= 15
    for user in (None, ada):
        if user:
            client.force_login(user)
        for mailing_list, one_thread in ((public_list, thread), (big_list, big_thread)):
            message = Message.objects.filter(thread=one_thread).first()
            for url in (
                reverse("lists:index"),
                mailing_list.get_absolute_url(),
                one_thread.get_absolute_url(),
                one_thread.get_absolute_url() + "?view=flat",
                message.get_absolute_url(),
                reverse("lists:search", args=[mailing_list.name]) + "?q=kernel+f:wei",
            ):
                with django_assert_max_num_queries(PAGE_BOUND):
                    assert client.get(url).status_code == 200, url


def test_members_share_a_message_page_each_with_their_own_way_to_reply(
    public_list, thread, ada, make_user, django_assert_max_num_queries
):
    """A public list's message reads the same for every member of a kind but for the reply box:
    the web reply for a member with a verified address, how to get one for the others."""
    una = make_user("una", verified=False)
    url = reverse("lists:message", args=[public_list.name, "r1@x"])
    assert not from_cache(signed_in(una).get(url))  # rendered, and kept for members
    reader = signed_in(ada)
    reader.get(url)  # her own part made, and kept for her
    with django_assert_max_num_queries(0):
        page = reader.get(url)
    assert from_cache(page)
    html = page.content.decode()
    assert account_name(html) == "ada" and filled(html)
    assert 'data-test="web-reply"' in html and "wei(a)example.org" in html
    una_client = signed_in(una)
    theirs = una_client.get(url)
    assert from_cache(theirs) and account_name(theirs.content.decode()) == "una"
    assert (
        VERIFY in theirs.content.decode() and 'data-test="web-reply"' not in theirs.content.decode()
    )

    # Her address verified (as the confirmation link does it): her next copy offers the reply.
    address = EmailAddress.objects.get(user=una)
    address.verified = True
    address.save()
    again = una_client.get(url).content.decode()
    assert 'data-test="web-reply"' in again and VERIFY not in again
