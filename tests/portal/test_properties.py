"""Properties that hold for any input a person or a client can send (hypothesis).

No exception escapes the markup pipeline or the Range parser, and the sanitizer's output is a
fixed point: cleaning what it let through changes nothing, so nothing it emits can be turned
into something else by a second pass (the mark of mutation XSS).
"""

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from downloads.serving import parse_range
from portal.markup import plain_text, render_markdown, sanitize_html

# Text that looks like what attackers send: markup characters, entities, URLs, control bytes.
_HOSTILE_ALPHABET = st.sampled_from(
    list("<>\"'&=/:;#!`*_[](){}|\\-+.~\n\t \x00\x0b\u2028\ufeffaAjsvbcdeilnoprtx0123456789")
)
_FRAGMENTS = st.sampled_from(
    [
        "<script>", "</script>", "<img src=x onerror=alert(1)>", "javascript:", "JaVaScRiPt:",
        "&#106;avascript:", "data:text/html,", "<svg onload=alert(1)>", "<math>", "<style>",
        "<a href='", "\">", "<!--", "-->", "<![CDATA[", "]]>", "```", "\n\n", "[x](", ")",
        "<details open ontoggle=alert(1)>", "<noscript><p title=\"</noscript><img src=x>\">",
        "<h2 id=reply>", "class=\"message success\"", "!!! note\n    ", "| a | b |\n|---|---|\n",
    ]
)  # fmt: skip
HOSTILE_TEXT = st.lists(
    st.one_of(_FRAGMENTS, st.text(_HOSTILE_ALPHABET, max_size=8)), max_size=30
).map("".join)

# The same examples on every run (a suite that passes once passes again); what hypothesis once
# found is pinned below with @example.
RELAXED = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)


@RELAXED
@given(HOSTILE_TEXT, st.booleans())
@example("<math>\ufeff", False)  # a byte-order mark left in front: the parser drops it
def test_markdown_never_raises_and_its_output_is_a_fixed_point(source, trusted):
    rendered = render_markdown(source, trusted=trusted)
    assert sanitize_html(rendered.html, trusted=trusted) == rendered.html
    assert "<script" not in rendered.html.lower()
    plain_text(rendered.html)


@RELAXED
@given(st.one_of(HOSTILE_TEXT, st.text(max_size=200)))
@example("<math>\ufeff")
def test_sanitizing_twice_is_sanitizing_once(fragment):
    once = sanitize_html(fragment)
    assert sanitize_html(once) == once


_POSITION = st.one_of(
    st.just(""),
    st.integers(0, 10**30).map(str),
    st.text("0123456789", max_size=60),
    st.integers(4000, 6000).map(lambda digits: "9" * digits),  # past Python's int() limit
)
_RANGE_HEADERS = st.one_of(
    st.text(max_size=60),
    st.builds("bytes={}-{}{}".format, _POSITION, _POSITION, st.sampled_from(["", " ", ",0-1"])),
    st.builds("{}={}-{}".format, st.sampled_from(["Bytes", "items", ""]), _POSITION, _POSITION),
)


@RELAXED
@given(_RANGE_HEADERS, st.integers(min_value=1, max_value=2**40))
def test_parse_range_answers_a_range_inside_the_file_or_says_why_not(header, size):
    answer = parse_range(header, size)
    assert answer is None or answer is False or isinstance(answer, tuple)
    if isinstance(answer, tuple):
        start, end = answer
        assert 0 <= start <= end < size
