"""Serving files and pages as production does: against nginx, and a worker's memory over time.

    python -m bench serving [--scale small|full]

- Downloads, measured against Debian's nginx serving the same 1 GiB file in the same run: a
  release file (random bytes) published through the site's own services; each path downloaded
  with curl (best of a few, to /dev/null) and once more read and hashed here, so every figure
  is of the right bytes. Paths: nginx as a static file (the floor); Django under gunicorn, whole
  file and a Range resume from the middle; nginx proxying to Django with X-Accel-Redirect, whole
  and the same Range. Each is reported as MiB/s and as a ratio of nginx's own. Small Range
  requests (4 KiB from the middle, wrk at concurrency 8) give requests/s on the same paths.
- Uploads and imports stream: the VmRSS of the gunicorn worker taking a release manager's
  upload of the 1 GiB file (sampled every 50 ms), and the peak RSS of `manage.py import_mbox`
  over a generated mbox of 1 GiB and one of 1/8 of it (../shared/bench/gen_mbox.py): memory
  independent of the input's size.
- Memory: the VmRSS of each gunicorn worker before and after 100,000 requests of a mix of pages
  (home, a board page, a release page, a doc page, a forum topic, the API's latest release),
  sampled every 10,000 requests; and sampled every 50 ms while a worker streams the 1 GiB file.

The pages come from the bench community (`python -m bench.generate --scale small`, with
BENCH_DATABASE naming its database). BENCH_REDIS_URL, when set, is the Redis the bench uses;
BENCH_SERVING_REQUESTS shortens the memory run; BENCH_SERVING_PARTS=uploads,imports (of
downloads, uploads, imports, requests) runs some parts only; BENCH_IMPORT_BYTES sets the large
mbox's size. On a shared machine absolute figures move with
the other load: the ratios within one run are what compare.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.common import (
    _wait_for_port,
    bench_env,
    best_download,
    free_port,
    gunicorn,
    ratio,
    session_cookie,
    setup_django,
    warm,
)

BIG_SIZE = 1024**3
BLOCK = 1024 * 1024
VERSION = "bench-serving-1g"
FILENAME = "estuary-1g.img"
HALF = BIG_SIZE // 2
DOWNLOAD_RUNS = 2
SLICE = (HALF + BIG_SIZE // 4, HALF + BIG_SIZE // 4 + 4095)  # a small Range from the middle
WRK_SECONDS = 5
REQUESTS = int(os.environ.get("BENCH_SERVING_REQUESTS", "100000"))
SAMPLE_EVERY = REQUESTS // 10
CONNECTIONS = 8
PARTS = os.environ.get("BENCH_SERVING_PARTS", "downloads,uploads,imports,requests").split(",")
IMPORT_BYTES = int(os.environ.get("BENCH_IMPORT_BYTES", str(BIG_SIZE)))
UPLOAD_VERSION = "bench-serving-upload"
IMPORT_LIST = "bench-import"
GEN_MBOX = Path(__file__).resolve().parents[1].parent / "shared" / "bench" / "gen_mbox.py"
X_ACCEL_PREFIX = "/protected-artifacts/"

NGINX_CONF = """
daemon off;
user root;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    upstream estuary_web {{
        server {upstream};
        keepalive 32;
    }}
    server {{
        listen 127.0.0.1:{port};
        # The floor: nginx sending the file straight from disk, as it sends static files.
        location /floor/ {{
            alias {artifacts}/;
            sendfile on;
            tcp_nopush on;
        }}
        # As deploy/nginx/estuary.conf: reached only through Django's X-Accel-Redirect.
        location {x_accel} {{
            internal;
            alias {artifacts}/;
            sendfile on;
            tcp_nopush on;
        }}
        location / {{
            proxy_pass http://estuary_web;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
        }}
    }}
}}
"""

# --- The file ---------------------------------------------------------------------------------


def _published_file() -> tuple[str, Path, str]:
    """A 1 GiB release file published with the site's services (once per bench database):
    its URL path, where it is on disk, and its sha256."""
    from django.conf import settings

    from downloads.models import Artifact, Board, Release
    from downloads.services.artifacts import add_artifact_from_path
    from downloads.services.publishing import create_release, publish_release

    board, _ = Board.objects.get_or_create(
        slug="bench-serving", defaults={"name": "Serving board", "soc": "Hi1616", "order": 999}
    )
    artifact = Artifact.objects.filter(
        release__version=VERSION, release__status=Release.Status.PUBLISHED, filename=FILENAME
    ).first()
    path = Path(settings.ARTIFACTS_ROOT) / artifact.file.name if artifact else None
    if artifact is None or not path.is_file() or path.stat().st_size != BIG_SIZE:
        Release.objects.filter(version=VERSION).delete()  # a run cut short: start again
        source = Path(settings.ARTIFACT_IMPORT_DIRS[0]) / VERSION / FILENAME
        source.parent.mkdir(parents=True, exist_ok=True)
        with source.open("wb") as out:  # random bytes: nothing along the way may compress them
            for _ in range(BIG_SIZE // BLOCK):
                out.write(os.urandom(BLOCK))
        try:
            release = create_release(version=VERSION, notes="A 1 GiB file for the serving bench.")
            artifact = add_artifact_from_path(release=release, path=source, board=board)
            publish_release(release=release)  # verifies the stored bytes against the digest
        finally:
            source.unlink(missing_ok=True)
        path = Path(settings.ARTIFACTS_ROOT) / artifact.file.name
    url = f"/downloads/releases/{VERSION}/{board.slug}/{FILENAME}"
    return url, path, artifact.sha256


def _sha256_of(path: Path, start: int, length: int) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        stream.seek(start)
        while length > 0:
            block = stream.read(min(BLOCK, length))
            if not block:
                break
            digest.update(block)
            length -= len(block)
    return digest.hexdigest()


# --- Servers ----------------------------------------------------------------------------------


@contextmanager
def _nginx(artifacts: Path, upstream: str) -> Iterator[str]:
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(binary).exists():
        raise RuntimeError("nginx is missing (Debian package nginx)")
    with tempfile.TemporaryDirectory(prefix="bench-nginx-") as folder:
        port = free_port()
        conf = Path(folder) / "nginx.conf"
        conf.write_text(
            NGINX_CONF.format(
                prefix=folder,
                port=port,
                artifacts=artifacts,
                upstream=upstream.removeprefix("http://"),
                x_accel=X_ACCEL_PREFIX,
            )
        )
        process = subprocess.Popen(
            [binary, "-c", str(conf), "-p", folder],
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            _wait_for_port(port)
            yield f"http://127.0.0.1:{port}"
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)


@contextmanager
def _gunicorn_with(**environ: str) -> Iterator[str]:
    """bench.common's gunicorn, with a few settings of its own in the environment."""
    saved = {name: os.environ.get(name) for name in environ}
    os.environ.update(environ)
    try:
        with gunicorn() as url:
            yield url
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _workers(url: str) -> list[int]:
    """The worker processes of the gunicorn listening at `url` (children of its master)."""
    bind = url.removeprefix("http://")
    found: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
            status = (entry / "status").read_text()
        except OSError:
            continue
        if b"portal.wsgi:application" in cmdline and bind.encode() in cmdline:
            found[int(entry.name)] = int(re.search(r"PPid:\s+(\d+)", status).group(1))
    return sorted(pid for pid, parent in found.items() if parent in found)


