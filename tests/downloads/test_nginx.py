"""With DOWNLOADS_X_ACCEL_PREFIX, Django decides and a real nginx sends the bytes (and Ranges)."""

import shutil
import subprocess
import urllib.request
from pathlib import Path

import pytest
from django.urls import reverse

from bench.common import free_port
from downloads.models import Release
from tests.conftest import wait_until

pytestmark = pytest.mark.django_db(transaction=True)

KERNEL = bytes(range(256)) * 300  # 76800 bytes

NGINX_CONF = """
daemon off;
user root;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    server {{
        listen 127.0.0.1:{port};
        location /protected-artifacts/ {{
            internal;
            alias {artifacts}/;
            sendfile on;
        }}
        location / {{
            proxy_pass {upstream};
            proxy_set_header Host $http_host;
        }}
    }}
}}
"""


@pytest.fixture
def nginx(live_server, storage, tmp_path, settings):
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(binary).exists():
        pytest.fail("nginx is missing: `make test-tools` installs Debian's nginx")
    settings.DOWNLOADS_X_ACCEL_PREFIX = "/protected-artifacts/"
    prefix = tmp_path / "nginx"
    prefix.mkdir()
    port = free_port()
    conf = prefix / "nginx.conf"
    storage.mkdir(parents=True, exist_ok=True)
    conf.write_text(
        NGINX_CONF.format(prefix=prefix, port=port, artifacts=storage, upstream=live_server.url)
    )
    process = subprocess.Popen([binary, "-c", str(conf), "-p", str(prefix)])
    base = f"http://127.0.0.1:{port}"

    def up():
        try:
            urllib.request.urlopen(f"{base}/healthz", timeout=2)
        except urllib.error.HTTPError:
            return True
        except OSError:
            return False
        return True

    try:
        wait_until(up, timeout=20)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


def fetch(url: str, headers: dict[str, str] | None = None):
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_nginx_sends_the_file_django_allowed(nginx, boards, make_release):
    make_release("3.1", {"d02/Image": KERNEL})
    url = nginx + reverse("downloads:file", args=["3.1", "d02", "Image"])

    status, headers, body = fetch(url)
    assert status == 200 and body == KERNEL
    assert headers["Content-Disposition"] == 'attachment; filename="Image"'
    assert "X-Accel-Redirect" not in headers  # nginx consumes it

    status, headers, body = fetch(url, {"Range": "bytes=1000-"})
    assert status == 206 and body == KERNEL[1000:]
    assert headers["Content-Range"] == f"bytes 1000-{len(KERNEL) - 1}/{len(KERNEL)}"

    # What Django refuses, nginx never serves: the internal location is not reachable directly,
    # and a withdrawn release's file answers Django's 410.
    assert fetch(nginx + "/protected-artifacts/3.1/d02/Image")[0] == 404
    from downloads.services.publishing import withdraw_release

    withdraw_release(release=Release.objects.get(version="3.1"), reason="broken kernel")
    assert fetch(url)[0] == 410
