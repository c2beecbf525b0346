"""The one Markdown pipeline for every text a person writes.

Markdown (fenced code, tables, TOC, admonitions) -> Pygments highlighting -> nh3 allow-list
sanitizing -> rel="nofollow ugc" on links in user text. Callers store the result beside the
source (see `Rendered`) and render again only when the source changes.

Sections may add their own Markdown extensions (docs' [[artifact:...]] links, forum mentions)
through `extensions=`; whatever those emit still goes through the sanitizer.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import markdown
import nh3
from django.conf import settings
from markdown.extensions import Extension
from pygments.token import STANDARD_TYPES

ALLOWED_TAGS = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "del", "details", "div",
        "dl", "dt", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd",
        "li", "mark", "ol", "p", "pre", "s", "samp", "small", "span", "strong", "sub",
        "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
    }
)  # fmt: skip

ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"align", "style", "colspan", "rowspan"},
    "th": {"align", "style", "colspan", "rowspan"},
    "ol": {"start"},
    **{f"h{level}": {"id"} for level in range(1, 7)},
}

# Only the classes the pipeline itself adds (code highlighting, admonitions, the docs' artifact
# markers): a person cannot dress text up as the site's own notices ("message success").
_ADMONITIONS = {"note", "tip", "hint", "important", "warning", "caution", "danger", "error"}
ALLOWED_CLASSES: dict[str, set[str]] = {
    "div": {"highlight", "admonition", *_ADMONITIONS},
    "p": {"admonition-title"},
    "span": {name for name in STANDARD_TYPES.values() if name} | {"artifact-ref"},
}

# Ids in people's text are moved out of the site's own (id="reply", id="main"): prefixed, as
# GitHub does, with in-page links following them.
USER_ID_PREFIX = "user-content-"

# Only links a reader can follow safely: no javascript:, data:, vbscript: or file: URLs.
ALLOWED_URL_SCHEMES = frozenset({"http", "https", "mailto", "ftp"})

_MARKDOWN_EXTENSIONS: list[str] = [
    "markdown.extensions.fenced_code",
    "markdown.extensions.tables",
    "markdown.extensions.toc",
    "markdown.extensions.admonition",
    "markdown.extensions.codehilite",
    "markdown.extensions.sane_lists",
    "markdown.extensions.def_list",
]
_MARKDOWN_CONFIG: dict[str, dict[str, Any]] = {
    "markdown.extensions.codehilite": {"css_class": "highlight", "guess_lang": False},
    "markdown.extensions.toc": {"permalink": False, "toc_depth": "2-4"},
}

_cleaners: dict[bool, nh3.Cleaner] = {}


def _cleaner(*, trusted: bool) -> nh3.Cleaner:
    """One cleaner per trust level, built once: nh3 compiles its rules on construction."""
    if trusted not in _cleaners:
        _cleaners[trusted] = nh3.Cleaner(
            tags=set(ALLOWED_TAGS),
            clean_content_tags={"script", "style"},
            attributes=ALLOWED_ATTRIBUTES,
            url_schemes=set(ALLOWED_URL_SCHEMES),
            filter_style_properties={"text-align"},
            allowed_classes=ALLOWED_CLASSES,
            strip_comments=True,
            link_rel="noopener" if trusted else "nofollow ugc noopener",
            id_prefix=None if trusted else USER_ID_PREFIX,
            attribute_filter=None if trusted else _prefix_fragment_link,
        )
    return _cleaners[trusted]


def _prefix_fragment_link(tag: str, attribute: str, value: str) -> str:
    """An in-page link in people's text points at the prefixed id its target now has."""
    prefixed = value.startswith("#" + USER_ID_PREFIX)
    if tag == "a" and attribute == "href" and value.startswith("#") and not prefixed:
        return "#" + USER_ID_PREFIX + value[1:]
    return value


@dataclass(frozen=True)
class TocEntry:
    level: int
    anchor: str
    title: str
    children: list[TocEntry] = field(default_factory=list)


@dataclass(frozen=True)
class Rendered:
    """Stored beside the source: the safe HTML, the table of contents, the plain text."""

    html: str
    toc: list[TocEntry]
    text: str

    def toc_as_dicts(self) -> list[dict[str, Any]]:
        def convert(entry: TocEntry) -> dict[str, Any]:
            return {
                "level": entry.level,
                "id": entry.anchor,
                "name": entry.title,
                "children": [convert(c) for c in entry.children],
            }

        return [convert(e) for e in self.toc]


class MarkupTooLong(ValueError):
    """The text is longer than MARKUP_MAX_LENGTH; forms turn this into a field error."""


def _toc_entries(tokens: Sequence[dict[str, Any]], *, prefix: str = "") -> list[TocEntry]:
    return [
        TocEntry(
            level=int(t["level"]),
            anchor=prefix + str(t["id"]),
            # toc tokens carry HTML-escaped names; keep plain text, templates escape again.
            title=html.unescape(str(t["name"])),
            children=_toc_entries(t.get("children", []), prefix=prefix),
        )
        for t in tokens
    ]


def render_markdown(
    source: str,
    *,
    trusted: bool = False,
    extensions: Sequence[Extension] = (),
) -> Rendered:
    """Render Markdown written by a person into HTML that is safe to put on a page.

    `trusted` is for staff-written text (docs, news): links lose `nofollow ugc`, nothing else
    changes; the sanitizer runs for every text whoever wrote it.
    """
    if len(source) > settings.MARKUP_MAX_LENGTH:
        raise MarkupTooLong(
            f"The text is {len(source)} characters long; at most "
            f"{settings.MARKUP_MAX_LENGTH} are accepted."
        )
    md = markdown.Markdown(
        extensions=[*_MARKDOWN_EXTENSIONS, *extensions],
        extension_configs=_MARKDOWN_CONFIG,
        output_format="html",
    )
    raw_html = md.convert(source)
    safe_html = _clean(raw_html, trusted=trusted)
    toc = _toc_entries(getattr(md, "toc_tokens", []), prefix="" if trusted else USER_ID_PREFIX)
    return Rendered(html=safe_html, toc=toc, text=plain_text(safe_html))


def plain_text(fragment: str) -> str:
    """Text content of sanitized HTML, for search vectors, snippets and e-mail."""
    text = nh3.clean(fragment, tags=set(), clean_content_tags={"script", "style"})
    return " ".join(html.unescape(text).split())


def sanitize_html(fragment: str, *, trusted: bool = False) -> str:
    """Sanitize HTML that did not come from Markdown (imported pages, mail's HTML parts)."""
    return _clean(fragment, trusted=trusted)


def _clean(fragment: str, *, trusted: bool) -> str:
    # An HTML parser drops a byte-order mark that opens a document, so a cleaned text that
    # starts with one (left in front once "<math>" went) would lose it on the next pass: drop it
    # here, and cleaning what was cleaned changes nothing.
    return _cleaner(trusted=trusted).clean(fragment).lstrip("\ufeff")
