"""Reading and writing mailboxes, streamed: mbox (mboxrd and mboxo), Maildir, single messages.

Readers yield (envelope line, message bytes, position) one message at a time, so that memory
stays flat whatever the archive's size; the position (bytes read so far) drives progress bars.
The writer is mboxrd (every "From " line of a body, quoted or not, gets one more ">"), the
reversible flavour: reading what it wrote gives back the same bytes.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from portal.paths import inside

QUOTED_FROM = re.compile(rb"^>+From ")


@dataclass
class Entry:
    envelope: str
    raw: bytes
    position: int  # bytes of the source read once this message is read


class MailboxError(ValueError):
    """A path that is no mailbox this archive reads; the message names it."""


def _finish(lines: list[bytes], *, unescape: bool) -> bytes:
    # The blank line before the next "From " belongs to the mbox, not to the message.
    if lines and lines[-1] in (b"\n", b"\r\n"):
        lines = lines[:-1]
    if unescape:
        lines = [
            line[1:] if line[:1] == b">" and QUOTED_FROM.match(line) else line for line in lines
        ]
    return b"".join(lines)


def read_mbox(stream: BinaryIO, *, flavour: str = "mboxrd") -> Iterator[Entry]:
    """Messages of an mbox. A line starting "From " opens a message when it follows a blank
    line (or starts the file): mboxo writers left such lines unquoted in bodies."""
    unescape = flavour == "mboxrd"
    envelope: str | None = None
    lines: list[bytes] = []
    position = 0
    previous_blank = True
    for line in stream:
        if line.startswith(b"From ") and previous_blank:
            if envelope is not None or lines:
                yield Entry(envelope or "", _finish(lines, unescape=unescape), position)
            envelope = line.decode("utf-8", "replace").rstrip("\r\n")
            lines = []
        else:
            lines.append(line)
        position += len(line)
        previous_blank = line in (b"\n", b"\r\n")
    if envelope is not None or any(line.strip() for line in lines):
        yield Entry(envelope or "", _finish(lines, unescape=unescape), position)


def _open(path: Path) -> BinaryIO:
    if path.suffix == ".gz":
        return gzip.open(path, "rb")
    return path.open("rb")


def read_path(path: Path, *, flavour: str = "mboxrd") -> Iterator[Entry]:
    """Whatever PATH holds: a Maildir (cur/ and new/), an mbox (gzipped or not), one message."""
    if path.is_dir():
        if not (path / "cur").is_dir() and not (path / "new").is_dir():
            raise MailboxError(f"{path}: a folder that is not a Maildir (no cur/ or new/)")
        position = 0
        for sub in ("cur", "new"):
            folder = path / sub
            if not folder.is_dir():
                continue
            for item in sorted(folder.iterdir()):
                # A link out of the Maildir is not mail of this list: it is skipped.
                if item.is_file() and not item.name.startswith(".") and inside(path, item):
                    data = item.read_bytes()
                    position += len(data)
                    yield Entry("", data, position)
        return
    if not path.is_file():
        raise MailboxError(f"{path}: no such file or folder")
    with _open(path) as stream:
        head = stream.read(5)
        stream.seek(0)
        if head == b"From ":
            yield from read_mbox(stream, flavour=flavour)
        else:
            data = stream.read()
            if data.strip():
                yield Entry("", data, len(data))


def size_of(path: Path) -> int:
    if path.is_dir():
        return sum(
            p.stat().st_size
            for sub in ("cur", "new")
            for p in (path / sub).glob("*")
            if p.is_file() and inside(path, p)
        )
    return path.stat().st_size if path.exists() else 0


def envelope_line(sender: str, when) -> bytes:
    address = sender if sender and " " not in sender else "MAILER-DAEMON"
    return f"From {address} {when.strftime('%a %b %d %H:%M:%S %Y')}\n".encode()


def mboxrd_entry(envelope: bytes, raw: bytes) -> bytes:
    """One message in an mboxrd: its From line, the bytes with From lines quoted, a blank line."""
    # Split on LF only, as the reader does: a lone CR inside a line is part of the line.
    body = b"\n".join(
        b">" + line if line.startswith(b"From ") or QUOTED_FROM.match(line) else line
        for line in raw.split(b"\n")
    )
    if body and not body.endswith(b"\n"):
        body += b"\n"
    return envelope + body + b"\n"


def write_mboxrd_gz(entries: Iterable[tuple[bytes, bytes]]) -> Iterator[bytes]:
    """Gzipped mboxrd, streamed chunk by chunk (for a StreamingHttpResponse)."""
    import zlib

    compressor = zlib.compressobj(6, zlib.DEFLATED, 31)  # 31: a gzip header and trailer
    for envelope, raw in entries:
        chunk = compressor.compress(mboxrd_entry(envelope, raw))
        if chunk:
            yield chunk
    yield compressor.flush()
