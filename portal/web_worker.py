"""The gunicorn worker the site is served by (`--worker-class portal.web_worker.BalancedWorker`).

gunicorn's threaded worker accepts every connection it is woken for while it holds fewer than
`worker_connections` (1,000). After a burst of work, the worker that happens to be idle takes
most of the new connections at once and keeps them, kept alive, while the others wait for
work: the site bench saw 15 of 16 connections on one worker, every request alike slow on one
core (a forum category at 0.3 of its usual rate). Bounding `worker_connections` to the threads
instead shuts new connections out behind kept-alive ones (seconds of wait at 64 connections).

A page is work for the processor under one interpreter lock: two requests on threads of one
worker take turns and both finish late, which made the tails (on the whole-site bench, p99 up
to 4.2 times the median at 16 connections and up to 185 ms at 64). So this worker serves one
request at a time while another worker could take the next, and closes each connection after
its answer (nginx opens another over loopback): every request waits in the kernel's one queue
for the first free worker. Its other threads are a reserve for requests that run long (a
release image streaming in, a slow reader): a connection seen waiting PATIENCE_SECONDS is taken
all the same.
"""

from __future__ import annotations

import socket
import struct
import time

from gunicorn.workers.gthread import ThreadWorker

# Requests a worker serves at once while other workers may be free: one (see above).
SERVING_AT_ONCE = 1
# How long a busy worker leaves a waiting connection to the others before it takes it itself:
# longer than a request waits for a free worker on a loaded day (at 64 connections, a search
# waits up to 0.3 s), so the reserve threads serve only behind requests that run long.
PATIENCE_SECONDS = 0.5
# struct tcp_info: on a listening socket, tcpi_unacked (after eight one-byte fields and four
# 32-bit ones) is the number of connections waiting to be accepted.
_WAITING_OFFSET = 24


def waiting_connections(listener: socket.socket) -> int | None:
    """Connections the kernel holds for `listener` until a worker accepts them (None where the
    system does not say: Linux does)."""
    try:
        info = listener.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
        return struct.unpack_from("I", info, _WAITING_OFFSET)[0]
    except (OSError, AttributeError, struct.error):
        return None


class BalancedWorker(ThreadWorker):
    """A threaded worker that accepts a connection while it serves none: connections not yet
    sending a request hold no thread. A burst of connections is then shared by the free workers,
    whichever of them the kernel wakes first, and each connection is closed after its answer.

    When every worker is busy, a connection seen waiting for PATIENCE_SECONDS is taken all the
    same, one at a time, on a thread of the reserve (or behind them when they are all busy): a
    long request never holds the next one back for long."""

    _waiting_since: float | None = None

    def init_process(self) -> None:
        # A connection kept alive would bring its next request to this worker whatever it is
        # doing, past the kernel's queue.
        self.cfg.set("keepalive", 0)
        super().init_process()

    @property
    def worker_connections(self) -> int:
        # Read by gunicorn's loop before each accept: one connection is taken at a time.
        idle = len(self.keepalived_conns) + len(self.pending_conns)
        if self.nr_conns - idle < SERVING_AT_ONCE:
            self._waiting_since = None
            return self.cfg.worker_connections
        # Busy: take a connection only once one has been seen waiting for PATIENCE_SECONDS,
        # which a free worker would have taken at once.
        now = time.monotonic()
        if not self._someone_waits():
            self._waiting_since = None
        elif self._waiting_since is None:
            self._waiting_since = now
        elif now - self._waiting_since >= PATIENCE_SECONDS:
            self._waiting_since = now  # one now, the next after as long again
            return self.cfg.worker_connections
        return self.nr_conns

    @worker_connections.setter
    def worker_connections(self, value: int) -> None:
        """Set once by gunicorn from its settings; computed here instead (the bound stays)."""

    def wait_for_and_dispatch_events(self, timeout: float) -> None:
        # gunicorn's loop sleeps up to a second when nothing wakes it (a long request in
        # flight): look again once the waiting connection's patience is up.
        if self._waiting_since is not None:
            timeout = min(timeout, PATIENCE_SECONDS)
        super().wait_for_and_dispatch_events(timeout)

    def _someone_waits(self) -> bool:
        counts = [waiting_connections(listener) for listener in self.sockets]
        return any(count is None or count > 0 for count in counts)
