"""The gunicorn worker the site is served by (`--worker-class portal.web_worker.BalancedWorker`).

gunicorn's threaded worker accepts every connection it is woken for while it holds fewer than
`worker_connections` (1,000). After a burst of work, the worker that happens to be idle takes
most of the new connections at once and keeps them, kept alive, while the others wait for
work: the site bench saw 15 of 16 connections on one worker, every request alike slow on one
core (a forum category at 0.3 of its usual rate). Bounding `worker_connections` to the threads
instead shuts new connections out behind kept-alive ones (seconds of wait at 64 connections).
"""

from __future__ import annotations

import socket
import struct
import time

from gunicorn.workers.gthread import ThreadWorker

# How long a busy worker leaves a waiting connection to the others before it takes it itself.
PATIENCE_SECONDS = 0.05
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
    """A threaded worker that accepts a connection while it has a thread for it: fewer of its
    connections hold or wait for a thread than it has threads. Connections kept alive between
    requests, or not yet sending one, hold none. A burst of connections is then shared by the
    workers with a free thread, whichever of them the kernel wakes first.

    When every worker is busy (more connections than threads), a connection seen waiting for
    PATIENCE_SECONDS is taken all the same, one at a time: kept-alive connections sending
    request after request never shut it out."""

    _waiting_since: float | None = None

    @property
    def worker_connections(self) -> int:
        # Read by gunicorn's loop before each accept: one connection is taken at a time.
        idle = len(self.keepalived_conns) + len(self.pending_conns)
        if self.nr_conns - idle < self.cfg.threads:
            self._waiting_since = None
            return self.cfg.worker_connections
        # Busy: take a connection only once one has been seen waiting for PATIENCE_SECONDS,
        # which a worker with a free thread would have taken at once.
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

    def _someone_waits(self) -> bool:
        counts = [waiting_connections(listener) for listener in self.sockets]
        return any(count is None or count > 0 for count in counts)
