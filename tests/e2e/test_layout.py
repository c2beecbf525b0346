"""Every link answers, every page the crawl finds fits a phone and a desktop, the main pages pass
axe-core.

The pages come from tests/crawl.py (links followed from the home page, signed out and signed in
as staff), one per URL pattern, so that a section born tomorrow is laid out here too.
axe-core is the npm package pinned in package.json (`make test-tools` installs it into
node_modules/); each browser context loads it into its pages, and on the main pages it must
report no serious or critical violation.
Screenshots of the main pages at 375 px and 1280 px land in var/screenshots/.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from tests.crawl import CrawlResult, crawl, pattern_of
from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.django_db(transaction=True)

AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
WIDTHS = (375, 1280)
PER_PATTERN = 1  # pages laid out per URL pattern: a template is caught by one of its pages
BLOCKING = ("serious", "critical")

OVERFLOW_JS = """() => {
  const root = document.documentElement;
  if (root.scrollWidth <= root.clientWidth) return null;
  // Name the widest elements that stick out, to say what to fix.
  const out = [];
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.right > root.clientWidth + 1 && r.width > 0) {
      const p = el.parentElement && el.parentElement.getBoundingClientRect();
      if (!p || p.right <= root.clientWidth + 1) {
        out.push(el.tagName.toLowerCase() + (el.className && typeof el.className === 'string'
          ? '.' + el.className.trim().split(/\\s+/).join('.') : '') + ' ' + Math.round(r.right));
      }
    }
  }
  return {width: root.scrollWidth, culprits: out.slice(0, 4)};
}"""

AXE_JS = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.filter(v => ['serious', 'critical'].includes(v.impact)).map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
}"""


@pytest.fixture
def demo(live_server, settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "artifacts": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "artifacts"},
        },
    }
    settings.ARTIFACT_IMPORT_DIRS = [str(tmp_path / "incoming")]
    call_command("seed_demo", stdout=io.StringIO())
    staff = get_user_model().objects.create_user(
        "layout", "layout@example.org", "pw-for-tests-1", is_staff=True, is_superuser=True
    )
    return staff


