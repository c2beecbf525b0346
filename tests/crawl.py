"""Walk the site from the home page with Django's test client, as a visitor following links.

Used by tests/e2e/test_layout.py, where every link must answer and the pages it finds are laid
out and audited in the browser, and by tests/portal/test_crawl.py. Nothing here knows the
sections: a new one is covered as soon as a page links to it.
"""

from __future__ import annotations

import http.client
import io
from collections import Counter, deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urldefrag, urlencode, urljoin, urlsplit

from django.urls import Resolver404, resolve

# Never followed: they change state or leave the site's pages.
# The language links would turn the rest of the walk into another language.
SKIP_PREFIXES = ("/accounts/logout/", "/static/", "/media/", "/i18n/", "/language/", "/jsi18n/")
# Django's own admin is crawled to its lists and forms, not into every object it holds.
ADMIN_PREFIX = "/admin/"
FEED_TYPES = ("application/atom+xml", "application/rss+xml", "application/xml", "text/xml")
# A crawl that finds more pages than this is following a generated space, not links a person would.
MAX_PAGES = 3000


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.base: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "base" and values.get("href") and self.base is None:
            self.base = values["href"]
        elif tag in ("a", "link") and values.get("href"):
            self.links.append(values["href"])
        elif tag in ("img", "script") and values.get("src"):
            self.links.append(values["src"])
        elif tag == "form" and (values.get("method") or "get").lower() == "get":
            # A GET form (search, filters) sent empty must answer too.
            self.links.append(values.get("action") or "")


def links_in(html: str, *, url: str) -> list[str]:
    """The links of a page, made absolute against its URL or its <base href>, as a browser does."""
    parser = _Links()
    parser.feed(html)
    base = urljoin(url, parser.base) if parser.base else url
    return [urljoin(base, link) if link else url for link in parser.links]


@dataclass
class Page:
    url: str
    status: int
    content_type: str
    referrer: str | None
    depth: int


@dataclass
class CrawlResult:
    pages: dict[str, Page] = field(default_factory=dict)
    broken: list[str] = field(default_factory=list)

    def html_pages(self) -> list[Page]:
        return [p for p in self.pages.values() if p.status == 200 and "text/html" in p.content_type]


def _same_origin(base: str, href: str) -> str | None:
    """The site-relative path of href as seen from base, or None when it leaves the site."""
    href = href.strip()
    if href.startswith(("mailto:", "tel:", "javascript:", "data:")):
        return None
    absolute = urldefrag(urljoin("http://testserver" + base, href))[0]
    parts = urlsplit(absolute)
    if parts.netloc != "testserver" or parts.scheme not in ("http", "https"):
        return None
    # "?next=" only says where to come back: the same page, whatever page linked to it.
    query = urlencode(
        [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "next"]
    )
    return parts.path + (f"?{query}" if query else "")


def _is_file_link(url: str) -> bool:
    # Pages end with a slash (APPEND_SLASH); anything else may be a file: ask with HEAD first.
    return not urlsplit(url).path.endswith("/")


def _drain(response) -> bytes:
    if getattr(response, "streaming", False):
        buffer = io.BytesIO()
        # Reading to the end lets the test client close the answer itself, with the signal that
        # would close the test's database connection held back; closing it here again would not.
        for chunk in response.streaming_content:
            buffer.write(chunk)
        return buffer.getvalue()
    return response.content


