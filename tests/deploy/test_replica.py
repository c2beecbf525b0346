"""The database router: read-only pages read from the replica, writes and what follows them
from the primary, migrations on the primary only.

`replica` here is a second connection to the same PostgreSQL test database, as Django's
TEST MIRROR makes it. Inside the test's own transaction (the `db` fixture) the replica's
connection cannot see uncommitted rows, as a lagging replica could not: a read that went there
instead of the primary after a write misses the write.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.contrib.auth import get_user_model
from django.db import connections, router
from django.http import HttpResponse
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bugs.models import Bug, Component, Product
from bugs.services import filing
from portal.replica import PIN_COOKIE, REPLICA, ReplicaMiddleware


@pytest.fixture(scope="module", autouse=True)
def replica_alias(django_db_setup, django_db_blocker) -> Iterator[None]:
    """A `replica` alias on the test database, set before each test's database access is."""
    with django_db_blocker.unblock():
        connections.settings[REPLICA] = {
            **connections["default"].settings_dict,
            "TEST": {"MIRROR": "default"},
        }
    yield
    with django_db_blocker.unblock():
        connections[REPLICA].close()
    del connections[REPLICA]
    del connections.settings[REPLICA]


@pytest.fixture(autouse=True)
def routed(settings):
    settings.DATABASE_ROUTERS = ["portal.replica.ReplicaRouter"]
    settings.MIDDLEWARE = [settings.MIDDLEWARE[0], "portal.replica.ReplicaMiddleware",
                           *settings.MIDDLEWARE[1:]]  # fmt: skip


def _component() -> Component:
    product = Product.objects.create(name="Kernel", slug="kernel")
    return Component.objects.create(product=product, name="Drivers", slug="drivers")


@pytest.mark.django_db(databases=["default", REPLICA])
def test_a_read_only_page_reads_from_the_replica(client):
    with (
        CaptureQueriesContext(connections["default"]) as primary,
        CaptureQueriesContext(connections[REPLICA]) as replica,
    ):
        page = client.get(reverse("bugs:index"))
    assert page.status_code == 200
    assert len(replica) > 0 and len(primary) == 0, [q["sql"] for q in primary]
    assert PIN_COOKIE not in page.cookies
    # Writes and migrations belong to the primary, whatever asks.
    assert router.db_for_write(Bug) == "default"
    assert router.allow_migrate("default", "bugs") and not router.allow_migrate(REPLICA, "bugs")


@pytest.mark.django_db(databases=["default", REPLICA])
def test_a_request_that_writes_reads_its_write_from_the_primary(client):
    """Inside the test's transaction the replica cannot see the new rows: every read of them
    must have gone to the primary."""
    component = _component()
    reporter = get_user_model().objects.create_user("rita", "rita@example.org", "pw-1-rita")
    seen: list[str] = []

    def view(request):  # writes, then reads in the same request
        bug = filing.file_bug(
            summary="Fresh", reporter=reporter, component=component, description="It drops."
        )
        seen.append(Bug.objects.get(pk=bug.pk).summary)
        return HttpResponse("ok")

    response = ReplicaMiddleware(view)(RequestFactory().get("/"))
    assert seen == ["Fresh"]
    assert response.cookies[PIN_COOKIE]["max-age"] == 10  # the next pages read the primary too

    # Through the site: a comment's POST, then the page it redirects to, which a replica that
    # has not caught up would not show (the cookie keeps the reader on the primary).
    bug = Bug.objects.get(summary="Fresh")
    client.force_login(reporter)
    answer = client.post(
        reverse("bugs:comment", args=[bug.pk]), {"body": "Seen at once."}, follow=True
    )
    assert answer.status_code == 200 and "Seen at once." in answer.content.decode()
    client.cookies.pop(PIN_COOKIE)
    with CaptureQueriesContext(connections[REPLICA]) as replica:
        assert client.get(reverse("bugs:index")).status_code == 200
    assert len(replica) > 0  # unpinned, a read-only page goes to the replica again
