"""The seeded site the permission matrix and the CSRF guard walk (tests/portal/test_access_*.py).

One data set per test module: the demo data, one person per role, and one private thing of each
kind (a private forum category, a security bug, a private list, a draft release with a build, a
lab reservation). It is made once, inside a transaction rolled back when the module ends, and
every request runs in a savepoint rolled back after it, so that no request (a delete, a publish,
a sign-out) changes what the next one sees.
"""

from __future__ import annotations

import io
import operator
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from types import SimpleNamespace

from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import transaction
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

# The eight roles, in the order of the matrix's columns.
ROLES = (
    "anon",
    "user",
    "moderator",
    "triager",
    "doc_editor",
    "release_manager",
    "security",
    "staff",
)
# How each role is granted in this code: a Django group (names in portal/seeds.py), or the
# staff flag (staff are the site's administrators: is_staff and is_superuser, as seed_demo's admin).
ROLE_GROUPS = {
    "moderator": "moderators",
    "triager": "triagers",
    "doc_editor": "doc-editors",
    "release_manager": "release-managers",
    "security": "security",
}

# Text only the private things hold, and who may read it: a page that shows it to anyone else
# leaks, whatever its status says.
MARKERS = {
    "private_topic": "Leak marker: moderators' topic",
    "security_bug": "Leak marker: security bug",
    "private_list": "Leak marker: private list",
    "draft": "Leak marker: draft release",
}
MARKER_READERS = {
    "private_topic": {"moderator", "staff"},
    "security_bug": {"security", "staff"},
    "private_list": {"staff"},
    "draft": {"release_manager", "staff"},
}


def leaks(role: str, response) -> list[str]:
    """The private things a response shows to a role that may not read them."""
    if response.status_code != 200 or getattr(response, "streaming", False):
        return []
    body = response.content.decode(errors="replace")
    return [
        what for what, text in MARKERS.items() if role not in MARKER_READERS[what] and text in body
    ]


@dataclass(frozen=True)
class Route:
    name: str  # namespaced, as reverse() takes it
    pattern: str


def walk_urls() -> list[Route]:
    """Every named URL pattern of the site, app namespaces and the ninja API included."""
    found: dict[str, Route] = {}

    def walk(resolver: URLResolver, prefix: str, namespace: str | None) -> None:
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                inner = entry.namespace
                joined = f"{namespace}:{inner}" if namespace and inner else inner or namespace
                walk(entry, prefix + str(entry.pattern), joined)
            elif isinstance(entry, URLPattern) and entry.name:
                name = f"{namespace}:{entry.name}" if namespace else entry.name
                found.setdefault(name, Route(name, prefix + str(entry.pattern)))

    walk(get_resolver(), "", None)
    return sorted(found.values(), key=lambda r: r.name)


def K(**paths: str | int) -> Callable[[SimpleNamespace], dict]:
    """URL kwargs taken from the seeded objects: K(pk="security_bug.pk") or a literal."""

    def fill(objects: SimpleNamespace) -> dict:
        return {
            key: operator.attrgetter(value)(objects) if isinstance(value, str) else value
            for key, value in paths.items()
        }

    return fill


def literal(**values: str | int) -> Callable[[SimpleNamespace], dict]:
    return lambda _objects: values


def outcome(response) -> str:
    """A response as the matrix writes it: the status, or where a redirect goes."""
    status = response.status_code
    if status in (301, 302, 303, 307, 308):
        location = response["Location"]
        if location.startswith(reverse("account_login")):
            return "login"
        if location.startswith("/admin/login/"):
            return "adminlogin"
    return str(status)