def _rss_kib(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1))


# --- Downloads --------------------------------------------------------------------------------


def _hashed(url: str, *, byte_range: str | None = None) -> dict:
    """One more download, read and hashed here: the size, status and sha256 of what came."""
    request = urllib.request.Request(
        url, headers={"Range": f"bytes={byte_range}"} if byte_range else {}
    )
    digest = hashlib.sha256()
    size = 0
    with urllib.request.urlopen(request, timeout=300) as answer:
        status = answer.status
        while block := answer.read(BLOCK):
            digest.update(block)
            size += len(block)
    return {"status": status, "bytes": size, "sha256": digest.hexdigest()}


def _small_ranges(url: str) -> dict:
    """wrk on 4 KiB Ranges of the file: requests/s, as a resuming client's many small asks."""
    start, end = SLICE
    out = subprocess.run(
        [
            "wrk", "-t2", f"-c{CONNECTIONS}", f"-d{WRK_SECONDS}s", "--timeout", "10s", "--latency",
            "-H", f"Range: bytes={start}-{end}", url,
        ],
        capture_output=True, text=True, timeout=WRK_SECONDS + 60,
    )  # fmt: skip
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out.stdout)
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out.stdout)
    p50 = re.search(r"50%\s+([\d.]+\w+)", out.stdout)
    return {
        "requests_per_second": float(rps.group(1)) if rps else 0.0,
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "latency_p50": p50.group(1) if p50 else None,
    }


