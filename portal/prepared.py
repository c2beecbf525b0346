"""Statements prepared once per PostgreSQL connection and executed by name.

The search page's one query is long (five sections' SQL): parsing and planning it cost about as
much as running it. Prepared, a connection parses it once and plans it once: every run takes
the generic plan (see _PLAN), unless the caller says its values decide the plan. The statement
is named by its SQL and its parameters' types, so every query of the same shape shares it
whatever its words; each connection keeps at most PER_CONNECTION of them.

The PREPARE rides with its first EXECUTE in one round trip (one query, as the page counts).
"""

from __future__ import annotations

import datetime
import hashlib
import re
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

# The search page's statement holds about 1.3 MB of the server's memory (its parsed query
# and plan): a few shapes of query cover nearly every search.
PER_CONNECTION = 8
_PLACEHOLDER = re.compile(r"%([%s])")
# PostgreSQL's own choice ("auto") plans a statement's first five runs for their values, and goes
# on doing so while those plans look cheaper than the generic one, as a search for a rare word's
# does: the search page's statement was then planned anew for every search (the bench's queries
# after 300 for words found nowhere: 4.3 ms each, 2.4 on the generic plan). LOCAL: for this
# run's transaction only, and set on each run, as a transaction may run both kinds.
_PLAN = "SET LOCAL plan_cache_mode = {}"


def _type(value: Any) -> str | None:
    """The type PostgreSQL gives the value as the driver writes it into a query (a literal)."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer" if -(2**31) <= value < 2**31 else "bigint"
    if isinstance(value, float):
        return "numeric"
    if isinstance(value, str):
        return "text"
    if isinstance(value, datetime.timedelta):
        return "interval"
    if isinstance(value, datetime.datetime):
        return "timestamptz"
    return None  # a type this does not name: the statement runs as it is


def _numbered(sql: str) -> str:
    """The driver's %s placeholders as PostgreSQL's $1, $2, …; %% stays for the driver."""
    counter = iter(range(1, len(sql)))
    return _PLACEHOLDER.sub(lambda m: "%%" if m.group(1) == "%" else f"${next(counter)}", sql)


@dataclass
class _Prepared:
    """What one connection of the driver has prepared: names, oldest first; `salt` renames
    every statement after a failure (a PREPARE may have stayed though its EXECUTE failed)."""

    raw: Any
    names: OrderedDict[str, None] = field(default_factory=OrderedDict)
    salt: int = 0


def execute(cursor: Any, sql: str, params: list, *, generic: bool = True) -> None:
    """Run `sql` with `params` on a Django cursor of PostgreSQL, as a prepared statement: on its
    generic plan, or (generic=False) as PostgreSQL chooses, for a statement whose values decide
    its best plan."""
    types = [_type(value) for value in params]
    raw = getattr(cursor.db, "connection", None)
    if None in types or raw is None:
        cursor.execute(sql, params)
        return
    signature = ",".join(types)  # type: ignore[arg-type]
    prepared = _prepared(cursor.db, raw)
    digest = hashlib.sha256(f"{prepared.salt}\n{signature}\n{sql}".encode()).hexdigest()[:24]
    name = f"prepared_{digest}"
    known = prepared.names
    run = f"EXECUTE {name}({', '.join(['%s'] * len(params))})" if params else f"EXECUTE {name}"
    run = f"{_PLAN.format('force_generic_plan' if generic else 'auto')}; {run}"
    if name in known:
        known.move_to_end(name)
        cursor.execute(run, params)
        return
    steps = []
    if len(known) >= PER_CONNECTION:
        steps.append(f"DEALLOCATE {known.popitem(last=False)[0]}")
    arguments = f"({signature})" if params else ""
    steps += [f"PREPARE {name}{arguments} AS {_numbered(sql)}", run]
    try:
        cursor.execute("; ".join(steps), params)
    except Exception:
        prepared.salt += 1  # whether the PREPARE stayed is unknown: the next one is named anew
        raise
    known[name] = None


def _prepared(db: Any, raw: Any) -> _Prepared:
    """What the driver's connection `raw` has prepared: kept on Django's connection (one per
    thread), anew when it connected again."""
    kept = getattr(db, "_prepared_statements", None)
    if kept is None or kept.raw is not raw:
        kept = _Prepared(raw)
        db._prepared_statements = kept
    return kept
