"""Requests per second of the home page against /healthz, the most trivial view, in one run."""

from bench.common import gunicorn, ratio, requests_per_second, setup_django


def run() -> dict:
    setup_django()
    from django.core.management import call_command

    call_command("seed_demo", verbosity=0)
    with gunicorn() as url:
        healthz = requests_per_second(f"{url}/healthz")
        home = requests_per_second(f"{url}/")
    return {
        "healthz": healthz,
        "home": home,
        "home_vs_healthz": ratio(home, healthz),
    }