def _walks_its_own_space(url: str, target: str) -> bool:
    """Whether the link goes from one variant of a page to another (a calendar's next week from
    a week, one more filter from a filtered list): each step is the same template with the same
    links, and the walk would go through every week and every combination (540 calendar pages
    and 400 filtered bug lists on the demo data). The first step, from the page itself, is
    followed, so every such link is asked once; so are a variant's further pages (what is
    listed only there is reached)."""
    here, there = urlsplit(url), urlsplit(target)
    if not (here.query and there.query and here.path == there.path):
        return False

    def without_page(query: str) -> list[tuple[str, str]]:
        return sorted((k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k != "page")

    return without_page(here.query) != without_page(there.query)


def pattern_of(url: str) -> str:
    """The URL pattern that serves url ("docs/<str:version>/<slug:section>/"), for sampling."""
    path = urlsplit(url).path
    try:
        match = resolve(path)
    except Resolver404:
        return path
    return match.route or match.view_name or path


class _LiveAnswer:
    """An HTTP answer in the shape the crawl reads of the test client's."""

    streaming = False

    def __init__(self, method: str, response: http.client.HTTPResponse) -> None:
        self.status_code = response.status
        self.headers = {name.lower(): value for name, value in response.getheaders()}
        self.content = response.read()
        self.request = {"REQUEST_METHOD": method}

    def get(self, name: str, default: str = "") -> str:
        return self.headers.get(name.lower(), default)

    def __getitem__(self, name: str) -> str:
        return self.headers[name.lower()]


class LiveClient:
    """A client of a site running in another process (`host`, `port`), for crawl(): redirects
    are answered, not followed, as the test client does; `cookie` is sent with every request."""

    def __init__(self, host: str, port: int, *, cookie: str = "") -> None:
        self.host, self.port, self.cookie = host, port, cookie

    def _ask(self, method: str, url: str) -> _LiveAnswer:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
        try:
            connection.request(method, url, headers={"Cookie": self.cookie} if self.cookie else {})
            return _LiveAnswer(method, connection.getresponse())
        finally:
            connection.close()

    def get(self, url: str) -> _LiveAnswer:
        return self._ask("GET", url)

    def head(self, url: str) -> _LiveAnswer:
        return self._ask("HEAD", url)


def crawl(
    client, *, start: str = "/", max_depth: int | None = None, per_pattern: int | None = None
) -> CrawlResult:
    """Follow every same-origin link from start (at most max_depth links away, when given; at
    most `per_pattern` pages of each URL pattern, when given: every view, not every row);
    files are asked with HEAD, pages with GET."""
    result = CrawlResult()
    queue: deque[tuple[str, str | None, int]] = deque([(start, None, 0)])
    seen = {start}
    taken: Counter[str] = Counter()
    while queue:
        url, referrer, depth = queue.popleft()
        if len(result.pages) >= MAX_PAGES:
            result.broken.append(f"more than {MAX_PAGES} pages: the crawl stopped at {url}")
            break
        response = None
        if _is_file_link(url):
            response = client.head(url)
            content_type = response.get("Content-Type", "")
            if response.status_code == 405:
                # Every server must answer HEAD where it answers GET (RFC 9110): probes and
                # download managers ask it.
                result.broken.append(f"{url} refuses HEAD, linked from {referrer or 'nowhere'}")
            if response.status_code == 405 or (
                response.status_code == 200 and (content_type.startswith(("text/", *FEED_TYPES)))
            ):
                response = None  # a page, a feed or a text list: read it whole
        if response is None:
            response = client.get(url)
        status = response.status_code
        content_type = response.get("Content-Type", "")
        body = _drain(response) if response.request["REQUEST_METHOD"] == "GET" else b""
        result.pages[url] = Page(url, status, content_type, referrer, depth)
        new_links: list[str] = []
        if status in (301, 302, 303, 307, 308):
            new_links = [response["Location"]]
        elif status != 200:
            result.broken.append(f"{url} answers {status}, linked from {referrer or 'nowhere'}")
            continue
        elif "text/html" in content_type and (
            # Follow admin links only from the admin's index: its lists and forms, not every row.
            not url.startswith(ADMIN_PREFIX) or urlsplit(url).path == ADMIN_PREFIX
        ):
            new_links = links_in(body.decode("utf-8", errors="replace"), url=url)
        if max_depth is not None and depth >= max_depth:
            continue
        for href in new_links:
            target = _same_origin(url, href)
            if target is None or target in seen or target.startswith(SKIP_PREFIXES):
                continue
            if _walks_its_own_space(url, target):
                continue
            if per_pattern is not None:
                pattern = pattern_of(target)
                if taken[pattern] >= per_pattern:
                    continue
                taken[pattern] += 1
            seen.add(target)
            queue.append((target, url, depth + 1))
    return result
