"""Mail as it is, into what the archive shows: one function, `parse_message(raw)`, that never
raises on bad input; what it could not understand goes into `notes`.

Headers are decoded by the standard library's default policy (RFC 2047, addresses) and fall back
to compat32's `decode_header` where the default policy raises. The MIME tree is walked with
compat32 messages: the default policy re-parses Content-Type at every step of the parser, which
costs six times the whole compat32 parse on a plain message, and the walk here decodes payloads
and charsets itself (to survive wrong and unknown ones) anyway.
"""

from __future__ import annotations

import codecs
import datetime
import email.header
import email.policy
import email.utils
import hashlib
import html
import re
from dataclasses import dataclass, field
from email.message import Message as MimeMessage
from email.parser import BytesParser
from html.parser import HTMLParser

_PARSER = BytesParser(policy=email.policy.compat32)
_HEADER_FACTORY = email.policy.default.header_factory

MESSAGE_ID_MAX = 500
SUBJECT_MAX = 2000
ID_PATTERN = re.compile(r"<\s*([^<>\s]+?)\s*(?:>|$)")
PATCH_PATTERN = re.compile(r"^(?:diff --git |--- a/|@@ -\d+(?:,\d+)? \+\d+)", re.MULTILINE)
ENVELOPE_DATE = re.compile(
    r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)\s+(\w{3})\s+(\d{1,2})\s+(\d{1,2}):(\d{2}):(\d{2})\s+(\d{4})"
)
MONTHS = {
    month: number
    for number, month in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}


@dataclass
class ParsedAttachment:
    filename: str
    content_type: str
    data: bytes


@dataclass
class ParsedMessage:
    raw: bytes
    sha256: str
    message_id: str
    header_message_id: str
    references: list[str]
    in_reply_to: str
    sender_name: str
    sender_email: str
    date: datetime.datetime
    date_source: str
    date_header: str
    subject: str
    text: str
    has_patch: bool
    envelope: str = ""
    attachments: list[ParsedAttachment] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Filled by the ingestion service (in a parsing process when there are some): the search
    # vector as PostgreSQL writes it, and the columns that never change as one line of CSV.
    search_vector: str | None = None
    csv_tail: str | None = None

    @property
    def parent_id(self) -> str:
        return self.references[-1] if self.references else ""


def _bytes_of(value: str) -> bytes:
    """Header text as the parser left it (non-ASCII bytes kept as surrogates) back to bytes."""
    return value.encode("utf-8", "surrogateescape")


SURROGATES = re.compile("[\udc80-\udcff]")
LINE_BREAKS = re.compile(r"\s*[\r\n]+\s*")


def _clean(value: str) -> str:
    """Text safe to store and show: raw bytes decoded, no NULs, no folding."""
    if SURROGATES.search(value):
        value = decode_bytes(_bytes_of(value), "utf-8")[0]
    if "\x00" in value:
        value = value.replace("\x00", "")
    if "\n" in value or "\r" in value:
        value = LINE_BREAKS.sub(" ", value)
    return value.strip()


# As browsers do (WHATWG Encoding): mail labelled Latin-1 is Windows-1252 more often than not.
LATIN1_LABELS = {"iso-8859-1", "iso8859-1", "latin1", "latin-1", "us-ascii", "ascii", "l1"}
C1_CONTROLS = re.compile("[\x80-\x9f]")


def decode_bytes(data: bytes, charset: str | None) -> tuple[str, str]:
    """Text from bytes in a declared charset, surviving wrong and unknown ones; and a note."""
    declared = (charset or "").strip().strip('"').lower()
    if declared in LATIN1_LABELS and declared not in ("us-ascii", "ascii"):
        declared = "cp1252"
    if declared:
        try:
            codecs.lookup(declared)
        except LookupError:
            text, used = _guess(data)
            return text, f"unknown charset {declared!r}: shown as {used}"
        try:
            return data.decode(declared), ""
        except UnicodeDecodeError:
            text, used = _guess(data)
            return text, f"text is not valid {declared}: shown as {used}"
    try:
        return data.decode("ascii"), ""
    except UnicodeDecodeError:
        text, used = _guess(data)
        return text, f"no charset given for 8-bit text: shown as {used}"


