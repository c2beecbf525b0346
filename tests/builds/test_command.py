"""`manage.py build_release`: start, follow and judge builds from the command line."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from builds.models import Build
from downloads.models import Release


def build_release(*args: str) -> str:
    out = StringIO()
    call_command("build_release", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_bad_arguments_name_what_is_wrong(release, make_recipe):
    make_recipe("true")
    with pytest.raises(CommandError, match=re.escape("release '0.0' does not exist")):
        build_release("0.0")
    with pytest.raises(CommandError, match="no board with slug nope"):
        build_release("9.9", "--board", "nope")
    assert not Build.objects.exists()


@pytest.mark.django_db
def test_create_and_cancel(make_recipe):
    make_recipe("true")
    out = build_release("10.0-rc1", "--create", "--prerelease")
    assert "created draft release 10.0-rc1" in out and "queued build #" in out
    assert Release.objects.get(version="10.0-rc1").is_prerelease
    assert "already building" in build_release("10.0-rc1")
    assert "cancelling build #" in build_release("10.0-rc1", "--cancel")
    assert Build.objects.get().result == "cancelled"


@pytest.mark.django_db(transaction=True)
def test_wait_follows_the_logs_and_exits_by_the_result(
    celery_worker, release, make_recipe, other_board
):
    make_recipe('echo "first line"\necho "second line"\necho x > "$OUTPUT_DIR/a.txt"')
    out = build_release("9.9", "--board", "testboard", "--wait")
    assert "[testboard] first line\n[testboard] second line\n" in out
    assert "all 1 builds succeeded" in out
    make_recipe('echo "broken"; exit 4', board=other_board)
    with pytest.raises(CommandError, match="1 of 2 builds did not succeed"):
        build_release("9.9", "--wait")
    assert Build.objects.filter(result="failed").count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("version", ["5.6 beta", "latest", "../5.6"])
def test_a_bad_version_gets_the_forms_message(make_recipe, version):
    make_recipe("true")
    with pytest.raises(CommandError, match="a version is letters, digits"):
        build_release(version, "--create")
    assert not Release.objects.exists() and not Build.objects.exists()


@pytest.mark.django_db
def test_a_published_release_is_named_once(make_recipe, release):
    make_recipe("true")
    Release.objects.filter(pk=release.pk).update(
        status="withdrawn", withdrawn_at="2026-01-01T00:00Z"
    )
    with pytest.raises(CommandError) as error:
        build_release(release.version)
    assert str(error.value).count(release.version) == 1, error.value
