"""The mail archive: import rate of the 20,000-message archive of ../shared/bench/gen_mbox.py
(seed 1: 1,339 threads, checked) and of 100,000 generated messages, into PostgreSQL with threads
and the full-text index; search latency p50/p95 over both; requests/s of a list page and of a
300-message thread against /healthz in the same run.

Each run starts from empty archive tables in the bench database (BENCH_DATABASE) and imports
with `import_mbox` as an administrator would, parsing in as many processes as there are CPUs.
"""

from __future__ import annotations

import os
import random
import resource
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from bench.common import BENCH_DATABASE, ROOT, gunicorn, ratio, requests_per_second, setup_django

GEN_MBOX = ROOT.parent / "shared" / "bench" / "gen_mbox.py"
ARCHIVES = {"archive_20k": (20_000, 1), "archive_100k": (100_000, 2)}
EXPECTED_THREADS_20K = 1_339
LONG_THREAD = 300
SEARCHES = 200
SECONDS = 5
WORDS = [
    "arm64",
    "kernel",
    "uefi",
    "grub",
    "d05",
    "hikey",
    "boot",
    "image",
    "rootfs",
    "ubuntu",
    "debian",
    "pci",
    "sata",
    "firmware",
    "flash",
    "serial",
    "console",
    "patch",
    "regression",
    "toolchain",
    "linaro",
    "hisilicon",
    "acpi",
    "smmu",
    "gic",
    "numa",
    "driver",
    "network",
    "ethernet",
    "phy",
    "clock",
    "usb",
    "storage",
    "benchmark",
]


def _archive(name: str, count: int, seed: int) -> Path:
    folder = ROOT / "var" / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"lists-{name}.mbox"
    if not path.exists():
        subprocess.run(
            [sys.executable, str(GEN_MBOX), str(count), str(path), "--seed", str(seed)],
            check=True,
            capture_output=True,
        )
    return path


def _long_thread(path: Path) -> Path:
    from bench.mailgen import generate
    from lists.mailboxes import mboxrd_entry

    with path.open("wb") as out:
        for envelope, raw in generate(
            LONG_THREAD, seed=9, list_name="bench-long", thread_sizes=(LONG_THREAD,)
        ):
            out.write(mboxrd_entry(envelope.encode() + b"\n", raw))
    return path


def _searches(rng: random.Random) -> list[str]:
    queries = []
    for i in range(SEARCHES):
        kind = i % 5
        a, b = rng.choice(WORDS), rng.choice(WORDS)
        year = rng.randint(2015, 2024)
        queries.append(
            [
                f"{a} {b}",
                f"s:{a}",
                f'"{a} {b}"',
                f"b:{a} d:{year}-01-01..{year}-06-30",
                f"f:zhang {a}",
            ][kind]
        )
    return queries


