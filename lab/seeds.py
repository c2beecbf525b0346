"""Demo data of the lab: a few Open Lab boards and Caliper runs of D05 on two releases."""

from __future__ import annotations

from collections.abc import Callable

import yaml

from downloads.models import Board, Release
from lab.models import CaliperRun, LabBoard
from lab.services.caliper import Machine, upload_run

LAB_BOARDS = [
    ("d05", "D05 lab #1", "d05-lab-1", LabBoard.Health.GOOD),
    ("d05", "D05 lab #2", "d05-lab-2", LabBoard.Health.GOOD),
    ("hikey", "HiKey lab #1", "hikey-lab-1", LabBoard.Health.GOOD),
    ("d03", "D03 lab #1", "d03-lab-1", LabBoard.Health.MAINTENANCE),
]

# Test Item → Sub-item → Point → case: value, as Caliper's score files hold them.
BASE_SCORES = {
    "Performance": {
        "latency": {
            "process": {"lat_proc_fork": 5.95, "lat_proc_exec": 4.8, "lat_proc_shell": 3.1},
            "memory": {"lat_mem_rd_l1": 9.2, "lat_mem_rd_l2": 7.7},
        },
        "cpu": {
            "sincore": {"dhrystone": 11.4, "whetstone": 8.9},
            "multicore": {"coremark": 12.7, "openssl_sha256": 10.2},
        },
        "memory": {"bandwidth": {"stream_copy": 6.4, "stream_triad": 6.1}},
        "storage": {"io": {"fio_randread_4k": 5.3, "fio_seqwrite_1m": 4.4}},
        "network": {"tcp": {"netperf_tcp_stream": 7.5, "iperf_udp": 0.0}},
    }
}


def _files(host: str, factor: float) -> dict[str, tuple[str, bytes]]:
    def scaled(scale: float) -> dict:
        return {
            item: {
                sub: {
                    point: {
                        "Point_Scores": {
                            case: round(
                                value * scale * (1 + (sum(map(ord, case)) % 7 - 3) / 100), 2
                            )
                            if value
                            else 0
                            for case, value in cases.items()
                        },
                    }
                    for point, cases in points.items()
                }
                for sub, points in subs.items()
            }
            for item, subs in BASE_SCORES.items()
        }

    def text(data: dict) -> bytes:
        return yaml.safe_dump({"name": host, "results": data}, sort_keys=False).encode()

    return {
        "raw": (f"{host}.yaml", text(scaled(factor * 10))),
        "score": (f"{host}_score.yaml", text(scaled(factor))),
        "post": (f"{host}_score_post.yaml", text(scaled(factor * 0.9))),
    }


def seed_lab(say: Callable[[str], None]) -> None:
    boards = {board.slug: board for board in Board.objects.all()}
    for slug, name, lab_slug, health in LAB_BOARDS:
        if slug not in boards:
            continue
        LabBoard.objects.update_or_create(
            slug=lab_slug,
            defaults={
                "board": boards[slug],
                "name": name,
                "health": health,
                "access_notes": (
                    f"Host: {lab_slug}.lab.example.org\n"
                    f"Console: ssh lab@{lab_slug}.lab.example.org console\n"
                    f"Power: ssh lab@{lab_slug}.lab.example.org power-cycle"
                ),
            },
        )
    d05 = boards.get("d05")
    releases = {r.version: r for r in Release.objects.filter(version__in=["3.0", "3.1"])}
    if d05 is None or len(releases) < 2:
        say("  lab: boards only (no D05 or releases 3.0 and 3.1)")
        return
    if not CaliperRun.objects.filter(board=d05).exists():
        machine = Machine(
            cpu="HiSilicon Hi1616, 64 × Cortex-A72 @ 2.4 GHz",
            memory="128 GiB DDR4-2400",
            kernel="4.16.0-estuary",
            distribution="Ubuntu 18.04",
            compiler="gcc 7.3.0",
        )
        for version, factor in [("3.0", 1.0), ("3.0", 1.01), ("3.1", 1.06), ("3.1", 1.05)]:
            upload_run(
                board=d05,
                release=releases[version],
                machine=machine,
                files=_files("d05-lab-1", factor),
            )
    say(f"  lab: {LabBoard.objects.count()} boards, {CaliperRun.objects.count()} Caliper runs")
