"""Archive fixtures: a public and a private list, people with verified addresses, mail."""

from __future__ import annotations

from email.utils import format_datetime
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model

from lists.mailboxes import Entry
from lists.models import MailingList
from lists.services.ingestion import archive_batch

ROOT = Path(__file__).resolve().parents[2]
TESTDATA = ROOT.parent / "shared" / "testdata" / "mail"
GEN_MBOX = ROOT.parent / "shared" / "bench" / "gen_mbox.py"


@pytest.fixture
def make_user(db):
    def make(username: str, *, verified: bool = True, **extra):
        user = get_user_model().objects.create_user(
            username, f"{username}@example.org", "pw-for-tests-1", **extra
        )
        EmailAddress.objects.create(
            user=user, email=f"{username}@example.org", verified=verified, primary=True
        )
        return user

    return make


@pytest.fixture
def ada(make_user):
    return make_user("ada")


@pytest.fixture
def eve(make_user):
    return make_user("eve")


@pytest.fixture
def public_list(db):
    return MailingList.objects.create(
        name="estuary-dev", title="Estuary development", posting_address="dev@lists.example.org"
    )


@pytest.fixture
def private_list(db, ada):
    mailing_list = MailingList.objects.create(
        name="security", posting_address="security@lists.example.org", is_private=True
    )
    mailing_list.members.add(ada)
    return mailing_list


def mail(
    message_id: str | None,
    *,
    subject: str = "Hello",
    sender: str = "Wei Zhang <wei@example.org>",
    references: list[str] = (),
    in_reply_to: str | None = None,
    body: str = "Some text.\n",
    day: int = 1,
    extra: str = "",
) -> bytes:
    """One plain message as a mail client writes it."""
    import datetime

    when = datetime.datetime(2016, 5, day, 10, 0, tzinfo=datetime.UTC)
    headers = [f"From: {sender}", "To: dev@lists.example.org", f"Subject: {subject}"]
    headers.append(f"Date: {format_datetime(when)}")
    if message_id:
        headers.append(f"Message-ID: <{message_id}>")
    if references:
        headers.append("References: " + " ".join(f"<{r}>" for r in references))
    if in_reply_to or references:
        headers.append(f"In-Reply-To: <{in_reply_to or references[-1]}>")
    if extra:
        headers.append(extra.rstrip("\n"))
    return ("\n".join(headers) + "\n\n" + body).encode()


@pytest.fixture
def archive():
    def put(mailing_list, *raws: bytes):
        return archive_batch(mailing_list=mailing_list, entries=[Entry("", raw, 0) for raw in raws])

    return put
