"""The shipped nginx site (deploy/nginx/estuary.conf) in front of two gunicorn instances.

The file is used as shipped, with only its host paths, ports and certificate swapped for this
test's own: TLS, the redirect from HTTP, pages served by both instances, a release file handed
over with X-Accel-Redirect and resumed with Range, a build started through the site and run by
whichever of two Celery workers takes it, and one instance killed mid-load with no request lost
at the balancer.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import re
import shutil
import signal
import ssl
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.urls import reverse

from bench.common import _wait_for_port, free_port
from builds.models import Build, BuildRecipe
from downloads.models import Board, Release
from downloads.querysets import RELEASE_MANAGERS
from downloads.services.artifacts import add_artifact_from_path
from downloads.services.publishing import create_release, publish_release
from tests.builds.helpers import wait_finished
from tests.conftest import _database_url, wait_until

ROOT = Path(settings.BASE_DIR)
SITE = ROOT / "deploy" / "nginx" / "estuary.conf"
pytestmark = pytest.mark.django_db(transaction=True)

REPLICA_NAME = "estuary-replica"
KERNEL = hashlib.sha256(b"estuary").digest() * 4096  # 128 KiB


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _site_conf(*, http_port: int, https_port: int, web_ports: list[int], var: Path, tls: Path):
    """The shipped site with this machine's ports and folders in place of production's."""
    text = SITE.read_text()
    upstreams = "".join(
        f"    server 127.0.0.1:{p} max_fails=1 fail_timeout=10s;\n" for p in web_ports
    )
    text = re.sub(r"(    server 127\.0\.0\.1:800\d [^\n]*\n)+", upstreams, text)
    text = re.sub(r"\n\s*listen \[::\]:\d+[^\n]*", "", text)  # no IPv6 needed here
    text = text.replace("listen 80;", f"listen 127.0.0.1:{http_port};")
    text = text.replace("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;")
    text = text.replace("return 301 https://$host$request_uri;",
                        f"return 301 https://$host:{https_port}$request_uri;")  # fmt: skip
    text = text.replace("server_name estuary.example.org;", "server_name localhost;")
    text = text.replace("/etc/ssl/estuary/", f"{tls}/")
    text = text.replace("/srv/estuary/var/", f"{var}/")
    assert "/srv/estuary" not in text and "8001" not in text
    return text


def _main_conf(prefix: Path, site: str) -> str:
    temp = " ".join(
        f"{kind}_temp_path {prefix}/{kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return (
        f"daemon off; user root; worker_processes 1; pid {prefix}/nginx.pid;\n"
        f"error_log {prefix}/error.log warn;\nevents {{ worker_connections 256; }}\n"
        f"http {{\n include /etc/nginx/mime.types;\n access_log off;\n {temp}\n{site}\n}}\n"
    )


def _gunicorn(port: int, access_log: Path, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "portal.wsgi:application", "--bind",
         f"127.0.0.1:{port}", "--workers", "1", "--threads", "4",
         "--worker-class", "portal.web_worker.BalancedWorker", "--access-logfile", str(access_log)],
        cwd=ROOT, env=env, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def _worker(name: str, queues: str, log: Path, env: dict[str, str]) -> subprocess.Popen:
    """A Celery worker as estuary-worker@.service runs it, one job at a time."""
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "portal", "worker", "-Q", queues,
         "--concurrency", "1", "--pool", "prefork", "--without-gossip", "--without-mingle",
         "--hostname", f"{name}@%h", "--loglevel", "INFO"],
        cwd=ROOT, env=env, start_new_session=True,
        stdout=log.open("wb"), stderr=subprocess.STDOUT,
    )  # fmt: skip


@pytest.fixture
def deployment(tmp_path, settings, request) -> Iterator[dict]:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        pytest.fail("nginx is missing: `make test-tools` installs Debian's nginx")
    var = tmp_path / "var"
    for folder in ("static", "media", "artifacts"):
        (var / folder).mkdir(parents=True)
    settings.STORAGES = {
        **settings.STORAGES,
        "artifacts": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": var / "artifacts", "base_url": "/downloads/files/"},
        },
    }
    settings.ARTIFACT_IMPORT_DIRS = [str(tmp_path)]
    settings.SIGNING_KEY_ID = ""
    tls = tmp_path / "tls"
    tls.mkdir()
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-days", "2", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost",
         "-keyout", str(tls / "privkey.pem"), "-out", str(tls / "fullchain.pem")],
        check=True, capture_output=True,
    )  # fmt: skip
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        # The replica is the same database under another name: the router's reads are visible.
        "DATABASE_REPLICA_URL": _database_url() + f"?application_name={REPLICA_NAME}",
        "DB_CONN_MAX_AGE": "60",
        "VAR_DIR": str(var),
        "ARTIFACTS_ROOT": str(var / "artifacts"),
        "DOWNLOADS_X_ACCEL_PREFIX": "/protected-artifacts/",
        "HTTPS": "1",  # as in production: the proxy's X-Forwarded-Proto says the request is TLS
        "ALLOWED_HOSTS": "localhost",
        "SIGNING_KEY_ID": "",
        "LOG_LEVEL": "ERROR",
        # A broker of this deployment's own (under VAR_DIR), apart from the suite's worker.
        "CELERY_BROKER_URL": "filesystem://",
    }
    web_ports = [free_port(), free_port()]
    http_port, https_port = free_port(), free_port()
    # Browsers send the port in Referer/Origin; production's 443 needs no such line.
    env["CSRF_TRUSTED_ORIGINS"] = f"https://localhost:{https_port}"
    logs = [tmp_path / f"web-{port}.log" for port in web_ports]
    prefix = tmp_path / "nginx"
    prefix.mkdir()
    site = _site_conf(
        http_port=http_port, https_port=https_port, web_ports=web_ports, var=var, tls=tls
    )
    (prefix / "nginx.conf").write_text(_main_conf(prefix, site))
    checked = subprocess.run([nginx, "-t", "-c", str(prefix / "nginx.conf"), "-p", str(prefix)],
                             capture_output=True, text=True)  # fmt: skip
    assert checked.returncode == 0, checked.stderr
    # Started only once the configuration is known good, and always stopped below.
    webs = [_gunicorn(port, log, env) for port, log in zip(web_ports, logs, strict=True)]
    proxy = subprocess.Popen([nginx, "-c", str(prefix / "nginx.conf"), "-p", str(prefix)])
    # Two build workers, as two build hosts would run them: started now so that they get
    # ready while the pages are tested (only for the test that asks for them).
    workers = {}
    if "build_workers" in request.fixturenames:
        workers = {
            "worker-a": _worker("worker-a", "builds,default", tmp_path / "worker-a.log", env),
            "worker-b": _worker("worker-b", "builds", tmp_path / "worker-b.log", env),
        }
    try:
        for port in [*web_ports, https_port]:
            _wait_for_port(port)
        context = ssl.create_default_context(cafile=str(tls / "fullchain.pem"))
        yield {
            "https": f"https://localhost:{https_port}",
            "http": f"http://localhost:{http_port}",
            "ssl": context,
            "webs": webs,
            "logs": logs,
            "workers": workers,
            "tmp": tmp_path,
        }
    finally:
        for worker in workers.values():  # their work is checked; a warm shutdown only costs time
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=30)
        proxy.terminate()
        proxy.wait(timeout=10)
        for web in webs:
            if web.poll() is None:
                os.killpg(web.pid, signal.SIGTERM)
                web.wait(timeout=30)


@pytest.fixture
def build_workers(deployment) -> dict[str, subprocess.Popen]:
    """The deployment's two Celery workers. Not waited for: a build waits in the broker."""
    return deployment["workers"]


