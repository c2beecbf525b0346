"""Importing the posts of a Hexo site (the original Estuary web site) as doc pages.

Front matter of `title:`, `date:` and `tags:` closed by `---`, with or without the opening
`---`; raw HTML inside the Markdown (the markup pipeline sanitizes it); links between posts
(`/tags/Go-Through/`, `/2015/08/10/Go-Through/`, `Go-Through.md`) rewritten to the new pages.
Each post is saved in its own transaction: one that cannot be read is reported with its file
name and line, and the others still import. Running it again updates pages, never duplicates.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from docs_app import services
from docs_app.models import LATEST, Page, Section
from downloads.models import Release
from portal.paths import inside

DEFAULT_SECTION = "quick-start"
POST_SUFFIXES = {".md", ".markdown"}
FRONT_MATTER_KEY = re.compile(r"^([A-Za-z_][\w-]*)\s*:\s*(.*)$")
HEADING_SPAN = re.compile(
    r'^(#{1,6})\s*<span\s+id="([^"]+)"\s*>\s*(.*?)\s*</span>\s*#*\s*$', re.IGNORECASE
)
HEADING_NO_SPACE = re.compile(r"^(#{1,6})([^#\s])")
HTML_HREF = re.compile(r'(<a\s[^>]*?href=")([^"]*)(")', re.IGNORECASE)
MD_LINK = re.compile(r"(\]\()([^)\s]+)(\))")
FENCE = re.compile(r"^\s*(```|~~~)")


class PostError(ValueError):
    def __init__(self, path: Path, line: int, message: str) -> None:
        super().__init__(f"{path.name}:{line}: {message}")
        self.path, self.line, self.message = path, line, message


@dataclass
class Post:
    path: Path
    slug: str
    title: str
    date: dt.datetime | None
    tags: list[str]
    body: str
    body_line: int


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _value(raw: str) -> str:
    raw = raw.strip()
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "\"'":
        return raw[1:-1]
    return raw


def _parse_date(raw: str, path: Path, line: int) -> dt.datetime | None:
    raw = _value(raw)
    if not raw:
        return None
    for pattern in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%Y/%m/%d %H:%M:%S"):
        try:
            value = dt.datetime.strptime(raw, pattern)
        except ValueError:
            continue
        return timezone.make_aware(value, dt.UTC)
    raise PostError(path, line, f"date {raw!r} is not a date (expected YYYY-MM-DD HH:MM:SS)")


def parse_post(path: Path) -> Post:
    """Read one post; a PostError names the file and line of what cannot be understood."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise PostError(path, line, "not UTF-8 text") from exc
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    start = 0
    while start < len(lines) and not lines[start].strip():
        start += 1
    if start < len(lines) and lines[start].strip() == "---":
        start += 1
    meta: dict[str, str | list[str]] = {}
    meta_lines: dict[str, int] = {}
    last_key = None
    end = None
    for index in range(start, len(lines)):
        line = lines[index]
        number = index + 1
        if line.strip() == "---":
            end = index
            break
        if not line.strip():
            continue
        if line.lstrip().startswith("- ") and last_key:
            current = meta.get(last_key)
            items = current if isinstance(current, list) else ([current] if current else [])
            items.append(_value(line.lstrip()[2:]))
            meta[last_key] = items
            continue
        match = FRONT_MATTER_KEY.match(line)
        if not match:
            raise PostError(path, number, f"front matter line is not 'key: value': {line[:60]!r}")
        last_key = match.group(1).lower()
        meta[last_key] = match.group(2).strip()
        meta_lines[last_key] = number
    if end is None:
        raise PostError(path, start + 1, "the front matter is not closed by a '---' line")
    title = meta.get("title")
    if not isinstance(title, str) or not _value(title):
        raise PostError(path, start + 1, "the front matter has no title")
    raw_date = meta.get("date", "")
    date = (
        _parse_date(raw_date, path, meta_lines.get("date", start + 1))
        if isinstance(raw_date, str)
        else None
    )
    raw_tags = meta.get("tags", [])
    if isinstance(raw_tags, str):
        raw_tags = raw_tags.strip()
        if raw_tags.startswith("[") and raw_tags.endswith("]"):
            raw_tags = [_value(t) for t in raw_tags[1:-1].split(",")]
        else:
            raw_tags = [raw_tags] if raw_tags else []
    slug = slugify(path.stem).lower()
    if not slug:
        raise PostError(path, 1, "the file name gives no usable page name")
    return Post(
        path=path,
        slug=slug[:100],
        title=_value(title),
        date=date,
        tags=[t for t in raw_tags if t],
        body="\n".join(lines[end + 1 :]).strip("\n") + "\n",
        body_line=end + 2,
    )