def _guess(data: bytes) -> tuple[str, str]:
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace"), "Windows-1252"


def decode_header_value(name: str, value: str, notes: list[str]) -> str:
    """A header's text: the default policy first, compat32's decode_header where it raises."""
    if value is None:
        return ""
    value = str(value)
    if name != "from" and value.isascii() and "=?" not in value:
        # Unstructured and nothing encoded: what the default policy gives, without its costly
        # parse tree (an address header it rewrites, so it still goes there).
        return _clean(value)
    try:
        decoded = str(_HEADER_FACTORY(name, value))
        if (
            "\ufffd" not in decoded
            and not C1_CONTROLS.search(decoded)
            and not SURROGATES.search(decoded)
        ):
            return _clean(decoded)
    except Exception:  # noqa: S110 - the default policy raises many kinds of errors here  # nosec B110
        pass  # compat32's decoding below is the fallback
    try:
        parts = []
        for chunk, charset in email.header.decode_header(value):
            if isinstance(chunk, str):
                parts.append(_clean(chunk))
            else:
                text, note = decode_bytes(chunk, charset)
                if note:
                    notes.append(f"{name}: {note}")
                parts.append(text)
        return _clean("".join(parts))
    except Exception as exc:
        notes.append(f"{name}: could not be decoded ({exc.__class__.__name__}), shown as sent")
        return _clean(value)


def message_ids(value: str) -> list[str]:
    """Message-IDs in a References or In-Reply-To header, folded or malformed, in order."""
    found = []
    for match in ID_PATTERN.finditer(_clean(value or "")):
        ident = match.group(1)[:MESSAGE_ID_MAX]
        if ident not in found:
            found.append(ident)
    return found


# "Name <local@domain>" or a bare address in plain ASCII, as most mail has: read directly, as
# the default policy reads it; anything else (quoting, comments, groups, encoded words) goes to it.
SIMPLE_FROM = re.compile(
    r"\s*(?:([A-Za-z0-9][A-Za-z0-9 '_-]*?)\s*<([A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*@"
    r"[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*)>|([A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*@"
    r"[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*))\s*"
)


def _sender(raw_from: str, notes: list[str]) -> tuple[str, str]:
    if not raw_from:
        notes.append("no From header")
        return "", ""
    simple = SIMPLE_FROM.fullmatch(raw_from)
    if simple:
        name, address, bare = simple.groups()
        name = re.sub(r" {2,}", " ", name) if name else ""
        return name[:300], (address or bare).lower()[:300]
    name = address = ""
    try:
        header = _HEADER_FACTORY("from", raw_from)
        if header.addresses:
            first = header.addresses[0]
            name, address = first.display_name, first.addr_spec
    except Exception:  # noqa: S110 - parseaddr below is the fallback  # nosec B110
        pass
    if not address or "@" not in address:
        parsed_name, parsed_address = email.utils.parseaddr(
            decode_header_value("from", raw_from, notes)
        )
        name = name or parsed_name
        address = parsed_address or address
    # Pipermail archives wrote "user at example.com (Name)".
    if "@" not in address and " at " in address:
        address = address.replace(" at ", "@")
    if not name and "(" in raw_from:
        name = raw_from[raw_from.find("(") + 1 : raw_from.rfind(")")]
    if "=?" in name:
        name = decode_header_value("from", name, notes)
    return _clean(name).strip('"')[:300], _clean(address).lower()[:300]


def _parse_date(value: str | None) -> datetime.datetime | None:
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(_clean(value))
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.UTC)
    now = datetime.datetime.now(datetime.UTC)
    if not (parsed.year >= 1970 and parsed <= now + datetime.timedelta(days=2)):
        return None
    return parsed


def _envelope_date(envelope: str) -> datetime.datetime | None:
    match = ENVELOPE_DATE.search(envelope or "")
    if not match:
        return None
    month, day, hour, minute, second, year = match.groups()
    try:
        return datetime.datetime(
            int(year), MONTHS[month], int(day), int(hour), int(minute), int(second),
            tzinfo=datetime.UTC,
        )  # fmt: skip
    except (KeyError, ValueError):
        return None


