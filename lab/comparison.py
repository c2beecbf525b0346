"""Comparing Caliper results case by case: two runs, or the medians of two releases' runs on one
board. Scores are compared as Caliper gives them (higher is better); 0 is a failed case."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.core.cache import cache

from lab import querysets as q
from lab.caching import CALIPER

Key = tuple[str, str, str, str]
CHART_ROWS = 20
KEPT_SECONDS = 3600


@dataclass(frozen=True)
class Row:
    item: str
    sub_item: str
    point: str
    case: str
    before: float | None
    after: float | None

    @property
    def failed(self) -> bool:
        return self.before == 0 or self.after == 0

    @property
    def fixed(self) -> bool:
        """Failed before, passes after."""
        return self.before == 0 and bool(self.after)

    @property
    def missing(self) -> bool:
        return self.before is None or self.after is None

    @property
    def change(self) -> float | None:
        """Change in percent from before to after; None where it has no meaning."""
        if self.before is None or self.after is None or self.before == 0:
            return None
        return (self.after - self.before) / self.before * 100

    @property
    def label(self) -> str:
        return f"{self.point} · {self.case}"


@dataclass
class Comparison:
    rows: list[Row] = field(default_factory=list)

    @property
    def gains(self) -> int:
        return sum(1 for row in self.rows if (row.change or 0) > 0 and not row.failed)

    @property
    def losses(self) -> int:
        return sum(1 for row in self.rows if (row.change or 0) < 0)

    @property
    def failures(self) -> int:
        return sum(1 for row in self.rows if row.failed)

    def chart(self) -> dict:
        """Geometry of the server-drawn SVG: the biggest changes as bars either side of 0."""
        rows = [row for row in self.rows if row.change is not None][:CHART_ROWS]
        if not rows:
            return {}
        scale = max(abs(row.change) for row in rows) or 1.0
        label_width, half, bar_height, gap = 260, 170, 18, 6
        centre = label_width + half
        bars = []
        for index, row in enumerate(rows):
            length = abs(row.change) / scale * (half - 10)
            y = index * (bar_height + gap) + 20
            bars.append(
                {
                    "row": row,
                    "x": centre if row.change >= 0 else centre - length,
                    "y": y,
                    "width": max(length, 1),
                    "height": bar_height,
                    "text_y": y + bar_height - 5,
                    "gain": row.change >= 0,
                    "value_x": centre + 6 if row.change < 0 else centre - 6,
                }
            )
        return {
            "bars": bars,
            "width": label_width + 2 * half,
            "height": len(rows) * (bar_height + gap) + 24,
            "centre": centre,
            "label_x": label_width - 8,
            "scale": scale,
        }


def _sort_key(row: Row):
    change = row.change
    return (change is None, -abs(change) if change is not None else 0, not row.failed, row.label)


def _compare(before: dict[Key, float], after: dict[Key, float]) -> Comparison:
    keys = set(before) | set(after)
    rows = [Row(*key, before=before.get(key), after=after.get(key)) for key in keys]
    rows.sort(key=_sort_key)
    return Comparison(rows=rows)


def _values(run_ids: Iterable[int], source: str) -> dict[int, dict[Key, float]]:
    by_run: dict[int, dict[Key, float]] = defaultdict(dict)
    for run_id, item, sub_item, point, case, value in q.score_values(list(run_ids), source):
        by_run[run_id][(item, sub_item, point, case)] = value
    return by_run


def compare_runs(before_id: int, after_id: int, *, source: str) -> Comparison:
    values = _values([before_id, after_id], source)
    return _compare(values.get(before_id, {}), values.get(after_id, {}))


def _median_of(values: dict[int, dict[Key, float]], ids: list[int]) -> dict[Key, float]:
    collected: dict[Key, list[float]] = defaultdict(list)
    for run_id in ids:
        for key, value in values.get(run_id, {}).items():
            collected[key].append(value)
    # A failed run's 0 counts: it is a result.
    return {key: statistics.median(found) for key, found in collected.items()}


def compare_medians(before_ids: list[int], after_ids: list[int], *, source: str) -> Comparison:
    """Each case's median over the runs before against its median over the runs after."""
    values = _values(before_ids + after_ids, source)
    return _compare(_median_of(values, before_ids), _median_of(values, after_ids))


def compare_median_groups(
    groups: dict[object, tuple[list[int], list[int]]], *, source: str
) -> dict[object, Comparison]:
    """compare_medians for several groups (boards, say) with one query for all their scores."""
    every = [run_id for before, after in groups.values() for run_id in before + after]
    values = _values(every, source)
    return {
        name: _compare(_median_of(values, before), _median_of(values, after))
        for name, (before, after) in groups.items()
    }


def kept_comparison(name: str, build: Callable[[], Comparison]) -> Comparison:
    """A comparison kept in the cache under the lab's generation: runs only change through
    the services, which bump it. `name` holds the run ids, so visibility is checked before."""
    key = f"lab:comparison:{CALIPER.current()}:{name}"
    comparison = cache.get(key)
    if comparison is None:
        comparison = build()
        cache.set(key, comparison, timeout=KEPT_SECONDS)
    return comparison
