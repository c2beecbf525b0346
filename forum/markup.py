"""Forum posts through the site's one Markdown pipeline, with @mentions.

`@name` becomes a link to that person's profile when such an account exists; code spans and
blocks are left alone (Markdown's inline patterns never run inside them). The output still goes
through portal.markup's sanitizer.
"""

from __future__ import annotations

import re

# Builds elements for Markdown; parses nothing.
import xml.etree.ElementTree as etree  # nosec B405
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.urls import reverse
from markdown.extensions import Extension
from markdown.inlinepatterns import InlineProcessor

from portal.markup import Rendered, render_markdown

MENTION_RE = r"(?<![\w@/])@([\w.+-]*[\w+-])"
_CANDIDATES = re.compile(MENTION_RE)
# "[name wrote](/forum/p/12/):" lines inside a blockquote: the quoted post's id.
QUOTE_RE = re.compile(r"^>\s*\[[^\]\n]*\]\(/forum/p/(\d+)/\)", re.MULTILINE)


class _MentionProcessor(InlineProcessor):
    def __init__(self, pattern: str, known: dict[str, str], found: list[str]):
        super().__init__(pattern)
        self.known = known
        self.found = found

    def handleMatch(self, m, data):
        username = self.known.get(m.group(1).lower())
        if username is None:
            return None, None, None
        if username not in self.found:
            self.found.append(username)
        el = etree.Element("a")
        el.set("href", reverse("profile", args=[username]))
        el.text = f"@{username}"
        return el, m.start(0), m.end(0)


class MentionExtension(Extension):
    def __init__(self, known: dict[str, str], **kwargs):
        self.known = known
        self.found: list[str] = []
        super().__init__(**kwargs)

    def extendMarkdown(self, md):
        md.inlinePatterns.register(
            _MentionProcessor(MENTION_RE, self.known, self.found), "forum_mention", 175
        )


@dataclass(frozen=True)
class RenderedPost:
    html: str
    text: str
    mentions: list[str]
    quoted_post_ids: list[int]


def render_post(source: str) -> RenderedPost:
    """Render a post; raises portal.markup.MarkupTooLong for a text over the site's limit."""
    names = {name.lower() for name in _CANDIDATES.findall(source)}
    known: dict[str, str] = {}
    if names:
        # Usernames are matched without regard to case, one query for all of them.
        for username in (
            get_user_model()
            .objects.filter(_any_of(names), is_active=True)
            .values_list("username", flat=True)[:50]
        ):
            known[username.lower()] = username
    extension = MentionExtension(known)
    rendered: Rendered = render_markdown(source, extensions=[extension])
    quoted = [int(i) for i in QUOTE_RE.findall(source)]
    return RenderedPost(
        html=rendered.html, text=rendered.text, mentions=extension.found, quoted_post_ids=quoted
    )


def _any_of(names: set[str]) -> Q:
    query = Q()
    for name in sorted(names)[:50]:
        query |= Q(username__iexact=name)
    return query


def quote_source(*, username: str, post_id: int, source: str) -> str:
    """The Markdown a reply starts with when it quotes a post (or a part of it)."""
    lines = [f"> [{username} wrote](/forum/p/{post_id}/):", ">"]
    lines += [f"> {line}" if line.strip() else ">" for line in _indent_fences(source.strip())]
    return "\n".join(lines) + "\n\n"


def _indent_fences(source: str) -> list[str]:
    """Fenced blocks do not work inside a quote in Markdown; indented code blocks do."""
    out: list[str] = []
    fence: str | None = None
    for line in source.splitlines():
        stripped = line.strip()
        if fence is None and stripped.startswith(("```", "~~~")):
            fence = stripped[:3]
            if out and out[-1].strip():
                out.append("")
            continue
        if fence is not None and stripped.startswith(fence):
            fence = None
            out.append("")
            continue
        out.append("    " + line if fence is not None else line)
    return out


def count_links(html: str) -> int:
    """Links and embedded images a post carries, not counting mentions of people here."""
    links = re.findall(r'<a\s[^>]*href="([^"]*)"', html)
    outside = [href for href in links if not href.startswith("/u/")]
    return len(outside) + len(re.findall(r"<img\s", html))
