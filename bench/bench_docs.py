"""Docs: a page's requests/s (stored HTML) against /healthz, and search latency over 5,000 pages."""

from __future__ import annotations

import random
import statistics
import time
import urllib.request
from urllib.parse import urlencode

from bench.common import gunicorn, ratio, requests_per_second, setup_django

PAGES = 5_000
SEARCHES = 200
VOCABULARY = (
    "board firmware uefi grub kernel image rootfs ubuntu debian centos fedora opensuse pxe "
    "sata tftp dhcp serial console flash partition device tree toolchain compile deploy "
    "network ethernet memory cores benchmark lab remote release checksum signature install "
    "boot driver module package mirror repository storage virtio qemu hikey acpi trusted smmu "
    "pcie"
)
WORDS = VOCABULARY.split()
# Names that occur in a few pages each (part numbers, commands), as real manuals have them.
RARE = [f"{prefix}{n}" for prefix in ("hip", "kirin", "cfg", "drv") for n in range(500)]


def _paragraph(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def generate(count: int = PAGES) -> None:
    """count (5,000) latest pages over the sections, rendered and indexed as the editors do."""
    from django.contrib.postgres.search import SearchVector
    from django.db import connection, transaction
    from django.utils import timezone

    from docs_app.models import Page, PageRevision, Section
    from docs_app.querysets import SEARCH_CONFIG
    from docs_app.services import render_source

    if Page.objects.filter(slug__startswith="bench-").count() >= count:
        return
    Page.objects.filter(slug__startswith="bench-").delete()
    rng = random.Random(5)
    sections = list(Section.objects.all())
    now = timezone.now()
    batch = []
    for i in range(count):
        title = " ".join(rng.choice(WORDS) for _ in range(3)).title()
        source = "\n\n".join(
            [
                _paragraph(rng, 60),
                f"## {rng.choice(WORDS).title()} {rng.choice(WORDS)}",
                _paragraph(rng, 80) + " " + " ".join(rng.sample(RARE, 5)),
                "```bash\nsudo fastboot flash boot image.img\n```",
                "| Item | Value |\n|---|---|\n| cores | 16 |\n| memory | 64 GB |",
                _paragraph(rng, 80),
            ]
        )
        rendered, refs = render_source(source)
        batch.append(
            Page(
                section=sections[i % len(sections)],
                slug=f"bench-{i}",
                title=title,
                source=source,
                html=rendered.html,
                toc=rendered.toc_as_dicts(),
                text=rendered.text,
                artifact_refs=refs,
                order=i,
                updated_at=now,
            )
        )
    with transaction.atomic():
        pages = Page.objects.bulk_create(batch, batch_size=500)
        PageRevision.objects.bulk_create(
            [
                PageRevision(page=p, number=1, title=p.title, source=p.source, message="bench")
                for p in pages
            ],
            batch_size=500,
        )
        Page.objects.filter(slug__startswith="bench-").update(
            search_vector=SearchVector("title", weight="A", config=SEARCH_CONFIG)
            + SearchVector("text", weight="B", config=SEARCH_CONFIG)
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE docs_app_page")


def _percentiles(timings: list[float]) -> dict:
    timings = sorted(timings)
    return {
        "p50_ms": round(statistics.median(timings), 1),
        "p95_ms": round(timings[max(0, int(len(timings) * 0.95) - 1)], 1),
        "max_ms": round(timings[-1], 1),
    }


def _search_latencies(base: str) -> dict:
    """Half the queries name something rare (a few pages match), half use common words
    (nearly every page matches and all of them are ranked: the worst case)."""
    rng = random.Random(7)
    timings: dict[str, list[float]] = {"rare": [], "common": []}
    hits = 0
    for i in range(SEARCHES):
        kind = "rare" if i % 2 else "common"
        pool = RARE if kind == "rare" else WORDS
        words = " ".join(rng.sample(pool, 1 if kind == "rare" else 1 + i % 4 // 2))
        url = f"{base}/docs/search/?{urlencode({'q': words})}"
        started = time.perf_counter()
        with urllib.request.urlopen(url, timeout=30) as response:
            body = response.read()
        timings[kind].append((time.perf_counter() - started) * 1000)
        hits += body.count(b'<p class="snippet">')
    return {
        "requests": SEARCHES,
        **_percentiles(timings["rare"] + timings["common"]),
        "rare_terms": _percentiles(timings["rare"]),
        "common_words": _percentiles(timings["common"]),
        "mean_hits_shown": round(hits / SEARCHES, 1),
    }


def run() -> dict:
    setup_django()
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("seed_demo", verbosity=0)
    generate()
    generated_in = round(time.perf_counter() - started, 1)
    with gunicorn() as url:
        healthz = requests_per_second(f"{url}/healthz")
        page = requests_per_second(f"{url}/docs/latest/quick-start/d02/")
        contents = requests_per_second(f"{url}/docs/latest/")
        search = _search_latencies(url)
    return {
        "pages": PAGES,
        "data_seconds": generated_in,
        "healthz": healthz,
        "doc_page": page,
        "doc_page_vs_healthz": ratio(page, healthz),
        "contents_page": contents,
        "contents_vs_healthz": ratio(contents, healthz),
        "search": search,
    }
