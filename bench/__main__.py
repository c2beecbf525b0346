"""Run the benchmarks: every module bench/bench_*.py with a `run() -> dict` function.

`python -m bench` runs them all; `python -m bench home downloads` runs those whose names
contain one of the words. Each runs in a process of its own: a bench sets Django up on its own
database (the site bench on its generated community), and a process sets Django up once.
`--scale small|full` picks the community of the site bench (full by default, see
bench.generate); `--minutes N` the length of the busy-day load test (10 by default;
`python -m bench load --minutes 2` for a shorter one). Each result is printed and the run is
written to bench/results/<date>-<commit>.json (rewritten after each benchmark, so a run cut
short keeps what it measured). The files are meant to be committed: the history
shows a page slowing down.
"""

from __future__ import annotations

import importlib
import json
import platform
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
RUN_FILE = "BENCH_RUN_FILE"


def main(argv: list[str]) -> int:
    import argparse
    import os

    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("words", nargs="*")
    parser.add_argument("--scale", choices=["small", "full"])
    parser.add_argument("--minutes", type=float)
    args = parser.parse_args(argv)
    if args.scale:
        os.environ["BENCH_SCALE"] = args.scale
    if args.minutes:
        os.environ["BENCH_MINUTES"] = str(args.minutes)
    modules = sorted(p.stem for p in Path(__file__).parent.glob("bench_*.py"))
    if args.words:
        # A word naming a bench runs that one ("load" is not also "downloads").
        exact = [m for m in modules if m.removeprefix("bench_") in args.words]
        rest = [w for w in args.words if f"bench_{w}" not in modules]
        modules = exact + [m for m in modules if m not in exact and any(w in m for w in rest)]
    RESULTS.mkdir(exist_ok=True)
    # One file for the whole run, though it passes midnight: its benches are run as children.
    run_file = Path(
        os.environ.get(RUN_FILE)
        or RESULTS / f"{time.strftime('%Y-%m-%d', time.gmtime())}-{_commit()}.json"
    )
    if len(modules) > 1:
        return _each_in_its_own_process(modules, run_file)
    run = {
        "commit": _commit(),
        "machine": {"python": platform.python_version(), "cpus": _cpus()},
        "benchmarks": {},
    }
    if run_file.exists():  # another bench of the same commit today: keep its figures too
        run["benchmarks"] = json.loads(run_file.read_text()).get("benchmarks", {})
    failed = 0
    for name in modules:
        print(f"== {name}", flush=True)
        started = time.time()
        try:
            figures = importlib.import_module(f"bench.{name}").run()
        except Exception as exc:
            print(f"   failed: {exc!r}", flush=True)
            failed += 1
            figures = {"failed": repr(exc)}
        run["benchmarks"][result_key(name)] = {
            "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
            "seconds": round(time.time() - started, 1),
            "figures": figures,
        }
        run_file.write_text(json.dumps(run, indent=2) + "\n")
        print(json.dumps(figures, indent=2), flush=True)
    print(f"results: {run_file.relative_to(RESULTS.parent.parent)}", flush=True)
    return 1 if failed else 0


def _each_in_its_own_process(modules: list[str], run_file: Path) -> int:
    """Run each bench as `python -m bench <name>`, all writing to `run_file`; 1 if any failed."""
    import os
    import subprocess

    failed = []
    for name in modules:
        word = name.removeprefix("bench_")  # exact: it names this bench and no other
        done = subprocess.run(
            [sys.executable, "-m", "bench", word],
            cwd=RESULTS.parent.parent,
            env={**os.environ, RUN_FILE: str(run_file)},
        )
        if done.returncode:
            failed.append(word)
    if failed:
        print(f"failed: {', '.join(failed)}", flush=True)
    print(f"results: {run_file.relative_to(RESULTS.parent.parent)}", flush=True)
    return 1 if failed else 0


def result_key(module_name: str) -> str:
    """The name a bench's figures are kept under: a run narrowed while working on a page (fewer
    pages or levels, another scale) is kept beside the whole run of the day, never in its place."""
    key = module_name.removeprefix("bench_")
    # The module as the run imported it: one that failed to import is kept under its own name.
    variant = getattr(sys.modules.get(f"bench.{module_name}"), "variant", None)
    narrowed = variant() if variant else ""
    return f"{key} ({narrowed})" if narrowed else key


def _commit() -> str:
    import subprocess

    found = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=RESULTS.parent.parent,
        capture_output=True,
        text=True,
    )
    return found.stdout.strip() or "unknown"


def _cpus() -> int:
    import os

    return os.cpu_count() or 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