def _streaming_rss(url: str, workers: list[int]) -> dict:
    """Each worker's VmRSS every 50 ms while one of them streams the whole file to curl."""
    download, rss = _peak_rss_while(workers, lambda: best_download(url, runs=DOWNLOAD_RUNS))
    return {"download": download, **rss}


def downloads(artifacts: Path, file_url: str, path: Path, sha256: str) -> tuple[dict, dict]:
    """Every path measured in one run, the bytes checked; also the worker's RSS while streaming."""
    storage_name = path.relative_to(artifacts).as_posix()
    half = f"{HALF}-"
    half_sha = _sha256_of(path, HALF, BIG_SIZE - HALF)
    slice_len = SLICE[1] - SLICE[0] + 1
    figures: dict = {"file": {"bytes": BIG_SIZE, "sha256": sha256, "range_resumed": half}}
    checks: dict = {}
    with (
        _gunicorn_with(DOWNLOADS_X_ACCEL_PREFIX="") as django,
        _gunicorn_with(DOWNLOADS_X_ACCEL_PREFIX=X_ACCEL_PREFIX) as accel_django,
        _nginx(artifacts, accel_django) as nginx,
    ):
        urls = {
            "nginx_static": f"{nginx}/floor/{storage_name}",
            "django": django + file_url,
            "nginx_x_accel": nginx + file_url,
        }
        for url in urls.values():  # once each first: the file in the page cache, warm
            subprocess.run(["curl", "-sSf", "-r", "0-0", "-o", "/dev/null", url], check=True)
        paths = {
            "nginx_static_whole": (urls["nginx_static"], None),
            "nginx_static_range": (urls["nginx_static"], half),
            "django_whole": (urls["django"], None),
            "django_range": (urls["django"], half),
            "nginx_x_accel_whole": (urls["nginx_x_accel"], None),
            "nginx_x_accel_range": (urls["nginx_x_accel"], half),
        }
        for label, (url, byte_range) in paths.items():
            figures[label] = best_download(url, byte_range=byte_range, runs=DOWNLOAD_RUNS)
        floor = figures["nginx_static_whole"]
        for label, (url, byte_range) in paths.items():
            figures[label]["vs_nginx_static"] = ratio(figures[label], floor, key="bytes_per_second")
            got = _hashed(url, byte_range=byte_range)
            want = (
                (200, BIG_SIZE, sha256) if byte_range is None else (206, BIG_SIZE - HALF, half_sha)
            )
            checks[label] = got | {"ok": (got["status"], got["bytes"], got["sha256"]) == want}
            if figures[label]["bytes"] != want[1]:
                checks[label]["ok"] = False
        slice_sha = _sha256_of(path, SLICE[0], slice_len)
        small: dict = {"range": f"bytes={SLICE[0]}-{SLICE[1]}"}
        for label, url in urls.items():
            small[label] = _small_ranges(url)
            got = _hashed(url, byte_range=f"{SLICE[0]}-{SLICE[1]}")
            small[label]["ok"] = (got["status"], got["bytes"], got["sha256"]) == (
                206,
                slice_len,
                slice_sha,
            )
        for label in ("django", "nginx_x_accel"):
            small[label]["vs_nginx_static"] = ratio(small[label], small["nginx_static"])
        figures["small_range_requests"] = small
        memory = _streaming_rss(urls["django"], _workers(django))
    figures["bytes_checked"] = checks
    figures["all_bytes_right"] = all(c["ok"] for c in checks.values()) and all(
        small[label]["ok"] for label in urls
    )
    return figures, memory


