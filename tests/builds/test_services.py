"""Build services and the runner, run in this process: starting, ending, logs, reaping, nightly."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import storages
from django.db import IntegrityError, transaction
from django.utils import timezone

from builds.models import Build, BuildRecipe, validate_output_patterns
from builds.querysets import read_log, release_build_summary
from builds.runner import execute_build
from builds.services import (
    BuildError,
    cancel_build,
    maybe_autopublish,
    nightly_version,
    reap_stale_builds,
    start_builds,
    start_nightly_builds,
)
from downloads.models import Artifact, Release
from tests.builds.helpers import full_log, workspaces

pytestmark = pytest.mark.django_db


def run(build: Build) -> Build:
    execute_build(build_id=build.pk)
    build.refresh_from_db()
    return build


def start_one(release, recipe) -> Build:
    (build,) = start_builds(release=release, recipes=[recipe]).started
    return build


def test_one_active_build_per_recipe_and_release_is_enforced_by_the_database(release, make_recipe):
    recipe = make_recipe("true")
    Build.objects.create(recipe=recipe, release=release)
    with pytest.raises(IntegrityError), transaction.atomic():
        Build.objects.create(recipe=recipe, release=release, state=Build.State.RUNNING)
    Build.objects.update(state=Build.State.FINISHED, result=Build.Result.FAILED)
    Build.objects.create(recipe=recipe, release=release)  # a retry once it has ended


def test_a_result_is_known_exactly_when_the_build_has_finished(release, make_recipe):
    recipe = make_recipe("true")
    with pytest.raises(IntegrityError), transaction.atomic():
        Build.objects.create(recipe=recipe, release=release, result=Build.Result.SUCCEEDED)
    with pytest.raises(IntegrityError), transaction.atomic():
        Build.objects.create(recipe=recipe, release=release, state=Build.State.FINISHED)


def test_start_builds_every_enabled_recipe_once(release, make_recipe, other_board):
    first = make_recipe("true")
    second = make_recipe("true", board=other_board)
    make_recipe("true", enabled=False)
    result = start_builds(release=release)
    assert {b.recipe for b in result.started} == {first, second}
    assert all(b.state == "queued" and b.result == "unknown" for b in result.started)
    again = start_builds(release=release)
    assert again.started == [] and set(again.already_active) == {first, second}
    only = start_builds(release=release, boards=[other_board])
    assert only.already_active == [second]


def test_start_refuses_what_it_cannot_build(release, make_recipe, board, other_board):
    make_recipe("true")
    with pytest.raises(BuildError, match="no enabled build recipe for board otherboard"):
        start_builds(release=release, boards=[other_board])
    # A release that is no longer a draft (here withdrawn) takes no new files.
    Release.objects.filter(pk=release.pk).update(
        status=Release.Status.WITHDRAWN, withdrawn_at=timezone.now()
    )
    with pytest.raises(BuildError, match="draft releases only"):
        start_builds(release=release)
    assert not Build.objects.exists()


def test_cancelling_a_queued_build_ends_it_and_a_finished_one_is_refused(release, make_recipe):
    build = start_one(release, make_recipe("true"))
    build = cancel_build(build=build)
    assert (build.state, build.result) == ("finished", "cancelled")
    with pytest.raises(BuildError, match="already finished"):
        cancel_build(build=build)
    assert execute_build(build_id=build.pk) == "skipped"


def test_cancelling_a_build_whose_worker_is_gone_ends_it_at_once(release, make_recipe):
    build = start_one(release, make_recipe("true"))
    Build.objects.filter(pk=build.pk).update(
        state="running", heartbeat_at=timezone.now() - timedelta(hours=1)
    )
    build = cancel_build(build=build)
    assert (build.state, build.result) == ("finished", "cancelled")
    assert "stopped reporting" in build.reason


def test_progress_lines_and_a_utf8_log_read_back_by_byte_offsets(release, make_recipe):
    recipe = make_recipe(
        'for i in 1 2 3; do echo "步骤 $i — ünïcödé"; done\n'
        'echo "::progress 42"\nprintf "no newline at the end"\nexit 1\n'
    )
    build = run(start_one(release, recipe))
    assert (build.result, build.progress, build.exit_code) == ("failed", 42, 1)
    log = full_log(build)
    assert "步骤 2 — ünïcödé\n" in log and "no newline at the end\n::result failed" in log
    assert build.log_size == len(log.encode())
    # Read in small pieces, as the page does: the pieces add up to the whole log.
    pieces, offset = [], 0
    while offset < build.log_size:
        piece = read_log(build=build, offset=offset, limit=7)
        assert piece.next_offset > offset
        pieces.append(piece.text)
        offset = piece.next_offset
    assert "".join(pieces) == log
    # An offset inside a character starts at the next whole one.
    inside = log.encode().index("步".encode()) + 1
    assert read_log(build=build, offset=inside).text.startswith("骤 1")
    assert read_log(build=build, offset=10**9).text == ""


def test_a_missing_output_fails_the_build_but_an_optional_one_does_not(release, make_recipe):
    recipe = make_recipe(
        'echo x > "$OUTPUT_DIR/Image"',
        patterns=["Image", {"pattern": "*.dtb", "optional": True}],
    )
    assert run(start_one(release, recipe)).result == "succeeded"
    strict = make_recipe('echo x > "$OUTPUT_DIR/Image"', patterns=["Image", "*.dtb"])
    build = run(start_one(release, strict))
    assert build.result == "failed" and build.reason == "no file in $OUTPUT_DIR matches '*.dtb'"
    assert not build.artifacts.exists() and workspaces(build) == []


def test_an_output_that_is_a_symlink_is_refused(release, make_recipe):
    recipe = make_recipe('ln -s /etc/passwd "$OUTPUT_DIR/passwd"')
    build = run(start_one(release, recipe))
    assert build.result == "failed" and "symbolic links" in build.reason
    assert not Artifact.objects.exists()


def test_a_rebuild_replaces_the_files_of_the_earlier_build(release, make_recipe, tmp_path):
    counter = tmp_path / "n"
    recipe = make_recipe(f'echo run >> {counter}\ncat {counter} > "$OUTPUT_DIR/Image"')
    first = run(start_one(release, recipe))
    second = run(start_one(release, recipe))
    assert (first.result, second.result) == ("succeeded", "succeeded")
    (artifact,) = Artifact.objects.filter(release=release)
    assert artifact.sha256 == hashlib.sha256(b"run\nrun\n").hexdigest()
    assert list(second.artifacts.all()) == [artifact] and not first.artifacts.exists()


def test_an_attachment_that_fails_fails_the_build_and_attaches_nothing(release, make_recipe):
    run(start_one(release, make_recipe('echo a > "$OUTPUT_DIR/grub.cfg"')))
    clash = make_recipe('echo b > "$OUTPUT_DIR/other.txt"\necho c > "$OUTPUT_DIR/grub.cfg"')
    build = run(start_one(release, clash))
    assert build.result == "failed"
    assert "could not be attached" in build.reason and "grub.cfg" in build.reason
    assert list(Artifact.objects.values_list("filename", flat=True)) == ["grub.cfg"]


def test_a_log_past_its_limit_is_truncated_and_the_build_goes_on(release, make_recipe, settings):
    settings.BUILD_LOG_MAX_BYTES = 10_000
    recipe = make_recipe('seq -f "a chatty line %g" 5000\necho ok > "$OUTPUT_DIR/out.txt"')
    build = run(start_one(release, recipe))
    assert build.result == "succeeded"
    assert build.log_size < 10_000 + 200
    assert "::log truncated at 10000 bytes" in full_log(build)


def test_the_reaper_ends_silent_and_forgotten_builds_only(release, make_recipe, other_board):
    silent = start_one(release, make_recipe("true"))
    fresh = start_one(release, make_recipe("true", board=other_board))
    forgotten = start_one(release, make_recipe("true", name="forgotten"))
    long_ago = timezone.now() - timedelta(hours=2)
    Build.objects.filter(pk=silent.pk).update(
        state="running", heartbeat_at=long_ago, worker_host="gone.example.org"
    )
    Build.objects.filter(pk=fresh.pk).update(state="running", heartbeat_at=timezone.now())
    Build.objects.filter(pk=forgotten.pk).update(created_at=timezone.now() - timedelta(days=2))
    assert sorted(reap_stale_builds()) == sorted([silent.pk, forgotten.pk])
    silent.refresh_from_db()
    forgotten.refresh_from_db()
    fresh.refresh_from_db()
    assert (silent.result, fresh.state, forgotten.result) == ("failed", "running", "failed")
    assert "gone.example.org stopped reporting" in silent.reason
    assert "no worker took the build" in forgotten.reason


def test_nightly_builds_a_prerelease_once_a_night(release, make_recipe, other_board):
    make_recipe('echo x > "$OUTPUT_DIR/a.txt"')
    make_recipe('echo y > "$OUTPUT_DIR/b.txt"', board=other_board)
    night = timezone.now().replace(hour=2)
    result = start_nightly_builds(when=night)
    nightly = Release.objects.get(version=nightly_version(when=night))
    assert nightly.is_prerelease and nightly.status == Release.Status.DRAFT
    assert len(result.started) == 2
    assert {b.trigger for b in result.started} == {Build.Trigger.NIGHTLY}
    assert start_nightly_builds(when=night).started == []
    for build in result.started:
        assert run(build).result == "succeeded"
    assert release_build_summary(release=nightly).all_succeeded


def test_a_nightly_release_publishes_itself_when_every_build_succeeded(make_recipe):
    make_recipe('echo x > "$OUTPUT_DIR/a.txt"')
    (build,) = start_nightly_builds().started
    run(build)
    nightly = Release.objects.get(pk=build.release_id)
    assert nightly.status == Release.Status.PUBLISHED
    assert not maybe_autopublish(release_id=nightly.pk)


def test_a_release_built_by_hand_never_publishes_itself(release, make_recipe):
    Release.objects.filter(pk=release.pk).update(is_prerelease=True)
    run(start_one(release, make_recipe('echo x > "$OUTPUT_DIR/a.txt"')))
    assert not maybe_autopublish(release_id=release.pk)
    release.refresh_from_db()
    assert release.status == Release.Status.DRAFT


@pytest.mark.parametrize(
    ("patterns", "message"),
    [
        ([], "non-empty"),
        (["/etc/*"], "relative glob"),
        (["../*"], "relative glob"),
        ([{"pattern": "*.dtb", "kind": "nonsense"}], "unknown kind"),
        ([{"pattern": "*.dtb", "colour": "red"}], "unknown keys"),
        ([42], "neither a glob"),
    ],
)
def test_output_patterns_are_validated(patterns, message):
    with pytest.raises(ValidationError, match=message):
        validate_output_patterns(patterns)
    validate_output_patterns(["Image", {"pattern": "*.dtb", "kind": "dtb", "optional": True}])


def test_recipes_cannot_have_a_zero_timeout(board):
    with pytest.raises(IntegrityError):
        BuildRecipe.objects.create(board=board, name="x", script="true", timeout_seconds=0)


def test_the_demo_recipe_builds_real_boot_files(release):
    from builds.seeds import seed_recipes
    from downloads.seeds import seed_catalogue

    seed_catalogue(lambda _: None)
    seed_recipes(lambda _: None)
    seed_recipes(lambda _: None)  # idempotent
    assert (
        BuildRecipe.objects.filter(board__slug="qemu", name="debian-rootfs").get().enabled is False
    )
    d05 = BuildRecipe.objects.get(board__slug="d05", name="boot-files")
    build = run(start_one(release, d05))
    assert build.result == "succeeded", full_log(build)
    files = {a.filename: a for a in build.artifacts.all()}
    assert set(files) == {
        "grub.cfg", "startup-d05.nsh", "d05.dtb", "rootfs-d05.tar.gz", "MANIFEST-d05.txt",
    }  # fmt: skip
    assert files["d05.dtb"].kind == Artifact.Kind.DEVICE_TREE
    storage = storages["artifacts"]
    with storage.open(files["d05.dtb"].file.name) as dtb:
        assert dtb.read(4) == bytes.fromhex("d00dfeed")  # the flattened device tree magic
    with storage.open(files["MANIFEST-d05.txt"].file.name) as manifest:
        text = manifest.read().decode()
    for name in ("grub.cfg", "d05.dtb", "rootfs-d05.tar.gz"):
        assert f"name: {name}" in text and files[name].sha256 in text


def test_the_schedule_runs_the_reaper_and_the_nightly_builds(settings):
    from portal.celery import app

    app.loader.import_default_modules()
    schedule = settings.CELERY_BEAT_SCHEDULE
    for name in ("builds-reap", "builds-nightly"):
        assert schedule[name]["task"] in app.tasks
