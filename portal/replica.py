"""Read-only pages read from a PostgreSQL streaming replica (DATABASE_REPLICA_URL).

The middleware marks a request as read-only (GET, HEAD, OPTIONS); the router sends that
request's reads to the `replica` alias until the request writes anything, after which it reads
from the primary so that it sees its own write. Everything else (forms, the worker, beat,
management commands) uses the primary only, and migrations run on the primary only: the
replica follows it by streaming.

A replica lags its primary by a little. A person who just wrote is pinned to the primary for
REPLICA_PIN_SECONDS by a cookie, so the page a form redirects to shows what they sent.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import HttpRequest, HttpResponse

REPLICA = "replica"
PIN_COOKIE = "estuary_primary"
READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass
class _Request:
    read_only: bool
    wrote: bool = False
    depth: int = 0  # the primary's atomic blocks open when the request began (tests wrap one)


_current: ContextVar[_Request | None] = ContextVar("estuary_replica_request", default=None)


def replica_configured() -> bool:
    return REPLICA in connections.settings


class ReplicaRouter:
    """Reads of a read-only request go to the replica, everything else to the primary."""

    def db_for_read(self, model, **hints) -> str | None:
        state = _current.get()
        if state is None or not state.read_only or state.wrote or not replica_configured():
            return None  # the primary
        if len(connections[DEFAULT_DB_ALIAS].atomic_blocks) > state.depth:
            return None  # inside a transaction of its own: it reads what it is about to change
        return REPLICA

    def db_for_write(self, model, **hints) -> str:
        state = _current.get()
        if state is not None:
            state.wrote = True  # from now on this request reads its own writes
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        return True  # the same rows on both

    def allow_migrate(self, db: str, app_label: str, **hints) -> bool:
        return db == DEFAULT_DB_ALIAS


class ReplicaMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not replica_configured():
            return self.get_response(request)
        state = _Request(
            read_only=request.method in READ_ONLY_METHODS and PIN_COOKIE not in request.COOKIES,
            depth=len(connections[DEFAULT_DB_ALIAS].atomic_blocks),
        )
        token = _current.set(state)
        try:
            response = self.get_response(request)
        finally:
            _current.reset(token)
        if state.wrote:
            response.set_cookie(
                PIN_COOKIE,
                "1",
                max_age=settings.REPLICA_PIN_SECONDS,
                secure=request.is_secure(),
                httponly=True,
                samesite="Lax",
            )
        return response
