"""Sending a file: HEAD, ETag and Last-Modified, one byte range, streamed in chunks.

Django's FileResponse sends whole files only. This response answers a `Range: bytes=...`
request with 206 and the range (so `curl -C -` resumes), a range past the end with 416, and a
matching `If-None-Match`/`If-Modified-Since` with 304. The body is read in blocks from a
file object limited to the range; under gunicorn, whose wsgi.file_wrapper uses sendfile(2), the
kernel copies the bytes. With DOWNLOADS_X_ACCEL_PREFIX set, Django only answers the headers and
nginx sends the file (see the README for the nginx location).
"""

from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils.encoding import iri_to_uri
from django.utils.http import content_disposition_header, http_date, parse_http_date_safe

BLOCK_SIZE = 256 * 1024
RANGE_RE = re.compile(r"^bytes=([0-9]*)-([0-9]*)$")


class RangeFile(io.RawIOBase):
    """A read-only window [start, start + length) on an open file, for streaming a range.

    `fileno()` exposes the file positioned at `start`, which is all gunicorn's sendfile needs
    (it sends Content-Length bytes from the current offset); everything else reads in blocks.
    """

    def __init__(self, path: Path, start: int, length: int):
        super().__init__()
        self._file = path.open("rb")
        self._file.seek(start)
        self._end = start + length

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        # socket.sendfile() puts the position back after sending: let it.
        return self._file.seek(offset, whence)

    def tell(self) -> int:
        return self._file.tell()

    def read(self, size: int = -1) -> bytes:
        left = self._end - self._file.tell()
        if left <= 0:
            return b""
        if size is None or size < 0 or size > left:
            size = left
        return self._file.read(size)

    def fileno(self) -> int:
        return self._file.fileno()

    def close(self) -> None:
        self._file.close()
        super().close()


class _WindowResponse(FileResponse):
    """FileResponse streaming a RangeFile; the headers are set by serve_file, not guessed."""

    block_size = BLOCK_SIZE

    def set_headers(self, filelike) -> None:
        pass


@dataclass(frozen=True)
class ServedFile:
    path: Path | None  # where the bytes are on this host; None on object storage
    storage_name: str  # the path relative to the storage root (for X-Accel-Redirect)
    filename: str  # the name the browser saves
    size: int
    etag: str  # quoted strong validator
    last_modified: float  # seconds since the epoch
    content_type: str = "application/octet-stream"
    # On object storage: a short-lived URL of the bytes there (the store answers Range itself).
    url: str = ""


def _position(digits: str) -> int:
    """A byte position from the header's digits. Past 18 digits it is beyond any file, and
    Python refuses to convert thousands of digits at all: stand in a number just as final."""
    digits = digits.lstrip("0") or "0"
    return int(digits) if len(digits) <= 18 else 10**18


def parse_range(header: str, size: int) -> tuple[int, int] | bool | None:
    """(start, end) inclusive for one satisfiable range; None to send the whole file (no,
    several, or malformed ranges, which a server may ignore); False when unsatisfiable."""
    match = RANGE_RE.match(header.strip())
    if not match:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # the last N bytes
        suffix = _position(last)
        if suffix == 0:
            return False
        return max(size - suffix, 0), size - 1
    start = _position(first)
    if last and _position(last) < start:
        return None  # syntactically invalid: ignored, as RFC 9110 says
    if start >= size:
        return False
    end = _position(last) if last else size - 1
    return start, min(end, size - 1)


def _not_modified(request: HttpRequest, served: ServedFile) -> bool:
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:
        tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
        return "*" in tags or served.etag in tags
    since = parse_http_date_safe(request.headers.get("If-Modified-Since", ""))
    return since is not None and int(served.last_modified) <= since


def _range_applies(request: HttpRequest, served: ServedFile) -> bool:
    """If-Range: honour the range only while the file is the one the client has part of."""
    if_range = request.headers.get("If-Range")
    if if_range is None:
        return True
    if if_range.startswith('"'):
        return if_range == served.etag
    date = parse_http_date_safe(if_range)
    return date is not None and int(served.last_modified) <= date


def serve_file(request: HttpRequest, served: ServedFile) -> HttpResponse:
    """Answer GET or HEAD for a file. `response.is_download` tells whether to count it: a GET
    from the first byte, not a resumed or probing request."""
    headers = {
        "ETag": served.etag,
        "Last-Modified": http_date(served.last_modified),
        "Accept-Ranges": "bytes",
        "Cache-Control": "public, max-age=86400",
    }
    if _not_modified(request, served):
        response = HttpResponseNotModified(headers=headers)
        response.is_download = False
        return response

    status, start, end = 200, 0, served.size - 1
    range_header = request.headers.get("Range")
    if range_header and _range_applies(request, served):
        wanted = parse_range(range_header, served.size)
        if wanted is False:
            response = HttpResponse(
                f"Range not satisfiable: the file has {served.size} bytes.\n",
                status=416,
                content_type="text/plain; charset=utf-8",
                headers={**headers, "Content-Range": f"bytes */{served.size}"},
            )
            response.is_download = False
            return response
        if wanted is not None:
            status, (start, end) = 206, wanted
    length = end - start + 1
    headers["Content-Type"] = served.content_type
    headers["Content-Disposition"] = content_disposition_header(True, served.filename)
    if status == 206:
        headers["Content-Range"] = f"bytes {start}-{end}/{served.size}"

    if request.method == "HEAD":
        response = HttpResponse(status=status, headers=headers)
        response["Content-Length"] = str(length)
    elif served.url:
        # Django has checked who may have the file; the object store sends it. The client sends
        # its Range again to the store, which answers 206. The signed URL expires: not cached.
        headers.pop("Content-Range", None)
        headers["Cache-Control"] = "private, no-store"
        headers["Location"] = served.url
        response = HttpResponse(status=302, headers=headers)
    elif settings.DOWNLOADS_X_ACCEL_PREFIX:  # a local file only: nginx reads it from disk
        # nginx sends the bytes (and handles Range itself); Django answered who may have them.
        headers.pop("Content-Range", None)
        headers["X-Accel-Redirect"] = iri_to_uri(
            settings.DOWNLOADS_X_ACCEL_PREFIX.rstrip("/") + "/" + served.storage_name
        )
        response = HttpResponse(status=200, headers=headers)
    else:
        response = _WindowResponse(
            RangeFile(served.path, start, length), status=status, headers=headers
        )
        response["Content-Length"] = str(length)
    response.is_download = request.method != "HEAD" and start == 0
    return response


def file_validators(path: Path, *, sha256: str) -> tuple[str, float]:
    """A strong ETag (the content's SHA-256 is known) and the file's modification time."""
    return f'"{sha256[:32]}"', os.stat(path).st_mtime