def _header_map(mime: MimeMessage) -> dict[str, list]:
    """Every header by lower-cased name, read once: Message.get() lowers every name per call."""
    found: dict[str, list] = {}
    fetch = mime.policy.header_fetch_parse
    for name, value in mime.raw_items():
        found.setdefault(name.lower(), []).append(fetch(name, value))
    return found


def _date(
    headers: dict[str, list], envelope: str, notes: list[str]
) -> tuple[datetime.datetime, str, str]:
    header = headers.get("date", [None])[0]
    header_text = _clean(str(header)) if header is not None else ""
    parsed = _parse_date(header_text)
    if parsed:
        return parsed, "date", header_text
    reason = f"Date header {header_text!r} cannot be read" if header_text else "no Date header"
    for source, candidates in (
        ("resent-date", headers.get("resent-date", [])),
        ("received", [str(r).rsplit(";", 1)[-1] for r in headers.get("received", [])]),
    ):
        for candidate in candidates:
            parsed = _parse_date(str(candidate))
            if parsed:
                notes.append(f"{reason}: dated by the {source.replace('-', ' ')} header")
                return parsed, source, header_text
    parsed = _envelope_date(envelope)
    if parsed:
        notes.append(f"{reason}: dated by the mbox From line")
        return parsed, "envelope", header_text
    notes.append(f"{reason}: dated when archived")
    return datetime.datetime.now(datetime.UTC), "archived", header_text