def _stat_seconds(pid: int | str, *, children: bool = False) -> float | None:
    """CPU seconds of a process (and of its reaped children) from /proc, where it runs here."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    ticks = int(fields[11]) + int(fields[12])
    if children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / os.sysconf("SC_CLK_TCK")


class _BackendSampler:
    """CPU of every PostgreSQL backend of the bench database (the writing connection and the
    parsing processes' own), sampled while the import runs: their titles name the database,
    which only this bench uses. A backend's last 0.1 s before it exits may be missed."""

    def __init__(self, database: str) -> None:
        self.tag = f" {database} ".encode()
        self.seen: dict[str, float] = {}
        self.before: dict[str, float] = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> dict[str, float]:
        found = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                title = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if title.startswith(b"postgres: ") and self.tag in title:
                seconds = _stat_seconds(entry.name)
                if seconds is not None:
                    found[entry.name] = seconds
        return found

    def _run(self) -> None:
        while not self.stop.wait(0.1):
            self.seen.update(self._sample())

    def __enter__(self) -> _BackendSampler:
        self.before = self._sample()
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join()
        self.seen.update(self._sample())

    @property
    def seconds(self) -> float:
        return sum(v - self.before.get(pid, 0.0) for pid, v in self.seen.items())


def _own_cpu_seconds() -> float:
    """This process, its reaped children, and its living children with theirs (the
    forkserver that starts the parsing processes keeps them as its own children)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    reaped = resource.getrusage(resource.RUSAGE_CHILDREN)
    total = own.ru_utime + own.ru_stime + reaped.ru_utime + reaped.ru_stime
    me = str(os.getpid())
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = (entry / "stat").read_text().rsplit(")", 1)[1].split()[1]
        except OSError:
            continue
        if parent == me:
            total += _stat_seconds(entry.name, children=True) or 0.0
    return total


def import_timed(mailing_list, path: Path) -> dict:
    """Import one archive; wall time, and CPU time spent by every process involved (this one,
    its parsing processes, the PostgreSQL backends of all of them): on a shared machine, CPU
    seconds per message say what the code costs whatever else runs."""
    from django.core.management import call_command

    from lists.models import Message, Thread

    cpu_before = _own_cpu_seconds()
    with _BackendSampler(BENCH_DATABASE) as backends:
        started = time.monotonic()
        call_command("import_mbox", mailing_list.name, str(path), "--no-progress", verbosity=0)
        seconds = time.monotonic() - started
    own = _own_cpu_seconds() - cpu_before
    cpu = own + backends.seconds
    messages = Message.objects.filter(mailing_list=mailing_list).count()
    return {
        "messages": messages,
        "threads": Thread.objects.filter(mailing_list=mailing_list, message_count__gt=0).count(),
        "seconds": round(seconds, 1),
        "messages_per_second": round(messages / seconds),
        "cpu_seconds": round(cpu, 1),
        "cpu_seconds_python": round(own, 1),
        "cpu_seconds_postgresql": round(backends.seconds, 1),
        "messages_per_cpu_second": round(messages / cpu) if cpu else None,
        # What the CPU time allows on this machine's cores when nothing else runs.
        "messages_per_second_if_idle": round(messages * (os.cpu_count() or 1) / cpu)
        if cpu
        else None,
        # The peak memory of this process (the parsing processes are apart): flat means the
        # 100,000 archive peaks where the 20,000 one did.
        "peak_memory_mb_so_far": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
        "load_average": round(os.getloadavg()[0], 1),
    }


def run() -> dict:
    setup_django()
    from django.contrib.auth.models import AnonymousUser
    from django.core.management import call_command
    from django.db import connection

    from lists.models import MailingList, Message, Thread
    from lists.querysets import search_messages

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE lists_attachment, lists_threadnode, lists_webreply, lists_mboxupload, "
            "lists_message, lists_thread, lists_mailinglist_members, lists_mailinglist CASCADE"
        )
    figures: dict = {"workers": os.cpu_count() or 1}
    lists = {}
    for name, (count, seed) in ARCHIVES.items():
        path = _archive(name, count, seed)
        mailing_list = MailingList.objects.create(
            name=name.replace("_", "-"), posting_address=f"{name}@bench.example"
        )
        lists[name] = mailing_list
        figures[name] = import_timed(mailing_list, path)
        threads = figures[name]["threads"]
        if name == "archive_20k" and threads != EXPECTED_THREADS_20K:
            raise AssertionError(f"{threads} threads in the 20,000 archive, not 1,339")

    anonymous = AnonymousUser()
    timings = []
    for query in _searches(random.Random(5)):
        started = time.monotonic()
        list(search_messages(anonymous, query).only("message_id", "subject", "date")[:50])
        timings.append((time.monotonic() - started) * 1000)
    timings.sort()
    figures["search_ms"] = {
        "over_messages": Message.objects.count(),
        "p50": round(statistics.median(timings), 1),
        "p95": round(timings[int(len(timings) * 0.95) - 1], 1),
    }

    small = lists["archive_20k"]
    call_command(
        "import_mbox",
        small.name,
        str(_long_thread(ROOT / "var" / "bench" / "lists-long.mbox")),
        "--no-progress",
        verbosity=0,
    )
    long_thread = Thread.objects.filter(mailing_list=small).order_by("-message_count").first()
    figures["long_thread_messages"] = long_thread.message_count
    pages = {
        "list_page": small.get_absolute_url(),
        "list_page_10": small.get_absolute_url() + "?page=10",
        "thread_300": long_thread.get_absolute_url(),
    }
    with gunicorn() as url:
        for path in pages.values():  # warm the caches, as a live site has them
            subprocess.run(["curl", "-s", "-o", "/dev/null", f"{url}{path}"], check=False)
        healthz = requests_per_second(f"{url}/healthz", seconds=SECONDS)
        figures["healthz"] = healthz
        for name, path in pages.items():
            result = requests_per_second(f"{url}{path}", seconds=SECONDS)
            result["vs_healthz"] = ratio(result, healthz)
            figures[name] = result
    return figures
