"""Starting builds while the broker is unreachable (a real URL where nothing listens): the
builds stay queued in the outbox, nobody gets an error page, and they leave once it is back."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from builds.models import Build
from builds.services import send_unsent_builds
from portal.celery import app
from tests.builds.helpers import wait_finished
from tests.conftest import broker_down

pytestmark = pytest.mark.django_db(transaction=True)  # the messages leave on commit


@pytest.fixture
def rm_client(client, release_manager):
    client.force_login(release_manager)
    return client


def test_a_build_started_while_the_broker_is_down_leaves_when_it_is_back(
    celery_worker, rm_client, release, make_recipe
):
    make_recipe('echo x > "$OUTPUT_DIR/a.txt"')
    with broker_down():
        response = rm_client.post(
            reverse("builds:start"), {"release": release.version}, follow=True
        )
        assert response.status_code == 200
        assert "cannot be reached right now" in response.content.decode()
        build = Build.objects.get()
        assert build.state == Build.State.QUEUED and build.message_sent_at is None
        assert send_unsent_builds(older_than=timedelta(0)) == []  # still down: kept
    assert send_unsent_builds(older_than=timedelta(0)) == [build.pk]
    build = wait_finished(build)
    assert build.result == Build.Result.SUCCEEDED and build.message_sent_at is not None
    assert send_unsent_builds(older_than=timedelta(0)) == []


def test_the_command_says_the_builds_wait_for_the_broker(release, make_recipe):
    recipe = make_recipe("true")
    out = StringIO()
    with broker_down():
        call_command("build_release", release.version, stdout=out)
    assert "queued build #" in out.getvalue() and "broker" in out.getvalue()
    assert Build.objects.get(recipe=recipe).message_sent_at is None


def test_the_resend_is_scheduled(settings):
    app.loader.import_default_modules()
    entry = settings.CELERY_BEAT_SCHEDULE["builds-send-queued"]
    assert entry["task"] in app.tasks and entry["schedule"] <= 60
