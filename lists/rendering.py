"""A message's text as HTML: escaped, quoted blocks folded in <details> (no JavaScript needed),
patches highlighted with the classes of the site's Pygments style. A message never changes once
archived, so its HTML is kept in the cache under its pk for as long as the cache keeps it."""

from __future__ import annotations

import re
from html import escape

from django.core.cache import cache
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, ngettext

FOLD_AT = 4  # quoted blocks of this many lines or more are folded
BODY_CACHE_VERSION = 1
BODY_TIMEOUT = 7 * 24 * 3600
DIFF_START = re.compile(r"^(diff --git |Index: |--- \S|\+\+\+ \S|@@ -\d)")


def _diff_line(line: str) -> str:
    text = escape(line)
    if line.startswith(("+++", "---")):
        return f'<span class="gh">{text}</span>'
    if line.startswith("+"):
        return f'<span class="gi">{text}</span>'
    if line.startswith("-"):
        return f'<span class="gd">{text}</span>'
    if line.startswith("@@"):
        return f'<span class="gu">{text}</span>'
    if line.startswith(("diff --git", "index ", "Index: ")):
        return f'<span class="gh">{text}</span>'
    return text


def render_body(text: str) -> str:
    lines = text.split("\n")
    out: list[str] = []
    quoted: list[str] = []
    in_diff = False

    def flush_quote() -> None:
        if not quoted:
            return
        block = escape("\n".join(quoted))
        if len(quoted) >= FOLD_AT:
            label = ngettext("%(n)d quoted line", "%(n)d quoted lines", len(quoted)) % {
                "n": len(quoted)
            }
            out.append(
                f'<details class="quote"><summary>{escape(label)}</summary>'
                f'<span class="quoted">{block}</span></details>'
            )
        else:
            out.append(f'<span class="quoted">{block}</span>\n')
        quoted.clear()

    for line in lines:
        if line.startswith(">") and not in_diff:
            quoted.append(line)
            continue
        flush_quote()
        if not in_diff and DIFF_START.match(line):
            in_diff = True
        elif in_diff and line.startswith("-- ") and line.strip() == "--":
            in_diff = False
        out.append((_diff_line(line) if in_diff else escape(line)) + "\n")
    flush_quote()
    return "".join(out).rstrip("\n")


def render_attachment_text(text: str) -> str:
    """A text attachment as HTML: escaped; a patch's lines highlighted from its first diff line
    (no quote folding: a log's ">" is not a quotation)."""
    out = []
    in_diff = False
    for line in text.split("\n"):
        if not in_diff and DIFF_START.match(line):
            in_diff = True
        out.append(_diff_line(line) if in_diff else escape(line))
    return "\n".join(out)


def bodies_html(messages) -> dict[int, SafeString]:
    """The HTML of each message's text, from the cache where it is (one round trip)."""
    language = get_language()
    keys = {m.pk: f"lists:body:{BODY_CACHE_VERSION}:{language}:{m.pk}" for m in messages}
    found = cache.get_many(list(keys.values()))
    fresh = {}
    result = {}
    for message in messages:
        key = keys[message.pk]
        html = found.get(key)
        if html is None:
            html = render_body(message.text)
            fresh[key] = html
        result[message.pk] = mark_safe(html)  # noqa: S308 - built from escaped text above  # nosec B308 B703
    if fresh:
        cache.set_many(fresh, timeout=BODY_TIMEOUT)
    return result


def obfuscate(address: str) -> str:
    """user@example.org as user(a)example.org: readable by people, not by address harvesters."""
    local, _sep, domain = address.partition("@")
    return f"{local}(a){domain}" if domain else address