# --- Uploads and imports ----------------------------------------------------------------------


def _peak_rss_while(workers: list[int], action) -> tuple[object, dict]:
    """Run `action()` while sampling each worker's VmRSS every 50 ms: its result, and the RSS."""
    before = {pid: _rss_kib(pid) for pid in workers}
    peak = dict(before)
    finished = threading.Event()

    def sample() -> None:
        while not finished.is_set():
            for pid in workers:
                peak[pid] = max(peak[pid], _rss_kib(pid))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        result = action()
    finally:
        finished.set()
        sampler.join()
    growth = max(peak[pid] - before[pid] for pid in workers)
    names = {pid: f"worker_{i}" for i, pid in enumerate(workers)}
    return result, {
        "rss_before_kib": {names[pid]: kib for pid, kib in before.items()},
        "rss_peak_kib": {names[pid]: kib for pid, kib in peak.items()},
        "largest_growth_kib": growth,
        "largest_growth_share_of_file": round(growth * 1024 / BIG_SIZE, 5),
    }


def upload(path: Path, sha256: str) -> dict:
    """A release manager uploads the 1 GiB file through the manage page's form, by curl as a
    browser would (multipart), to a draft release; the stored artifact's sha256 is checked."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.middleware.csrf import _get_new_csrf_string

    from downloads.models import Artifact, Release
    from downloads.querysets import RELEASE_MANAGERS
    from downloads.services.publishing import create_release

    cookie = session_cookie("bench-manager")
    manager = get_user_model().objects.get(username="bench-manager")
    manager.groups.add(Group.objects.get_or_create(name=RELEASE_MANAGERS)[0])
    Release.objects.filter(version=UPLOAD_VERSION).delete()
    create_release(version=UPLOAD_VERSION, notes="Uploaded by the serving bench.")
    token = _get_new_csrf_string()
    with _gunicorn_with(SECOND_FACTOR_REQUIRED="0") as url:
        workers = _workers(url)
        target = f"{url}/downloads/manage/{UPLOAD_VERSION}/upload/"
        page = urllib.request.Request(
            f"{url}/downloads/manage/{UPLOAD_VERSION}/", headers={"Cookie": cookie}
        )
        for _ in range(4 * len(workers)):  # every worker warm: growth is the upload's own
            with urllib.request.urlopen(page, timeout=60) as answer:
                answer.read()

        def post() -> dict:
            started = time.monotonic()
            out = subprocess.run(
                [
                    "curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}",
                    "-H", f"Cookie: {cookie}; csrftoken={token}", "-H", f"Referer: {target}",
                    "-F", f"csrfmiddlewaretoken={token}", "-F", f"file=@{path};filename=upload.img",
                    "-F", "kind=", target,
                ],
                capture_output=True, text=True, timeout=600,
            )  # fmt: skip
            return {"status": out.stdout.strip(), "seconds": round(time.monotonic() - started, 1)}

        result, rss = _peak_rss_while(workers, post)
    stored = Artifact.objects.filter(release__version=UPLOAD_VERSION, filename="upload.img")
    stored_sha = stored.values_list("sha256", flat=True).first()
    Release.objects.filter(version=UPLOAD_VERSION).delete()
    return {
        **result,
        "bytes": BIG_SIZE,
        "stored_sha256_matches": stored_sha == sha256,
        "MiB_per_second": round(BIG_SIZE / 2**20 / result["seconds"], 1),
        **rss,
    }


def _mbox_of(size: int, folder: Path) -> tuple[Path, int]:
    """A generated mbox of about `size` bytes (gen_mbox.py makes ~1.76 KB a message)."""
    messages = max(100, size // 1760)
    path = folder / f"archive-{messages}.mbox"
    subprocess.run([sys.executable, str(GEN_MBOX), str(messages), str(path), "--seed", "7"],
                   check=True, capture_output=True)  # fmt: skip
    return path, messages


def _drop_list() -> None:
    """The import bench's list and its mail, in SQL: the ORM's cascade loads every message
    (8.6 GB and minutes for 610,000), which the bench process would then be measured with."""
    from django.db import connection, transaction

    # Each takes the list's name as its one parameter.
    statements = [
        "DELETE FROM lists_threadnode WHERE mailing_list_id "
        "IN (SELECT id FROM lists_mailinglist WHERE name = %s)",
        "DELETE FROM lists_attachment x USING lists_message m, lists_mailinglist l "
        "WHERE x.message_id = m.id AND m.mailing_list_id = l.id AND l.name = %s",
        "DELETE FROM lists_webreply x USING lists_message m, lists_mailinglist l "
        "WHERE x.message_id = m.id AND m.mailing_list_id = l.id AND l.name = %s",
        "DELETE FROM lists_message WHERE mailing_list_id "
        "IN (SELECT id FROM lists_mailinglist WHERE name = %s)",
        "DELETE FROM lists_thread WHERE mailing_list_id "
        "IN (SELECT id FROM lists_mailinglist WHERE name = %s)",
        "DELETE FROM lists_mboxupload WHERE mailing_list_id "
        "IN (SELECT id FROM lists_mailinglist WHERE name = %s)",
        "DELETE FROM lists_mailinglist_members WHERE mailinglist_id "
        "IN (SELECT id FROM lists_mailinglist WHERE name = %s)",
        "DELETE FROM lists_mailinglist WHERE id "
        "IN (SELECT id FROM lists_mailinglist WHERE name = %s)",
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement, [IMPORT_LIST])


def _peaks_kib(root: int) -> dict[int, int]:
    """VmHWM of a process and of every process under it (/proc; the ones alive now)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    peaks = {}
    for pid in parents:
        up = pid
        while up in parents and up != root:
            up = parents[up]
        if up != root:
            continue
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        found = re.search(r"VmHWM:\s+(\d+) kB", status)
        if found:
            peaks[pid] = int(found.group(1))
    return peaks


