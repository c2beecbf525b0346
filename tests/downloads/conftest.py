"""Fixtures of the catalogue's tests: storage in a temporary folder, boards, releases, files."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from downloads.models import Board, Distribution, Release
from downloads.querysets import RELEASE_MANAGERS
from downloads.services.artifacts import add_artifact_from_path, guess_kind
from downloads.services.publishing import create_release, publish_release
from tests.conftest import stop_gpg_agent


@pytest.fixture(autouse=True)
def storage(settings, tmp_path) -> Iterator[Path]:
    """Artifacts and the folders files may be imported from, under this test's tmp_path."""
    root = tmp_path / "artifacts"
    settings.STORAGES = {
        **settings.STORAGES,
        "artifacts": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": root, "base_url": "/downloads/files/"},
        },
    }
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    settings.ARTIFACT_IMPORT_DIRS = [str(incoming)]
    settings.SIGNING_KEY_ID = ""
    # A home of its own (short: gpg-agent's socket lives there), made by whoever needs a key.
    gnupg_parent = Path(tempfile.mkdtemp(prefix="gpg-", dir="/tmp"))
    settings.GNUPG_HOME = str(gnupg_parent / "home")
    settings.DOWNLOADS_X_ACCEL_PREFIX = ""
    yield root
    stop_gpg_agent(gnupg_parent / "home")
    shutil.rmtree(gnupg_parent, ignore_errors=True)


@pytest.fixture
def verifier(tmp_path) -> Iterator[Callable[..., subprocess.CompletedProcess]]:
    """`verifier(key, sums, signature)`: `gpg --verify` of a checksum list and its signature, in
    a fresh keyring that knows only `key` (the published one), as a downloader checks them.
    Status lines on stdout; `check=False` for a signature expected to fail."""
    home = tmp_path / "verifier"
    home.mkdir(mode=0o700)
    imported: set[bytes] = set()

    def verify(key: bytes, sums: bytes, signature: bytes, *, check: bool = True):
        if key not in imported:
            (tmp_path / "KEY.asc").write_bytes(key)
            run("gpg", "--homedir", str(home), "--batch", "--import", str(tmp_path / "KEY.asc"))
            imported.add(key)
        (tmp_path / "SHA256SUMS").write_bytes(sums)
        (tmp_path / "SHA256SUMS.asc").write_bytes(signature)
        return run(
            "gpg", "--homedir", str(home), "--batch", "--status-fd", "1", "--verify",
            str(tmp_path / "SHA256SUMS.asc"), str(tmp_path / "SHA256SUMS"), check=check,
        )  # fmt: skip

    yield verify
    stop_gpg_agent(home)


@pytest.fixture
def incoming(settings) -> Path:
    return Path(settings.ARTIFACT_IMPORT_DIRS[0])


@pytest.fixture
def boards(db) -> dict[str, Board]:
    d02 = Board.objects.create(slug="d02", name="D02", soc="Hip05", vendor="HiSilicon", order=1)
    hikey = Board.objects.create(
        slug="hikey", name="HiKey", soc="Kirin 620", order=2, support_level="community"
    )
    return {"d02": d02, "hikey": hikey}


@pytest.fixture
def ubuntu(db) -> Distribution:
    return Distribution.objects.create(slug="ubuntu", name="Ubuntu", version="16.04")


MakeRelease = Callable[..., Release]


@pytest.fixture
def make_release(incoming) -> MakeRelease:
    """make_release("3.1", {"d02/Image": b"...", "common/README": b"..."}, publish=True)."""

    def make(
        version: str,
        files: dict[str, bytes],
        *,
        publish: bool = True,
        prerelease: bool = False,
        distribution: Distribution | None = None,
    ) -> Release:
        release = create_release(version=version, is_prerelease=prerelease, notes="Notes.")
        for path, data in files.items():
            folder, name = path.split("/")
            source = incoming / version / folder / name
            source.parent.mkdir(parents=True, exist_ok=True)
            source.write_bytes(data)
            board = None if folder == "common" else Board.objects.get(slug=folder)
            add_artifact_from_path(
                release=release,
                path=source,
                board=board,
                kind=guess_kind(name),
                distribution=distribution,
            )
        if publish:
            release = publish_release(release=release)
        return release

    return make


@pytest.fixture
def release_manager(db):
    user = get_user_model().objects.create_user("rm", "rm@example.org", "pw-for-tests-1")
    user.groups.add(Group.objects.get_or_create(name=RELEASE_MANAGERS)[0])
    return user


def run(*args: str, cwd: Path | None = None, check: bool = True, env=None):
    return subprocess.run(
        list(args), cwd=cwd, capture_output=True, text=True, check=check, env=env, timeout=120
    )
