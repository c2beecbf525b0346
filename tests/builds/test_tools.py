"""A recipe declares the tools it runs; a build lacking one fails at once, naming the package."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from builds.models import Build, validate_tools
from builds.runner import execute_build
from builds.seeds import RECIPES
from builds.services import missing_tools, start_builds
from tests.builds.helpers import full_log

pytestmark = pytest.mark.django_db


def test_a_missing_tool_fails_the_build_before_the_script_runs(release, make_recipe, tmp_path):
    marker = tmp_path / "ran"
    recipe = make_recipe(
        f"touch {marker}\ncpio-xyz --version",
        tools=["true", {"command": "cpio-xyz", "package": "cpio"}],
    )
    (build,) = start_builds(release=release, recipes=[recipe]).started
    execute_build(build_id=build.pk)
    build.refresh_from_db()
    assert (build.state, build.result) == (Build.State.FINISHED, Build.Result.FAILED)
    assert build.reason == "needs cpio-xyz (Debian package cpio)"
    assert "needs cpio-xyz (Debian package cpio)" in full_log(build)
    assert not marker.exists() and build.exit_code is None


def test_every_tool_the_shipped_recipes_need_is_installed(board):
    """What `make test-tools` must install: the enabled demo recipes find all their tools."""
    from builds.models import BuildRecipe
    from builds.runner import PATH

    for specs in RECIPES.values():
        for spec in specs:
            if spec["enabled"]:
                recipe = BuildRecipe(board=board, name=spec["name"], tools=spec.get("tools", []))
                assert missing_tools(recipe=recipe, path=PATH) == [], spec["name"]


@pytest.mark.parametrize("tools", [["a/b"], [{"command": ""}], [{"cmd": "x"}], "cpio", [3]])
def test_tools_are_validated(tools):
    with pytest.raises(ValidationError):
        validate_tools(tools)
    validate_tools(["cpio", {"command": "flock", "package": "util-linux"}])
