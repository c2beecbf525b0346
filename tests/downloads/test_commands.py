"""Every checksum command a download page shows works when pasted, as a person would use it:
the files downloaded from the browser into one folder (no board sub-folders), then the command
run there with the real sha256sum."""

import html
import io
import re
import subprocess
import urllib.request
from pathlib import Path

import pytest
from django.core.management import call_command

from downloads.models import Artifact

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def demo(live_server, settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "artifacts": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "artifacts"},
        },
    }
    settings.ARTIFACT_IMPORT_DIRS = [str(tmp_path / "incoming")]
    call_command("seed_demo", "--only", "site", "--only", "downloads", stdout=io.StringIO())
    return live_server.url


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read()


def _browser_downloads(base: str, folder: Path, *, links: list[str]) -> Path:
    """Files saved in one folder under their own names, as a browser saves them."""
    folder.mkdir()
    for link in links:
        (folder / link.rsplit("/", 1)[1]).write_bytes(_get(base + link))
    return folder


def _file_links(page: str) -> list[str]:
    return re.findall(r'<a href="([^"]+)" download data-test="file-link">', page)


def _shell(command: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", "-c", command], cwd=cwd, capture_output=True, text=True, timeout=60
    )


def _copy_commands(page: str) -> list[str]:
    return [html.unescape(c) for c in re.findall(r'data-copy="([^"]*)"', page)]


def test_the_board_page_commands_work_after_a_browser_download(demo, tmp_path):
    page = _get(f"{demo}/downloads/d02/").decode()
    folder = _browser_downloads(demo, tmp_path / "Downloads", links=_file_links(page))
    commands = _copy_commands(page)
    per_file = [c for c in commands if c.startswith("echo ")]
    assert len(per_file) == len(list(folder.iterdir())) >= 4
    for command in per_file:
        result = _shell(command, folder)
        assert result.returncode == 0, (command, result.stdout, result.stderr)
        assert result.stdout.strip().endswith(": OK")
    (fetch_and_check,) = [c for c in commands if c.startswith("curl ")]
    result = _shell(fetch_and_check, folder)
    assert result.returncode == 0, (fetch_and_check, result.stdout, result.stderr)
    # The folder's list covers the board's own files; files for all boards have their own lines.
    own = [link for link in _file_links(page) if "/d02/" in link]
    assert result.stdout.count(": OK") == len(own) >= 4
    # A file that does not match fails the same commands.
    (folder / "Image").write_bytes(b"not the kernel")
    assert _shell(fetch_and_check, folder).returncode != 0


def test_the_release_page_command_works_with_the_list_it_points_to(demo, tmp_path):
    page = _get(f"{demo}/downloads/releases/3.1/").decode()
    hikey = Artifact.objects.filter(release__version="3.1", board__slug="hikey")
    links = [a.get_absolute_url() for a in hikey] + _file_links(page)  # and those for all boards
    assert all(link in page for link in links)  # the files the release page links
    folder = _browser_downloads(demo, tmp_path / "Downloads", links=links)
    (sums_link,) = re.findall(r'href="([^"]*/hikey/SHA256SUMS)"', page)
    (folder / "SHA256SUMS").write_bytes(_get(demo + sums_link))
    shown = {c for c in _copy_commands(page) if "sha256sum" in c}
    assert "sha256sum -c --ignore-missing SHA256SUMS" in shown
    in_notes = re.findall(r"<code[^>]*>([^<]*sha256sum[^<]*)</code>", page)
    for command in shown | {html.unescape(c).strip() for c in in_notes}:
        result = _shell(command, folder)
        assert result.returncode == 0, (command, result.stdout, result.stderr)
        expected = "README.txt: OK" if command.startswith("echo") else "Image: OK"
        assert expected in result.stdout
    # The release-wide list names files by folder: it is offered for mirrors, not for this.
    (folder / "SHA256SUMS").write_bytes(_get(f"{demo}/downloads/releases/3.1/SHA256SUMS"))
    assert _shell("sha256sum -c --ignore-missing SHA256SUMS", folder).returncode != 0