def _import_peak(path: Path) -> dict:
    """`manage.py import_mbox` into an empty list, in its own process: the peak RSS of it and
    of its parsing processes, and how many messages it stored.

    The peaks are each process's VmHWM, read from /proc every half second until it exits.
    ru_maxrss would not do: a child started by vfork and exec counts the high-water mark of
    the parent's memory too (the kernel records it at the exec), and this process has held
    a whole list's messages by then, deleting them."""
    from lists.models import MailingList, Message

    _drop_list()
    mailing_list = MailingList.objects.create(
        name=IMPORT_LIST, title="Import bench", posting_address=f"{IMPORT_LIST}@example.org"
    )
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "manage.py", "import_mbox", IMPORT_LIST, str(path), "--no-progress"],
        cwd=Path(__file__).resolve().parents[1], env=bench_env(),
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    peaks: dict[int, int] = {}
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        for child, kib in _peaks_kib(process.pid).items():
            peaks[child] = max(kib, peaks.get(child, 0))
        time.sleep(0.5)
    process.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.monotonic() - started
    stored = Message.objects.filter(mailing_list=mailing_list).count()
    _drop_list()
    return {
        "bytes": path.stat().st_size,
        "exit_status": process.returncode,
        "messages_stored": stored,
        "seconds": round(seconds, 1),
        "peak_rss_kib": peaks.get(process.pid, 0),
        "peak_rss_kib_largest_child": max(
            (kib for child, kib in peaks.items() if child != process.pid), default=0
        ),
        # What the kernel reports at the exit, this process's own high-water mark included.
        "ru_maxrss_kib": usage.ru_maxrss,
    }


