"""The catalogue under load, and file throughput through Django against a plain static server.

- Requests/s of the catalogue pages and API with 20 boards × 40 releases × 30 files per board
  (24,000 artifacts), next to /healthz in the same run.
- A 1 GiB file downloaded with curl through Django (gunicorn; whole file, and the second half
  with a Range request) and from `python -m http.server` serving the same folder in the same
  run. The figure is the ratio of Django's throughput to the static server's.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
from pathlib import Path

from bench.common import (
    _wait_for_port,
    best_download,
    free_port,
    gunicorn,
    ratio,
    requests_per_second,
    setup_django,
)

BOARDS, RELEASES, FILES = 20, 40, 30
BIG_SIZE = 1024**3
WRK_SECONDS = 5
DOWNLOAD_RUNS = 3


def bulk_catalogue(*, boards: int, releases: int, files: int, prefix: str) -> None:
    """Boards × published releases × files per board, straight into the tables (bulk inserts).

    Names are `<prefix>-NN` for boards and releases; every file row points to one stored name,
    as only the rows matter to the pages. Also used by the tests of the query counts.
    """
    from django.db import transaction
    from django.utils import timezone

    from downloads.models import Artifact, Board, Distribution, Release

    with transaction.atomic():
        dist, _ = Distribution.objects.get_or_create(slug="debian", defaults={"name": "Debian"})
        board_rows = Board.objects.bulk_create(
            Board(
                slug=f"{prefix}-{i:02d}",
                name=f"{prefix.title()} board {i}",
                soc="Hi1616",
                vendor="HiSilicon",
                summary="A board of the benchmark catalogue.",
                specs={"CPU": "64 × Cortex-A72", "Memory": "256 GB"},
                order=200 + i,
            )
            for i in range(boards)
        )
        now = timezone.now()
        release_rows = Release.objects.bulk_create(
            Release(
                version=f"{prefix}-{i:02d}",
                title=f"Release {i}",
                status=Release.Status.PUBLISHED,
                published_at=now - timezone.timedelta(days=releases - i),
                release_date=(now - timezone.timedelta(days=releases - i)).date(),
                notes_html=f"<p>Release {i} of the benchmark catalogue.</p>",
            )
            for i in range(releases)
        )
        kinds = Artifact.Kind.values
        Artifact.objects.bulk_create(
            (
                Artifact(
                    release=release,
                    board=board,
                    distribution=dist if f % 4 == 0 else None,
                    kind=kinds[f % len(kinds)],
                    filename=f"file-{f:02d}.bin",
                    file="bench/shared.bin",
                    size=4096 + f,
                    sha256=hashlib.sha256(f"{release.pk}-{board.pk}-{f}".encode()).hexdigest(),
                )
                for release in release_rows
                for board in board_rows
                for f in range(files)
            ),
            batch_size=2000,
        )


def catalogue(*, boards: int = BOARDS, releases: int = RELEASES, files: int = FILES) -> None:
    """The bench catalogue (`bench-NN` boards and releases), made once per bench database and
    anew when its size differs. Only the catalogue's own names are replaced: other benches
    make `bench-…` boards of their own (the bug tracker's are protected by its bugs)."""
    from django.db import transaction

    from downloads.models import Artifact, Board, Release

    ours = r"^bench-[0-9]+$"
    have = Artifact.objects.filter(board__slug__regex=ours, release__version__regex=ours)
    if have.count() == boards * releases * files:
        return
    with transaction.atomic():
        Release.objects.filter(version__regex=ours).delete()
        Board.objects.filter(slug__regex=ours).delete()
        bulk_catalogue(boards=boards, releases=releases, files=files, prefix="bench")


def _big_file() -> tuple[str, Path]:
    """A 1 GiB file in artifact storage as a published release's file; returns its URL path."""
    from django.conf import settings
    from django.db import transaction
    from django.utils import timezone

    from downloads.models import Artifact, Board, Release

    name = "bench-big/bench-00/estuary-1g.img"
    path = Path(settings.ARTIFACTS_ROOT) / name
    if not path.exists() or path.stat().st_size != BIG_SIZE:
        path.parent.mkdir(parents=True, exist_ok=True)
        block = os.urandom(1024 * 1024)
        with path.open("wb") as out:
            for _ in range(BIG_SIZE // len(block)):
                out.write(block)
    sha_file = path.with_suffix(".sha256")
    if not sha_file.exists() or sha_file.stat().st_mtime < path.stat().st_mtime:
        from downloads.services.artifacts import hash_file

        sha_file.write_text(hash_file(path).sha256)
    with transaction.atomic():
        release, _ = Release.objects.get_or_create(
            version="bench-big",
            defaults={"status": Release.Status.PUBLISHED, "published_at": timezone.now()},
        )
        Artifact.objects.update_or_create(
            release=release,
            board=Board.objects.get(slug="bench-00"),
            filename="estuary-1g.img",
            defaults={"file": name, "size": BIG_SIZE, "sha256": sha_file.read_text().strip()},
        )
    return "/downloads/releases/bench-big/bench-00/estuary-1g.img", path


def _static_server(folder: Path):
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "http.server",
            str(port),
            "--bind",
            "127.0.0.1",
            "--directory",
            str(folder),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    _wait_for_port(port)
    return process, f"http://127.0.0.1:{port}"


def run() -> dict:
    setup_django()
    catalogue()
    file_path, big = _big_file()
    from django.conf import settings

    pages = {
        "board_grid": "/downloads/",
        "board_grid_filtered": "/downloads/?distribution=debian&support=supported",
        "board_page": "/downloads/bench-07/",
        "releases": "/downloads/releases/",
        "release_matrix": "/downloads/releases/bench-20/",
        "api_board_latest": "/api/v1/boards/bench-07/latest/",
        "sha256sums": "/downloads/releases/bench-20/bench-07/SHA256SUMS",
    }
    figures: dict = {
        "catalogue": {"boards": BOARDS, "releases": RELEASES, "files_per_board": FILES}
    }
    with gunicorn() as url:
        for path in pages.values():  # warm the caches and the connections once
            subprocess.run(["curl", "-sSf", "-o", "/dev/null", url + path], check=True, timeout=60)
        healthz = requests_per_second(f"{url}/healthz", seconds=WRK_SECONDS)
        figures["healthz"] = healthz
        for label, path in pages.items():
            result = requests_per_second(url + path, seconds=WRK_SECONDS)
            result["vs_healthz"] = ratio(result, healthz)
            figures[label] = result
        django_full = best_download(url + file_path, runs=DOWNLOAD_RUNS)
        django_range = best_download(
            url + file_path, byte_range=f"{BIG_SIZE // 2}-", runs=DOWNLOAD_RUNS
        )
    static, static_url = _static_server(Path(settings.ARTIFACTS_ROOT))
    try:
        static_full = best_download(
            f"{static_url}/{big.relative_to(settings.ARTIFACTS_ROOT)}", runs=DOWNLOAD_RUNS
        )
    finally:
        os.killpg(static.pid, signal.SIGTERM)
        static.wait(timeout=30)
    assert django_full["bytes"] == BIG_SIZE and django_full["status"] == 200
    assert django_range["bytes"] == BIG_SIZE // 2 and django_range["status"] == 206
    assert static_full["bytes"] == BIG_SIZE
    figures["download_1GiB"] = {
        "django_whole_file": django_full,
        "django_range_second_half": django_range,
        "static_server_whole_file": static_full,
        "ratio_django_to_static": ratio(django_full, static_full, key="bytes_per_second"),
        "ratio_django_range_to_static": ratio(django_range, static_full, key="bytes_per_second"),
    }
    return figures
