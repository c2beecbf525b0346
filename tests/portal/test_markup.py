"""The Markdown pipeline: ordinary Markdown renders; nothing executable survives."""

import re
from html.parser import HTMLParser

import pytest

from portal.markup import MarkupTooLong, plain_text, render_markdown, sanitize_html

HOSTILE = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](  javascript:alert(1))",
    "[click](&#106;avascript:alert(1))",
    '<a href="javascript&colon;alert(1)">x</a>',
    "![x](javascript:alert(1))",
    '<img src=x onerror="alert(1)">',
    "<svg onload=alert(1)><circle r=1></svg>",
    "<svg><script>alert(1)</script></svg>",
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    '<iframe src="https://evil.example/"></iframe>',
    '<object data="x.swf"></object><embed src="x.swf">',
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<p onclick="alert(1)" onmouseover=alert(1)>hi</p>',
    "<body onload=alert(1)>",
    '<form action="https://evil.example/"><input name=x><button>go</button></form>',
    "<style>body{display:none}</style>",
    '<meta http-equiv="refresh" content="0;url=https://evil.example/">',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<<script>script>alert(1)<</script>/script>",
    "<img src=x onerror=alert(1)//",
    '<a href="vbscript:msgbox(1)">x</a>',
    '<base href="https://evil.example/">',
    '<details open ontoggle="alert(1)">x</details>',
    '<h2 id="x" onfocus=alert(1) tabindex=1>t</h2>',
    "<!-- <img src=x onerror=alert(1)> -->",
    "`<script>alert(1)</script>` and ```\n<script>alert(1)</script>\n```",
]

FORBIDDEN_TAGS = {
    "script", "iframe", "object", "embed", "style", "form", "input", "button", "meta", "base",
    "svg", "math", "body", "link",
}  # fmt: skip


class _Elements(HTMLParser):
    """Every real element and attribute of the output, as a browser's parser would see them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, attrs))


def executable_parts(html: str) -> list[str]:
    parser = _Elements()
    parser.feed(html)
    problems = []
    for tag, attrs in parser.found:
        if tag in FORBIDDEN_TAGS:
            problems.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on") or (name == "style" and "url(" in (value or "")):
                problems.append(f"{tag}[{name}]")
            if name in {"href", "src"} and re.match(
                r"\s*(javascript|vbscript|data|file):", value or "", re.IGNORECASE
            ):
                problems.append(f"{tag}[{name}={value}]")
    return problems


@pytest.mark.parametrize("source", HOSTILE)
def test_nothing_executable_survives(source):
    html = render_markdown(source).html
    assert executable_parts(html) == [], html


@pytest.mark.parametrize("source", HOSTILE)
def test_sanitize_html_alone_is_as_strict(source):
    assert executable_parts(sanitize_html(source)) == []


def test_code_blocks_show_hostile_text_escaped():
    html = render_markdown("```html\n<script>alert(1)</script>\n```").html
    assert "&lt;" in html and "<script" not in html
    assert executable_parts(html) == []


def test_the_checker_itself_sees_executable_html():
    assert executable_parts('<p onclick="x">a</p><script></script><a href=" javascript:x">')


def test_broken_html_is_closed_and_kept_as_text():
    html = render_markdown("<b>bold <i>both</b> after <div>open").html
    assert html.count("<b>") == html.count("</b>")
    assert "after" in html


def test_ordinary_markdown_renders():
    source = """# Title

## Boot from *SATA*

Some **bold**, `code` and a [link](https://www.example.org/path?q=1).

```python
def boot(board):
    return "uefi"
```

| Board | SoC |
|-------|-----|
| D02   | Hip05 |

!!! warning "Flash carefully"
    A wrong image bricks the board.

- one
- two
"""
    rendered = render_markdown(source)
    html = rendered.html
    assert '<h2 id="user-content-boot-from-sata">Boot from <em>SATA</em></h2>' in html
    assert "<strong>bold</strong>" in html
    assert '<a href="https://www.example.org/path?q=1" rel="nofollow ugc noopener">' in html
    assert '<div class="highlight">' in html and '<span class="k">def</span>' in html
    assert "<table>" in html and "<td>Hip05</td>" in html
    assert '<div class="admonition warning">' in html
    assert '<p class="admonition-title">Flash carefully</p>' in html
    assert "<li>one</li>" in html
    assert [(e.anchor, e.title) for e in rendered.toc] == [
        ("user-content-boot-from-sata", "Boot from SATA")
    ]
    assert "Hip05" in rendered.text and "<" not in rendered.text


def test_peoples_text_cannot_take_the_sites_ids_or_classes():
    source = (
        "## Reply\n\n[to the top](#reply) [main](#main)\n\n"
        '<div id="main" class="message success">Your account was verified</div>\n\n'
        '<p class="notice admonition-title" id="reply">x</p>'
    )
    html = render_markdown(source).html
    for site_id in ('id="reply"', 'id="main"', 'href="#reply"', 'href="#main"'):
        assert site_id not in html
    assert 'id="user-content-reply"' in html and 'href="#user-content-reply"' in html
    assert 'href="#user-content-main"' in html  # and the div's id is not allowed at all
    assert "message" not in html.replace("Your account", "") and "success" not in html
    assert "notice" not in html and 'class="admonition-title"' in html
    # Staff-written docs keep their anchors: their links and tables of contents rely on them.
    assert '<h2 id="reply">' in render_markdown("## Reply", trusted=True).html


def test_trusted_text_links_are_followed():
    html = render_markdown("[docs](https://example.org/)", trusted=True).html
    assert "nofollow" not in html and 'href="https://example.org/"' in html


def test_relative_and_mailto_links_stay():
    html = render_markdown("[a](/downloads/d02/) [m](mailto:dev@example.org)").html
    assert 'href="/downloads/d02/"' in html and 'href="mailto:dev@example.org"' in html


def test_too_long_text_is_refused(settings):
    settings.MARKUP_MAX_LENGTH = 10
    with pytest.raises(MarkupTooLong):
        render_markdown("x" * 11)


def test_plain_text_drops_tags():
    assert plain_text("<p>a &amp; <b>b</b></p><script>x</script>") == "a & b"