def imports() -> dict:
    """Peak RSS importing 1/8 of IMPORT_BYTES and then all of it: flat if imports stream."""
    with tempfile.TemporaryDirectory(prefix="bench-import-") as folder:
        small, small_count = _mbox_of(IMPORT_BYTES // 8, Path(folder))
        small_figures = _import_peak(small) | {"messages": small_count}
        small.unlink()
        large, large_count = _mbox_of(IMPORT_BYTES, Path(folder))
        large_figures = _import_peak(large) | {"messages": large_count}
    return {
        "eighth": small_figures,
        "whole": large_figures,
        "peak_rss_growth_kib": large_figures["peak_rss_kib"] - small_figures["peak_rss_kib"],
    }


# --- Memory over many requests ----------------------------------------------------------------


def mix() -> dict[str, str]:
    """The pages of the memory run, found in the bench community."""
    from bench.bench_site import pages
    from bench.generate import SCALES

    found = pages(SCALES[os.environ.get("BENCH_SCALE", "small")])
    names = ("home", "board_page", "release_page", "doc_page", "topic_500_first")
    return {name: found[name] for name in names} | {
        "api_latest_release": found["api_latest_release"]
    }


def memory_over_requests(named: dict[str, str]) -> dict:
    """Slices of wrk rotating over the pages, each as long as about SAMPLE_EVERY requests take
    at the rate of the slice before (wrk stops on time, not on a count); the workers' RSS after
    each slice."""
    from bench.bench_site import wrk

    paths = list(named.values())
    with gunicorn() as url:
        warm(url, paths, rounds=1)  # every page answers, and is warm, before the first sample
        workers = _workers(url)
        series = [{"requests": 0, "rss_kib": {pid: _rss_kib(pid) for pid in workers}}]
        slices: list[dict] = []
        total = 0
        rate = 0.0
        while total < REQUESTS:
            want = min(SAMPLE_EVERY, REQUESTS - total)
            seconds = max(1, round(want / rate)) if rate else 5
            result = wrk(url + paths[0], connections=CONNECTIONS, seconds=seconds, paths=paths)
            if not result.get("requests"):
                raise RuntimeError(f"wrk answered nothing: {result}")
            rate = result["requests_per_second"]
            total += result["requests"]
            slices.append(result)
            series.append({"requests": total, "rss_kib": {pid: _rss_kib(pid) for pid in workers}})
    names = {pid: f"worker_{i}" for i, pid in enumerate(workers)}
    first, sliced, last = series[0]["rss_kib"], series[1]["rss_kib"], series[-1]["rss_kib"]
    return {
        "pages": named,
        "workers": len(workers),
        "connections": CONNECTIONS,
        "requests": total,
        "requests_per_second": round(
            total / sum(s["requests"] / s["requests_per_second"] for s in slices), 1
        ),
        "status_4xx_5xx": sum(s["status_4xx_5xx"] for s in slices),
        "socket_errors": sum(s["socket_errors"] for s in slices),
        "rss_series_kib": [
            {"requests": s["requests"], **{names[pid]: kib for pid, kib in s["rss_kib"].items()}}
            for s in series
        ],
        "growth_kib": {names[pid]: last[pid] - first[pid] for pid in workers},
        # The first slice warms what a worker keeps for its life (imports, templates, cached
        # fragments, connections): growth after it is what a leak would show.
        "growth_after_first_slice_kib": {names[pid]: last[pid] - sliced[pid] for pid in workers},
    }


def run() -> dict:
    if os.environ.get("BENCH_REDIS_URL"):
        os.environ["REDIS_URL"] = os.environ["BENCH_REDIS_URL"]
    setup_django()
    from django.conf import settings

    file_url, path, sha256 = _published_file()
    figures: dict = {"load_average": os.getloadavg(), "parts": PARTS}
    if "downloads" in PARTS:
        download, streaming = downloads(Path(settings.ARTIFACTS_ROOT), file_url, path, sha256)
        figures["download_1GiB"] = download
        figures["memory_streaming_1GiB"] = streaming
    if "uploads" in PARTS:
        figures["memory_upload_1GiB"] = upload(path, sha256)
    if "imports" in PARTS:
        figures["memory_import_mbox"] = imports()
    if "requests" in PARTS:
        # The community's pages: only this part needs the generated data.
        figures["memory_over_requests"] = memory_over_requests(mix())
    figures["load_average_after"] = os.getloadavg()
    return figures
