"""The lab under load: Caliper comparisons and the lab's calendar against /healthz.

D05 gets RUNS runs on each of 3.0 and 3.1, each with CASES cases in each of its three files
(the demo data's four runs included), and a week of reservations on every lab board. Figures:
requests/s of a two-run comparison, the medians of the two releases, a run's page, the lab's
calendar and a lab board's page, next to /healthz in the same run.
"""

from __future__ import annotations

from bench.common import gunicorn, ratio, requests_per_second, setup_django, warm

RUNS, CASES = 30, 400
WRK_SECONDS = 5


def _caliper_yaml(host: str, scale: float) -> bytes:
    lines = [f"name: {host}", "results:", "  Performance:"]
    for sub in range(CASES // 40):
        lines.append(f"    sub{sub:02d}:")
        for point in range(4):
            lines += [f"      point{point}:", "        Point_Scores:"]
            for case in range(10):
                value = 0 if (sub, point, case) == (3, 1, 7) else (case + 1) * scale
                lines.append(f"          case_{sub:02d}_{point}_{case}: {value:.3f}")
    return ("\n".join(lines) + "\n").encode()


def _data() -> tuple[int, int]:
    import datetime

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from downloads.models import Board, Release
    from lab.models import CaliperRun, LabBoard, Reservation
    from lab.services.caliper import Machine, upload_run

    d05 = Board.objects.get(slug="d05")
    machine = Machine(
        cpu="Hi1616", memory="128 GiB", kernel="4.16", distribution="Ubuntu", compiler="gcc 7"
    )
    for version in ("3.0", "3.1"):
        release = Release.objects.get(version=version)
        have = CaliperRun.objects.filter(board=d05, release=release).count()
        for i in range(have, RUNS):
            host = f"bench-{version.replace('.', '')}-{i}"
            scale = 1 + i / 100 + (0.05 if version == "3.1" else 0)
            data = _caliper_yaml(host, scale)
            upload_run(
                board=d05,
                release=release,
                machine=machine,
                files={
                    "raw": (f"{host}.yaml", data),
                    "score": (f"{host}_score.yaml", data),
                    "post": (f"{host}_score_post.yaml", data),
                },
            )
    people = [
        get_user_model().objects.get_or_create(username=f"lab-bench-{i}")[0] for i in range(20)
    ]
    start = timezone.now().replace(minute=0, second=0, microsecond=0)
    if not Reservation.objects.filter(user__in=people).exists():
        for lab_board in LabBoard.objects.filter(health="good"):
            for hour in range(0, 7 * 24, 3):
                Reservation.objects.create(
                    lab_board=lab_board,
                    user=people[hour % len(people)],
                    starts_at=start + datetime.timedelta(hours=hour),
                    ends_at=start + datetime.timedelta(hours=hour + 2),
                )
    runs = list(CaliperRun.objects.filter(board=d05).order_by("pk").values_list("pk", flat=True))
    return runs[0], runs[-1]


def run() -> dict:
    setup_django()
    from django.core.management import call_command

    call_command("seed_demo", "--only", "site", "--only", "downloads", "--only", "lab", verbosity=0)
    first, last = _data()
    pages = {
        "compare_runs": f"/lab/caliper/compare/runs/{first}/{last}/",
        "compare_releases": "/lab/caliper/compare/d05/3.0/3.1/",
        "run": f"/lab/caliper/runs/{last}/",
        "calendar": "/lab/calendar/",
        "lab_board": "/lab/boards/d05-lab-1/",
    }
    with gunicorn() as url:
        # One request to each first: the workers' connections and the kept fragments exist.
        warm(url, ["/healthz", *pages.values()], rounds=1)
        healthz = requests_per_second(f"{url}/healthz", seconds=WRK_SECONDS)
        figures = {"healthz": healthz}
        for name, path in pages.items():
            result = requests_per_second(url + path, seconds=WRK_SECONDS)
            result["vs_healthz"] = ratio(result, healthz)
            figures[name] = result
    figures["data"] = {"runs_per_release": RUNS, "cases_per_file": CASES}
    return figures
