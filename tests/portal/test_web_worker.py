"""The worker the site is served by takes a connection while it serves none, a connection that
waits all the same when it is busy (on a reserve thread), and closes each connection after its
answer (portal/web_worker.py), in a real gunicorn."""

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings

from bench.common import _wait_for_port, free_port
from portal.web_worker import waiting_connections
from tests.conftest import _database_url, wait_until

ROOT = Path(settings.BASE_DIR)
# What a request looks like before its blank line: a thread reads it until the rest comes.
UNFINISHED = b"GET /healthz/live HTTP/1.1\r\nHost: 127.0.0.1\r\n"


def _sockets(port: int, *selection: str) -> list[str]:
    """`ss`'s lines for the TCP sockets of `port` (options and state in `selection`)."""
    out = subprocess.run(
        ["ss", "-tnH", *selection, f"sport = :{port}"], capture_output=True, text=True, check=True
    ).stdout
    return out.splitlines()


def _waiting_to_be_accepted(port: int) -> int:
    """Connections the kernel holds for the listening socket until a worker accepts them."""
    return sum(int(line.split()[1]) for line in _sockets(port, "-l"))


@pytest.fixture
def serve(tmp_path) -> Callable:
    @contextmanager
    def serving(*, workers: int, threads: int) -> Iterator[int]:
        port = free_port()
        env = {**os.environ, "DATABASE_URL": _database_url(), "VAR_DIR": str(tmp_path / "var")}
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "portal.wsgi:application", "--bind",
             f"127.0.0.1:{port}", "--workers", str(workers), "--threads", str(threads),
             "--worker-class", "portal.web_worker.BalancedWorker"],
            cwd=ROOT, env=env, start_new_session=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            _wait_for_port(port)
            # The port opens before the workers have loaded the site: wait for their answers.
            wait_until(lambda: _get(port) == 200, timeout=60)
            yield port
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:  # a thread still reads what a failed test left
                os.killpg(server.pid, signal.SIGKILL)
                server.wait(timeout=30)

    return serving


def _get(port: int, connection: http.client.HTTPConnection | None = None) -> int | None:
    connection = connection or http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", "/healthz/live")
        answer = connection.getresponse()
        answer.read()
        return answer.status
    except OSError:
        return None


def test_a_busy_worker_leaves_a_new_connection_to_a_worker_with_a_free_thread(serve):
    # gunicorn's own worker takes a connection whenever it is woken first, busy or not: one
    # round in two, the reader would wait for a request that never ends.
    with serve(workers=2, threads=1) as port:
        for _round in range(6):
            unfinished = socket.create_connection(("127.0.0.1", port), timeout=10)
            unfinished.sendall(UNFINISHED)  # its worker's only thread reads it
            wait_until(lambda: _waiting_to_be_accepted(port) == 0, timeout=10)
            try:
                late = socket.create_connection(("127.0.0.1", port), timeout=5)
                late.sendall(UNFINISHED + b"\r\n")
                assert late.recv(100).startswith(b"HTTP/1.1 200")
                late.close()
            finally:
                unfinished.sendall(b"\r\n")
                assert unfinished.recv(100).startswith(b"HTTP/1.1 200")
                unfinished.close()


def _serving_pids(port: int) -> list[int]:
    """The processes holding the connections accepted on `port`, one per connection."""
    lines = _sockets(port, "-p", "state", "established")
    return [int(pid) for line in lines for pid in re.findall(r"pid=(\d+)", line)]


def test_a_worker_serving_a_request_leaves_the_next_to_a_free_worker_though_it_has_threads(
    serve,
):
    # Taken on its free thread (as it was until a worker served one request at a time), one
    # round in two the second request would share a processor with the first.
    with serve(workers=2, threads=4) as port:
        for _round in range(6):
            first = socket.create_connection(("127.0.0.1", port), timeout=10)
            first.sendall(UNFINISHED)  # a thread of its worker reads it
            wait_until(lambda: len(_serving_pids(port)) == 1, timeout=10)
            second = socket.create_connection(("127.0.0.1", port), timeout=10)
            try:
                second.sendall(UNFINISHED)
                wait_until(lambda: len(_serving_pids(port)) == 2, timeout=10)
                assert len(set(_serving_pids(port))) == 2
            finally:
                for sock in (first, second):
                    sock.sendall(b"\r\n")
                    assert sock.recv(100).startswith(b"HTTP/1.1 200")
                    sock.close()


def test_when_every_thread_is_busy_a_waiting_connection_is_taken_all_the_same(serve):
    # Left in the kernel's queue, it would wait for as long as the long request runs (a release
    # image streaming in: minutes).
    with serve(workers=1, threads=1) as port:
        unfinished = socket.create_connection(("127.0.0.1", port), timeout=10)
        late = None
        try:
            unfinished.sendall(UNFINISHED)  # the only thread reads it
            wait_until(lambda: _waiting_to_be_accepted(port) == 0, timeout=10)
            late = socket.create_connection(("127.0.0.1", port), timeout=10)
            late.sendall(UNFINISHED + b"\r\n")
            # Taken from the kernel's queue: it waits its turn in the worker.
            wait_until(lambda: _waiting_to_be_accepted(port) == 0, timeout=10)
            unfinished.sendall(b"\r\n")
            assert unfinished.recv(100).startswith(b"HTTP/1.1 200")
            assert late.recv(100).startswith(b"HTTP/1.1 200")
        finally:
            for sock in (unfinished, late):
                if sock is not None:
                    sock.close()


def test_behind_a_long_request_a_waiting_connection_is_served_by_a_reserve_thread(serve):
    with serve(workers=1, threads=2) as port:
        unfinished = socket.create_connection(("127.0.0.1", port), timeout=10)
        try:
            unfinished.sendall(UNFINISHED)  # a request that runs long, on one thread
            wait_until(lambda: _waiting_to_be_accepted(port) == 0, timeout=10)
            # Answered while the long one still runs, once it has waited its patience.
            assert _get(port) == 200
            unfinished.sendall(b"\r\n")
            assert unfinished.recv(100).startswith(b"HTTP/1.1 200")
        finally:
            unfinished.close()


def test_each_connection_is_closed_after_its_answer(serve):
    # Kept alive, its next request would come to the same worker, busy or not.
    with serve(workers=2, threads=4) as port:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", "/healthz/live")  # HTTP/1.1: keep-alive unless told
        answer = connection.getresponse()
        answer.read()
        assert answer.status == 200
        assert answer.getheader("Connection") == "close"
        assert answer.will_close


def test_the_waiting_connections_are_read_from_the_listening_socket():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        assert waiting_connections(listener) == 0
        clients = [socket.create_connection(listener.getsockname()) for _ in range(3)]
        wait_until(lambda: waiting_connections(listener) == 3, timeout=10)
        accepted, _address = listener.accept()
        assert waiting_connections(listener) == 2
        for sock in [accepted, *clients]:
            sock.close()
