"""Every field a person or a mail can fill, filled with XSS payloads, then every page that shows
them loaded once in Chromium, with the CSP and without it: no dialog opens, no injected script
runs, and no element carries an event handler or a script-bearing URL.

The content is made through the services (the way the forms and the mail server make it), so
what is tested is what the pages do with it. Many payloads share one page: titles on list pages,
comments on one bug, messages in one thread.
"""

from __future__ import annotations

import datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from pathlib import Path
from urllib.parse import urlencode

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from bugs.models import Component, Product
from bugs.services import filing
from docs_app.models import Section
from docs_app.sections import ensure_sections
from docs_app.services import save_page
from forum import services as forum
from forum.models import Category, Post, Topic
from lab.models import LabBoard, Reservation
from lab.services.caliper import Machine, upload_run
from lists.mailboxes import Entry
from lists.models import MailingList, Message
from lists.services.ingestion import archive_batch
from portal.models import Profile
from portal.services import update_profile
from tests.lab.conftest import caliper_files, make_published
from tests.payloads import XSS_PAYLOADS

# Defined before any page script: an injected payload that runs calls it.
INIT_SCRIPT = (
    "window.__xssRuns = [];"
    "window.__xss = function () { window.__xssRuns.push(location.pathname); };"
)

DOM_CHECK = (Path(__file__).parent / "hostile_dom_check.js").read_text()


def _one_line(text: str) -> str:
    return " ".join(text.replace("\x00", "").split())


def _mail(number: int, payload: str, *, parent: str | None) -> bytes:
    """A multipart message as a mail client builds it, the payload in every part of it."""
    message = EmailMessage()
    message["From"] = formataddr((_one_line(payload)[:200], f"sender{number}@example.org"))
    message["To"] = "dev@lists.example.org"
    message["Subject"] = _one_line(payload)
    message["Date"] = format_datetime(
        datetime.datetime(2024, 5, 1, 10, number % 60, tzinfo=datetime.UTC)
    )
    message["Message-ID"] = f"<hostile-{number}@example.org>"
    if parent:
        message["In-Reply-To"] = f"<{parent}>"
        message["References"] = f"<{parent}>"
    text = payload.replace("\x00", "")
    message.set_content(f"{text}\n\n{text}\n")
    message.add_alternative(f"<html><body><p>{text}</p>{text}</body></html>", subtype="html")
    message.add_attachment(
        b"\x00\x01binary", maintype="application", subtype="octet-stream",
        filename=_one_line(payload)[:200] or "x",
    )  # fmt: skip
    return message.as_bytes()


def _chunks(texts: list[str], limit: int, joiner: str = "\n\n") -> list[str]:
    """Payloads packed into pieces of at most `limit` characters (a bio, a search query)."""
    chunks, current = [], ""
    for text in texts:
        text = text[:limit]
        if current and len(current) + len(joiner) + len(text) > limit:
            chunks.append(current)
            current = ""
        current = f"{current}{joiner}{text}" if current else text
    return [*chunks, current] if current else chunks