def seed(tmp_path_factory) -> SimpleNamespace:
    """Demo data, the role people and the private things; returns what URLs are filled from."""
    from allauth.account.models import EmailAddress
    from django.contrib.auth import get_user_model

    from bugs.models import Bug, SavedSearch
    from bugs.services import filing
    from builds.models import BootTest, Build, BuildRecipe
    from docs_app.models import Page, PageRevision
    from downloads.models import Release
    from forum.models import Category, Post, Topic
    from lab.models import CaliperRun, LabBoard, Reservation
    from lists.models import MailingList, Message
    from portal.models import Notification, Profile
    from portal.notifications import unsubscribe_token
    from portal.services import create_api_token

    call_command("seed_demo", stdout=io.StringIO())
    user_model = get_user_model()
    people = {}
    for role in ROLES[1:]:
        person = user_model.objects.create_user(
            f"role-{role.replace('_', '-')}",
            f"{role}@example.org",
            "pw-for-tests-1",
            is_staff=role == "staff",
            is_superuser=role == "staff",
        )
        EmailAddress.objects.create(user=person, email=person.email, verified=True, primary=True)
        Profile.objects.update_or_create(
            user=person, defaults={"trust_level": Profile.TrustLevel.MEMBER}
        )
        if role in ROLE_GROUPS:
            person.groups.add(Group.objects.get(name=ROLE_GROUPS[role]))
        people[role] = person
    stranger = user_model.objects.create_user("stranger", "stranger@example.org", "pw-2")

    # Private things, none of them the roles' own (but the reservation, which is user's).
    private_category = Category.objects.get(slug="moderators")
    private_topic = Topic.objects.filter(category=private_category).first()
    if private_topic is None:
        from forum import services as forum_services

        private_topic = forum_services.create_topic(
            user=people["staff"],
            category=private_category,
            title="Moderators only",
            source="Not for everyone.",
        )
    private_post = Post.objects.filter(topic=private_topic).order_by("pk").first()
    Topic.objects.filter(pk=private_topic.pk).update(title=MARKERS["private_topic"])

    security_bug = Bug.objects.order_by("pk").first()
    Bug.objects.filter(pk=security_bug.pk).update(
        is_security=True, reporter=stranger, summary=MARKERS["security_bug"]
    )
    security_bug.refresh_from_db()
    attachment = filing.add_attachment(
        bug=security_bug,
        uploader=stranger,
        upload=SimpleUploadedFile("dmesg.txt", b"secret log\n", content_type="text/plain"),
    )
    saved_search = SavedSearch.objects.create(user=people["user"], name="Mine", query="q=d05")

    private_list = MailingList.objects.get(name="estuary-announce")
    MailingList.objects.filter(pk=private_list.pk).update(is_private=True)
    Message.objects.filter(mailing_list=private_list).update(subject=MARKERS["private_list"])
    private_message = Message.objects.filter(mailing_list=private_list).order_by("pk").first()

    draft = Release.objects.create(version="9.0", title=MARKERS["draft"], status="draft")
    published = Release.objects.filter(status="published").order_by("-published_at").first()
    artifact = published.artifacts.filter(board__isnull=False).select_related("board").first()
    build = Build.objects.create(recipe=BuildRecipe.objects.first(), release=draft)
    boot = BootTest.objects.create(build=build)

    lab_board = LabBoard.objects.order_by("pk").first()
    start = timezone.now() + timedelta(days=2)
    reservation = Reservation.objects.create(
        lab_board=lab_board,
        user=people["user"],
        starts_at=start,
        ends_at=start + timedelta(hours=2),
    )
    runs = list(CaliperRun.objects.select_related("board", "release").order_by("pk"))

    page = Page.objects.filter(release__isnull=True).select_related("section").first()
    revision = PageRevision.objects.filter(page=page).order_by("number").first()
    notification = Notification.objects.create(
        recipient=people["user"], verb="replied", url="/forum/", target_title="A topic"
    )
    token, _secret = create_api_token(user=people["user"], name="matrix")
    return SimpleNamespace(
        people=people,
        user=people["user"],
        private_category=private_category,
        private_topic=private_topic,
        private_post=private_post,
        security_bug=security_bug,
        attachment=attachment,
        saved_search=saved_search,
        private_list=private_list,
        private_message=private_message,
        private_thread_pk=private_message.thread_id if private_message else 0,
        draft=draft,
        published=published,
        artifact=artifact,
        build=build,
        boot=boot,
        lab_board=lab_board,
        reservation=reservation,
        run=runs[0],
        run2=runs[-1],
        page=page,
        page_version=page.version,
        revision_number=revision.number if revision else 1,
        notification=notification,
        unsubscribe=unsubscribe_token(user_id=people["user"].pk),
        token=token,
        sums="SHA256SUMS",
        caliper_source="score",
    )


@dataclass
class Site:
    objects: SimpleNamespace
    clients: dict[str, Client]
    csrf_clients: dict[str, Client]  # with the real CSRF check (the test client skips it)

    def request(self, role: str, method: str, url: str, *, csrf: bool = False, **extra) -> object:
        """One request as the role, rolled back after; the client's cookies too (a sign-out)."""
        client = (self.csrf_clients if csrf else self.clients)[role]
        cookies = client.cookies
        client.cookies = type(cookies)(cookies)
        with transaction.atomic():
            response = getattr(client, method.lower())(url, **extra)
            transaction.set_rollback(True)
        client.cookies = cookies
        return response


def seeded_site(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[Site]:
    """The body of a module-scoped fixture: the seeded site, rolled back when the module ends."""
    storage = tmp_path_factory.mktemp("access")
    with (
        django_db_blocker.unblock(),
        override_settings(
            RATE_LIMITS_ENABLED=False,
            ARTIFACT_IMPORT_DIRS=[str(storage / "incoming")],
            MEDIA_ROOT=str(storage / "media"),
            BUGS_ATTACHMENT_ROOT=storage / "bug-attachments",
        ),
    ):
        from django.utils.functional import empty

        from bugs.models import attachment_storage

        attachment_storage._wrapped = empty  # built again on the temporary root
        outer = transaction.atomic()
        outer.__enter__()
        try:
            objects = seed(tmp_path_factory)
            clients, csrf_clients = {}, {}
            for role in ROLES:
                clients[role] = Client()
                csrf_clients[role] = Client(enforce_csrf_checks=True)
                if role != "anon":
                    clients[role].force_login(objects.people[role])
                    csrf_clients[role].force_login(objects.people[role])
            yield Site(objects=objects, clients=clients, csrf_clients=csrf_clients)
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            attachment_storage._wrapped = empty