class _HtmlToText(HTMLParser):
    BLOCKS = {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "table",
              "blockquote", "hr", "ul", "ol"}  # fmt: skip

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0
        self.href = ""

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "head", "title"):
            self.skip += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")
        if tag == "li":
            self.parts.append("- ")
        if tag == "a":
            self.href = dict(attrs).get("href") or ""

    def handle_endtag(self, tag):
        if tag in ("script", "style", "head", "title"):
            self.skip = max(0, self.skip - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n")
        if tag == "a" and self.href.startswith(("http://", "https://")):
            self.parts.append(f" <{self.href}>")
            self.href = ""

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(re.sub(r"[ \t\r\n]+", " ", data))


def html_to_text(markup: str) -> str:
    parser = _HtmlToText()
    try:
        parser.feed(markup)
        parser.close()
    except Exception:
        return html.unescape(re.sub(r"<[^>]+>", " ", markup))
    text = "".join(parser.parts)
    lines = [line.strip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _raw_filename(part: MimeMessage) -> str:
    """A filename sent as raw 8-bit bytes (no RFC 2231): compat32 turns them into U+FFFD."""
    for name, value in part.raw_items():
        if name.lower() in ("content-disposition", "content-type") and SURROGATES.search(value):
            decoded = _clean(value)
            match = re.search(r'(?:file)?name\s*=\s*"?([^";]+)', decoded)
            if match:
                return match.group(1).strip()
    return ""


def _filename(part: MimeMessage, notes: list[str]) -> str:
    raw_name = _raw_filename(part)
    if raw_name:
        return raw_name.replace("/", "_").replace("\\", "_")[:255]
    try:
        name = part.get_filename() or part.get_param("name") or ""
    except Exception:
        name = ""
    if isinstance(name, tuple):  # an RFC 2231 value compat32 could not collapse
        name = email.utils.collapse_rfc2231_value(name)
    name = decode_header_value("filename", str(name), notes) if name else ""
    return name.replace("/", "_").replace("\\", "_")[:255]


def _payload(part: MimeMessage) -> bytes:
    try:
        payload = part.get_payload(decode=True)
    except Exception:
        payload = None
    if payload is None:
        raw = part.get_payload()
        payload = _bytes_of(raw) if isinstance(raw, str) else b""
    return payload


def _walk(mime: MimeMessage, notes: list[str]) -> tuple[str, list[ParsedAttachment]]:
    plain: list[str] = []
    html_parts: list[str] = []
    attachments: list[ParsedAttachment] = []
    for part in mime.walk():
        if part.is_multipart():
            continue
        try:
            content_type = part.get_content_type()
        except Exception:
            content_type = "application/octet-stream"
        if content_type.startswith("multipart/"):
            # A multipart without a usable boundary: its body is all there is to show.
            notes.append(f"{content_type} without parts: shown as plain text")
            content_type = "text/plain"
        disposition = str(part.get("Content-Disposition") or "").split(";")[0].strip().lower()
        filename = _filename(part, notes)
        is_body_text = (
            content_type in ("text/plain", "text/html")
            and disposition != "attachment"
            and not (filename and content_type != "text/plain")
        )
        payload = _payload(part)
        if is_body_text and not (plain and content_type == "text/plain" and filename):
            text, note = decode_bytes(payload, part.get_content_charset())
            if note:
                notes.append(note)
            text = text.replace("\r\n", "\n")
            (plain if content_type == "text/plain" else html_parts).append(text)
            continue
        if content_type == "message/rfc822" and not payload:
            payload = _bytes_of(part.as_string()) if part.get_payload() else b""
        attachments.append(
            ParsedAttachment(filename=filename, content_type=content_type[:255], data=payload)
        )
    if plain:
        text = "\n\n".join(t.strip("\n") for t in plain)
    elif html_parts:
        text = "\n\n".join(html_to_text(t) for t in html_parts)
        notes.append("sent as HTML only: shown as text converted from it")
    else:
        text = ""
    for defect in getattr(mime, "defects", [])[:3]:
        notes.append(f"MIME structure: {defect.__class__.__name__}")
    return text.replace("\x00", "").replace("\r\n", "\n"), attachments


def derived_message_id(raw: bytes) -> str:
    """A stable Message-ID for mail that has none: the same bytes always give the same one."""
    return f"{hashlib.sha256(raw).hexdigest()[:32]}@archive.invalid"


def split_envelope(data: bytes) -> tuple[str, bytes]:
    """A single message that starts with an mbox "From " line: the line, and the message."""
    if data.startswith(b"From "):
        line, _sep, rest = data.partition(b"\n")
        return line.decode("utf-8", "replace").rstrip("\r"), rest
    return "", data


def parse_message(raw: bytes, *, envelope: str = "") -> ParsedMessage:
    notes: list[str] = []
    sha = hashlib.sha256(raw).hexdigest()
    try:
        mime = _PARSER.parsebytes(raw)
    except Exception as exc:  # the parser is lenient; this is for what is left
        notes.append(f"message cannot be parsed ({exc.__class__.__name__}): kept as raw text")
        mime = email.message_from_string("")
        mime.set_payload(raw.decode("utf-8", "replace"))

    headers = _header_map(mime)

    def first(name: str) -> str:
        return str(headers.get(name, [""])[0] or "")

    header_id_list = message_ids(first("message-id"))
    header_message_id = header_id_list[0] if header_id_list else ""
    if header_message_id:
        message_id = header_message_id
    else:
        message_id = derived_message_id(raw)
        notes.append("no usable Message-ID: one was derived from the content")

    references = message_ids(" ".join(str(v) for v in headers.get("references", [])))
    in_reply_to_list = message_ids(" ".join(str(v) for v in headers.get("in-reply-to", [])))
    in_reply_to = in_reply_to_list[0] if in_reply_to_list else ""
    if in_reply_to and in_reply_to not in references:
        references.append(in_reply_to)
    references = [r for r in references if r != message_id]

    subject = decode_header_value("subject", first("subject"), notes)[:SUBJECT_MAX]
    sender_name, sender_email = _sender(first("from"), notes)
    date, date_source, date_header = _date(headers, envelope, notes)
    try:
        text, attachments = _walk(mime, notes)
    except Exception as exc:
        notes.append(f"body cannot be read ({exc.__class__.__name__}): see the original")
        text, attachments = "", []
    return ParsedMessage(
        raw=raw,
        sha256=sha,
        message_id=message_id,
        header_message_id=header_message_id,
        references=references,
        in_reply_to=in_reply_to,
        sender_name=sender_name,
        sender_email=sender_email,
        date=date,
        date_source=date_source,
        date_header=date_header[:500],
        subject=subject,
        text=text,
        has_patch=bool(PATCH_PATTERN.search(text)),
        envelope=envelope,
        attachments=attachments,
        notes=list(dict.fromkeys(notes)),
    )


def parse_entries(entries: list[tuple[bytes, str]]) -> list[ParsedMessage]:
    """parse_message over a batch of (raw, envelope): what a parsing process is given."""
    return [parse_message(raw, envelope=envelope) for raw, envelope in entries]