def _session_client(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


# Django's own admin is left to Django, and the API's browsable docs to the Swagger UI that
# django-ninja ships (served from our static files): the crawl checks their links, the browser
# our pages.
NOT_OURS = ("/admin/", "/api/v1/docs")


def _sample(pages, per_pattern: int) -> list[str]:
    chosen: dict[str, list[str]] = {}
    ours = [p for p in pages if not p.url.startswith(NOT_OURS)]
    for page in sorted(ours, key=lambda p: (p.depth, len(p.url))):
        picked = chosen.setdefault(pattern_of(page.url), [])
        if len(picked) < per_pattern:
            picked.append(page.url)
    return [url for urls in chosen.values() for url in urls]


def _context(browser, live_server, *, client: Client | None, width: int, language: str = "en"):
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": width, "height": 800},
        bypass_csp=True,  # axe is injected as a script of our own
    )
    context.set_default_timeout(15_000)
    host = urlsplit(live_server.url).hostname
    cookies = [
        {"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "domain": host, "path": "/"}
    ]
    if client is not None and settings.SESSION_COOKIE_NAME in client.cookies:
        session = client.cookies[settings.SESSION_COOKIE_NAME].value
        cookies.append(
            {"name": settings.SESSION_COOKIE_NAME, "value": session, "domain": host, "path": "/"}
        )
    context.add_cookies(cookies)
    return context


@pytest.fixture
def sessions(demo) -> Iterator[dict[str, Client]]:
    yield {"signed out": _session_client(), "staff": _session_client(demo)}


def _main_pages(client: Client, result) -> list[str]:
    """One page of each pattern within two clicks of home: every section's front door and what
    it leads to first (a board, a release, a category, a topic, a guide)."""
    near = [p for p in result.html_pages() if p.depth <= 2]
    return _sample(near, 1)


def _slug(url: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", url.lower()).strip("-") or "home"


def _visits(
    sessions: dict[str, Client], crawls: dict[str, CrawlResult]
) -> Iterator[tuple[str, Client, str, int, list[Visit]]]:
    """Each page is loaded once per session, language and width, and everything that is to be
    checked at that combination is checked on the one load: seeding, crawling and loading pages
    are what this test spends its time on."""
    for who, client in sessions.items():
        result = crawls[who]
        laid_out = _sample(result.html_pages(), PER_PATTERN)
        main = set(_main_pages(client, result))
        # English at both widths (a phone shows scrolling boxes a desktop does not), Chinese at
        # one; the layout in English at both widths; screenshots of the public pages.
        for language, width in [("en", 375), ("en", 1280), ("zh-hans", 1280)]:
            visits = []
            for url in laid_out:
                audit = url in main and (who == "signed out" or width == 1280)
                visits.append(
                    Visit(
                        url=url,
                        layout=language == "en",
                        audit=audit,
                        screenshot=url in main and who == "signed out" and language == "en",
                    )
                )
            yield who, client, language, width, [v for v in visits if v.layout or v.audit]


@dataclass(frozen=True)
class Visit:
    url: str
    layout: bool
    audit: bool
    screenshot: bool


def test_every_page_answers_fits_every_screen_and_passes_axe(browser, live_server, sessions):
    """Over the demo data, signed out and as staff, one walk of the site checks:
    - every link a visitor can reach from the home page answers (200 or a deliberate redirect);
      a broken one is named with the page that holds it (tests/crawl.py);
    - no page is wider than a phone or a desktop screen;
    - the main pages (within two clicks of home) have no serious or critical axe-core violation,
      in English and Chinese;
    - screenshots of the main pages land in var/screenshots/main-*-375.png beside
      main-*-1280.png, for a person to look at.
    One test, because seeding, crawling and loading each page are where the time goes."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: `make test-tools` installs axe-core with npm")
    crawls = {who: crawl(client) for who, client in sessions.items()}
    broken = [f"{who}: {line}" for who, result in crawls.items() for line in result.broken]
    assert not broken, f"{len(broken)} broken links:\n" + "\n".join(broken)
    # The crawl really walked the site: every section's index, and the staff's own pages.
    public = crawls["signed out"]
    assert len(public.html_pages()) > 30
    for section in ("/docs/", "/downloads/", "/forum/", "/lists/", "/bugs/", "/search/"):
        assert section in public.pages, section
    assert "/admin/" in crawls["staff"].pages
    assert any(url.startswith("/downloads/manage/") for url in crawls["staff"].pages)

    too_wide, violations = [], []
    laid_out = audited = 0
    for who, client, language, width, visits in _visits(sessions, crawls):
        context = _context(browser, live_server, client=client, width=width, language=language)
        if any(visit.audit for visit in visits):
            # Given to the context once, axe is compiled once and kept by the browser: injected
            # into each page it cost more than running it (205 ms a page on a slow machine).
            context.add_init_script(path=str(AXE))
        page = context.new_page()
        for visit in visits:
            page.goto(visit.url)
            if visit.layout:
                laid_out += 1
                overflow = page.evaluate(OVERFLOW_JS)
                if overflow:
                    too_wide.append(
                        f"{who} {width}px {visit.url}: {overflow['width']}px wide "
                        f"({', '.join(overflow['culprits'])})"
                    )
            if visit.screenshot:
                path = screenshot(page, f"main-{_slug(visit.url)}-{width}")
                assert path.stat().st_size > 0
            if visit.audit:
                audited += 1
                for violation in page.evaluate(AXE_JS):
                    violations.append(
                        f"{who} {language} {width}px {visit.url}: {violation['impact']} "
                        f"{violation['id']} ({violation['help']}) at "
                        + "; ".join(violation["nodes"])
                    )
        context.close()
    assert laid_out > 60
    assert audited >= 60
    problems = []
    if too_wide:
        problems.append(f"{len(too_wide)} pages overflow:\n" + "\n".join(too_wide))
    if violations:
        problems.append(f"{len(violations)} serious violations:\n" + "\n".join(violations))
    assert not problems, "\n\n".join(problems)