def _rewrite_href(href: str, targets: dict[str, str]) -> str:
    if (
        not href
        or re.match(r"^[a-z][a-z0-9+.-]*:", href, re.IGNORECASE)
        or href.startswith(("#", "//"))
    ):
        return href
    path, _, fragment = href.partition("#")
    segments = [s for s in path.split("/") if s]
    if not segments:
        return href
    name = slugify(re.sub(r"\.(md|markdown|html)$", "", segments[-1])).lower()
    target = targets.get(name)
    if target is None and segments[0] == "tags":
        target = reverse("docs_app:search") + "?q=" + quote(segments[-1].replace("-", " "))
    if target is None:
        return href
    return target + (f"#{fragment}" if fragment else "")


def convert_body(body: str, targets: dict[str, str]) -> str:
    """Hexo's Markdown dialect into ours: heading anchors kept, links between posts rewritten."""
    out = []
    in_fence = False
    for line in body.split("\n"):
        if FENCE.match(line):
            in_fence = not in_fence
        elif not in_fence:
            match = HEADING_SPAN.match(line)
            if match:
                level, anchor, title = match.groups()
                line = f"{level} {title} {{#{anchor}}}" if title else f"{level} {anchor}"
            else:
                line = HEADING_NO_SPACE.sub(r"\1 \2", line)
            line = HTML_HREF.sub(lambda m: m[1] + _rewrite_href(m[2], targets) + m[3], line)
            line = MD_LINK.sub(lambda m: m[1] + _rewrite_href(m[2], targets) + m[3], line)
        out.append(line)
    return "\n".join(out)


def _guess_section(post: Post, sections: dict[str, Section]) -> Section:
    for name in [*post.tags, post.title]:
        section = sections.get(slugify(name).lower())
        if section is not None:
            return section
    return sections[DEFAULT_SECTION]


def import_hexo(
    *,
    directory: Path,
    section: str | None = None,
    version: str = LATEST,
    language: str = Page.Language.ENGLISH,
) -> ImportReport:
    """Import every post under `directory`; see the module's description."""
    sections = {s.slug: s for s in Section.objects.all()}
    if section is not None and section not in sections:
        raise services.DocsError(f"No section {section!r}; there are: {', '.join(sections)}.")
    release = None
    if version != LATEST:
        release = (
            Release.objects.exclude(status=Release.Status.WITHDRAWN).filter(version=version).first()
        )
        if release is None:
            raise services.DocsError(f"No release {version!r} to import into.")
    report = ImportReport()
    posts: list[Post] = []
    found = sorted(p for p in directory.rglob("*") if p.suffix.lower() in POST_SUFFIXES)
    for path in found:
        if not inside(directory, path):
            report.errors.append(f"{path.name}:0: a link to outside {directory}, not read")
            continue
        try:
            posts.append(parse_post(path))
        except PostError as exc:
            report.errors.append(str(exc))
        except OSError as exc:
            report.errors.append(f"{path.name}:0: cannot be read ({exc.strerror})")
    existing = {
        p.slug: p
        for p in Page.objects.filter(
            slug__in=[post.slug for post in posts], release=release, language=language
        ).select_related("section", "parent")
    }
    chosen: dict[str, Section] = {}
    targets: dict[str, str] = {}
    for post in posts:
        if section is not None:
            chosen[post.slug] = sections[section]
        elif post.slug in existing:
            chosen[post.slug] = existing[post.slug].section
        else:
            chosen[post.slug] = _guess_section(post, sections)
        url = reverse("docs_app:page", args=[version, chosen[post.slug].slug, post.slug])
        targets[post.slug] = url
        for tag in post.tags:
            targets.setdefault(slugify(tag).lower(), url)
    for order, post in enumerate(posts, start=1):
        page = existing.get(post.slug)
        try:
            saved = services.save_page(
                page=page,
                section=chosen[post.slug],
                slug=post.slug,
                title=post.title,
                source=convert_body(post.body, targets),
                tags=post.tags,
                release=release,
                language=language,
                parent=page.parent if page else None,
                order=page.order if page else order * 10,
                author=None,
                message=f"Imported from {post.path.name}",
                updated_at=None if page else post.date,
            )
        except services.DocsError as exc:
            report.errors.append(f"{post.path.name}:{post.body_line}: {exc}")
            continue
        if page is None:
            report.created.append(post.path.name)
        elif saved.updated_at != page.updated_at:
            report.updated.append(post.path.name)
        else:
            report.unchanged.append(post.path.name)
    return report
