"""Run the benchmarks: every module bench/bench_*.py with a `run() -> dict` function.

`python -m bench` runs them all; `python -m bench home downloads` runs those whose names
contain one of the words. Each result is printed and written to bench/results/<name>.json.
"""

from __future__ import annotations

import importlib
import json
import platform
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def main(argv: list[str]) -> int:
    modules = sorted(p.stem for p in Path(__file__).parent.glob("bench_*.py"))
    if argv:
        modules = [m for m in modules if any(word in m for word in argv)]
    RESULTS.mkdir(exist_ok=True)
    failed = 0
    for name in modules:
        print(f"== {name}", flush=True)
        started = time.time()
        try:
            figures = importlib.import_module(f"bench.{name}").run()
        except Exception as exc:
            print(f"   failed: {exc!r}", flush=True)
            failed += 1
            continue
        result = {
            "benchmark": name,
            "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
            "seconds": round(time.time() - started, 1),
            "machine": {"python": platform.python_version(), "cpus": _cpus()},
            "figures": figures,
        }
        (RESULTS / f"{name.removeprefix('bench_')}.json").write_text(
            json.dumps(result, indent=2) + "\n"
        )
        print(json.dumps(figures, indent=2), flush=True)
    return 1 if failed else 0


def _cpus() -> int:
    import os

    return os.cpu_count() or 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