@pytest.fixture
def hostile_site(transactional_db, settings):
    """The payloads in every field; returns the viewer and the pages to load."""
    settings.FORUM_POST_INTERVAL = 0
    settings.FORUM_NEW_USER_POST_INTERVAL = 0
    settings.FORUM_TOPICS_PER_PAGE = 200  # every title on one page
    User = get_user_model()
    # Forms refuse NUL (Django's validator); the mail parser's own tests send it.
    payloads = [p.replace("\x00", "") for p in XSS_PAYLOADS]
    pages: list[str] = []

    # No passwords: hashing 80 of them costs more than the rest; the viewer signs in by cookie.
    viewer = User.objects.create(username="viewer", email="viewer@example.org")
    EmailAddress.objects.create(user=viewer, email=viewer.email, verified=True, primary=True)
    Profile.objects.create(user=viewer, trust_level=Profile.TrustLevel.MEMBER)

    # People whose display names and bios are payloads; they write everything below.
    people = []
    bios = _chunks(payloads, 500)
    for number, payload in enumerate(payloads):
        person = User.objects.create(username=f"p{number}", email=f"p{number}@example.org")
        Profile.objects.create(user=person, trust_level=Profile.TrustLevel.MEMBER)
        update_profile(
            user=person,
            display_name=_one_line(payload)[:80],
            bio=bios[number] if number < len(bios) else payload,
        )
        people.append(person)
    pages += [f"/u/p{number}/" for number in range(min(3, len(bios)))]

    # Forum: a topic per payload (its title), and one topic holding every payload in its posts.
    category = Category.objects.create(name="Boards", slug="boards", description="All boards")
    # The titles' rows straight through the ORM (the service only cleans the title); the posts
    # below go through the service, which renders and sanitizes them.
    now = timezone.now()
    topics = Topic.objects.bulk_create(
        Topic(
            category=category,
            title=forum.clean_title(payload),
            author=person,
            created_at=now,
            last_post_at=now,
            last_poster=person,
        )
        for person, payload in zip(people, payloads, strict=True)
    )
    Post.objects.bulk_create(
        Post(topic=topic, number=1, author=topic.author, source="x", html="x", created_at=now)
        for topic in topics
    )
    Category.objects.filter(pk=category.pk).update(topic_count=len(topics), last_post_at=now)
    hub = forum.create_topic(
        user=people[0], category=category, title="Every payload", source="\n\n".join(payloads)
    )
    for person, payload in list(zip(people, payloads, strict=True))[:15]:
        forum.post_reply(user=person, topic=hub, source=f"{payload}\n\nreply")
    pages += [category.get_absolute_url(), hub.get_absolute_url()]

    # Bugs: a bug per payload (its summary), one bug with every payload as a comment and
    # an attachment named after it.
    product = Product.objects.create(name="Kernel", slug="kernel", description="The kernel.")
    component = Component.objects.create(product=product, name="Drivers", slug="drivers")
    for person, payload in zip(people, payloads, strict=True):
        filing.file_bug(reporter=person, component=component, summary=payload, description=payload)
    bug = filing.file_bug(
        reporter=people[0],
        component=component,
        summary="Every payload",
        description="\n\n".join(payloads),
    )
    for person, payload in zip(people, payloads, strict=True):
        filing.add_comment(
            bug=bug,
            author=person,
            body=payload,
            notify=False,
            attachments=[SimpleUploadedFile(payload.replace("/", "").strip() or "x", b"log\n")],
        )
    pages += [
        "/bugs/",
        "/bugs/?page=2",
        bug.get_absolute_url(),
    ]

    # The archive: one thread, every payload in a message's subject, sender, text and HTML
    # parts and attachment name, imported through the ingestion service.
    dev = MailingList.objects.create(
        name="estuary-dev", title="Estuary development", posting_address="dev@lists.example.org"
    )
    raws = [
        _mail(number, payload, parent="hostile-0@example.org" if number else None)
        for number, payload in enumerate(payloads)
    ]
    result = archive_batch(mailing_list=dev, entries=[Entry("", raw, 0) for raw in raws])
    assert result.imported == len(payloads)
    root = Message.objects.get(message_id="hostile-0@example.org")
    pages += [
        dev.get_absolute_url(),
        root.thread.get_absolute_url(),
        Message.objects.get(message_id="hostile-12@example.org").get_absolute_url(),
    ]

    # Docs: a page whose title and text are payloads.
    ensure_sections(Section)
    doc = save_page(
        section=Section.objects.get(slug="quick-start"),
        slug="hostile",
        title=_one_line(payloads[0])[:200],
        source="\n\n".join(payloads),
    )
    pages.append(doc.get_absolute_url())

    # The lab: Caliper machine descriptions (five fields a run) and a board's notes.
    from downloads.models import Board

    d05 = Board.objects.create(slug="d05", name="D05", soc="Hi1616", arch="arm64")
    release = make_published("3.1", d05, days_ago=5)
    runs = []
    for start in range(0, len(payloads), 5):
        fields = [_one_line(p)[:200] or "x" for p in payloads[start : start + 5]]
        fields += ["x"] * (5 - len(fields))
        machine = Machine(*fields)
        runs.append(
            upload_run(board=d05, release=release, machine=machine, files=caliper_files("d05-01"))
        )
    lab_board = LabBoard.objects.create(
        board=d05,
        name="D05 lab #1",
        slug="d05-lab-1",
        access_notes="\n".join(payloads),
        health_note=_one_line(payloads[1])[:300],
    )
    Reservation.objects.create(
        lab_board=lab_board,
        user=viewer,
        starts_at=now - datetime.timedelta(minutes=5),
        ends_at=now + datetime.timedelta(hours=1),
    )
    # The runs' table shows every run's CPU and kernel; a run's page shows all five fields.
    pages += ["/lab/", lab_board.get_absolute_url(), "/lab/caliper/board/d05/"]
    pages.append(runs[0].get_absolute_url())

    # Search queries, packed so that each page carries several.
    for query in _chunks([_one_line(p) for p in payloads], 200, " ")[:3]:
        pages.append("/search/?" + urlencode({"q": query}))
    pages.append("/lists/estuary-dev/search/?" + urlencode({"q": "s:" + _one_line(payloads[11])}))
    pages.append("/docs/search/?" + urlencode({"q": _one_line(payloads[12])}))
    return viewer, pages


def _visit_all(browser, live_server, viewer, pages: list[str]) -> list[str]:
    client = Client()
    client.force_login(viewer)
    from django.conf import settings

    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    context.add_init_script(INIT_SCRIPT)
    page = context.new_page()
    failures: list[str] = []
    page.on(
        "dialog",
        lambda dialog: (failures.append(f"{page.url}: a {dialog.type} opened"), dialog.dismiss()),
    )
    # The detector itself, on a page that does run a payload: it must see all three signs.
    page.set_content('<img src=x onerror="__xss()"><a href=" java&#9;script:x">x</a>')
    page.wait_for_function("window.__xssRuns.length > 0")
    found = page.evaluate(DOM_CHECK)
    assert len(found["bad"]) == 2 and found["runs"] and found["shown"], found
    try:
        for path in pages:
            response = page.goto(path)
            if response is None or response.status >= 400:
                failures.append(f"{path}: answered {response and response.status}")
                continue
            found = page.evaluate(DOM_CHECK)
            failures += [f"{path}: {what}" for what in found["bad"]]
            failures += [f"{path}: a payload ran" for _run in found["runs"]]
            if not found["shown"]:
                failures.append(f"{path}: shows no payload (nothing was tested there)")
    finally:
        context.close()
    return failures


def test_no_payload_runs_in_any_field_with_or_without_the_csp(
    browser, live_server, hostile_site, settings
):
    viewer, pages = hostile_site
    assert len(XSS_PAYLOADS) >= 60
    with_csp = _visit_all(browser, live_server, viewer, pages)
    settings.SECURE_CSP = {}
    without_csp = _visit_all(browser, live_server, viewer, pages)
    assert not with_csp, "\n".join(with_csp)
    assert not without_csp, "\n".join(without_csp)