def _worker_logs(deployment: dict) -> str:
    return "\n".join(
        f"--- {name}:\n" + (deployment["tmp"] / f"{name}.log").read_text()[-3000:]
        for name in deployment["workers"]
    )


def _fetch(deployment: dict, path: str, headers: dict | None = None, data: bytes | None = None):
    opener = urllib.request.build_opener(
        urllib.request.HTTPSHandler(context=deployment["ssl"]), _NoRedirect
    )
    request = urllib.request.Request(deployment["https"] + path, headers=headers or {}, data=data)
    try:
        with opener.open(request, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def test_the_shipped_site_serves_both_instances_over_tls(deployment, tmp_path, build_workers):
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        opener.open(deployment["http"] + "/downloads/", timeout=10)
        pytest.fail("plain HTTP must redirect")
    except urllib.error.HTTPError as redirect:
        assert redirect.code == 301
        assert redirect.headers["Location"].startswith("https://localhost:")
    statuses = [_fetch(deployment, path)[0] for path in ["/", "/downloads/", "/forum/"] * 8]
    assert statuses == [200] * 24
    status, headers, _body = _fetch(deployment, "/")
    assert "Strict-Transport-Security" in headers  # Django saw the request as HTTPS
    # A kept signed-out page crosses nginx gzipped, as it was kept: the browser unpacks it.
    status, headers, body = _fetch(deployment, "/downloads/", {"Accept-Encoding": "gzip"})
    assert status == 200 and headers["Content-Encoding"] == "gzip"
    assert b"</html>" in gzip.decompress(body)
    served = [len(log.read_text().splitlines()) for log in deployment["logs"]]
    assert all(count > 0 for count in served), f"requests per instance: {served}"
    with connection.cursor() as cursor:  # the pages read through the replica's connections
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND application_name = %s",
            [REPLICA_NAME],
        )
        assert cursor.fetchone()[0] > 0

    # A release file: Django decides, nginx sends the bytes, and a broken download resumes.
    board = Board.objects.create(slug="d02", name="D02", soc="Hip05")
    release = create_release(version="3.1")
    source = tmp_path / "Image"
    source.write_bytes(KERNEL)
    add_artifact_from_path(release=release, path=source, board=board, kind="kernel")
    publish_release(release=release)
    url = "/downloads/releases/3.1/d02/Image"
    status, headers, body = _fetch(deployment, url)
    assert status == 200 and body == KERNEL and "X-Accel-Redirect" not in headers
    status, headers, body = _fetch(deployment, url, {"Range": "bytes=100000-"})
    assert status == 206 and body == KERNEL[100000:]
    assert _fetch(deployment, "/protected-artifacts/3.1/d02/Image")[0] == 404

    # A build started through the site: queued by whichever instance took the POST, run by
    # whichever worker took the message, its file attached where nginx serves it from.
    manager = get_user_model().objects.create_user("rm", "rm@example.org", "pw-rm-12345")
    manager.groups.add(Group.objects.get_or_create(name=RELEASE_MANAGERS)[0])
    signed_in = Client()
    signed_in.force_login(manager)
    token = "a" * 32  # a CSRF secret of our choosing: the cookie and the form must agree
    cookies = f"sessionid={signed_in.cookies['sessionid'].value}; csrftoken={token}"
    Release.objects.create(version="3.2", title="Built here")
    BuildRecipe.objects.create(
        name="deploy-kernel", board=board, script='echo built > "$OUTPUT_DIR/Image"',
        output_patterns=["Image"], timeout_seconds=60,
    )  # fmt: skip
    status, headers, _body = _fetch(
        deployment,
        reverse("builds:start"),
        {"Cookie": cookies, "Referer": deployment["https"] + reverse("builds:list"),
         "Content-Type": "application/x-www-form-urlencoded"},
        data=f"release=3.2&csrfmiddlewaretoken={token}".encode(),
    )  # fmt: skip
    assert status == 302, _body[:500]
    build = Build.objects.get(release__version="3.2")
    try:
        build = wait_finished(build, timeout=90)
    except Exception as exc:
        raise AssertionError(_worker_logs(deployment)) from exc
    assert build.result == Build.Result.SUCCEEDED, build.reason
    parent = Path(f"/proc/{build.worker_pid}/status").read_text().split("PPid:")[1].split()[0]
    taker = next(name for name, w in build_workers.items() if w.pid == int(parent))
    print(f"build #{build.pk} ran on {taker}")  # which one is up to the broker, not the test
    assert (tmp_path / "var" / "artifacts" / "3.2" / "d02" / "Image").read_bytes() == b"built\n"


def test_an_instance_killed_mid_load_loses_no_request(deployment):
    results: list[int | str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def client() -> None:
        while not stop.is_set():
            try:
                status: int | str = _fetch(deployment, "/downloads/")[0]
            except Exception as exc:  # a connection nginx dropped is a lost request too
                status = repr(exc)
            with lock:
                results.append(status)

    threads = [threading.Thread(target=client) for _ in range(4)]
    for thread in threads:
        thread.start()
    try:
        wait_until(lambda: len(results) >= 40, timeout=60)
        doomed = deployment["webs"][0]
        os.killpg(doomed.pid, signal.SIGKILL)  # no graceful shutdown: a crash
        doomed.wait(timeout=10)
        killed_at = len(results)
        wait_until(lambda: len(results) >= killed_at + 80, timeout=60)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
    assert results and set(results) == {200}, {s: results.count(s) for s in set(results)}
