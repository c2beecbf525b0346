"""Checksum lists in the exact format `sha256sum -c` and `md5sum -c` read.

Each line is `<hex digest><space><space><path>`; paths are relative to the folder the list sits
in: plain file names in a board folder, `board/filename` in a release's top folder.
"""

from __future__ import annotations

from collections.abc import Iterable

from downloads.models import Artifact

ALGORITHMS = {"SHA256SUMS": "sha256", "MD5SUMS": "md5"}


def checksum_list(artifacts: Iterable[Artifact], *, name: str, folder: str | None) -> str:
    """The text of SHA256SUMS or MD5SUMS for a board folder (`folder`) or a whole release."""
    field = ALGORITHMS[name]
    lines = []
    for artifact in artifacts:
        if folder is not None and artifact.folder != folder:
            continue
        path = artifact.filename if folder is not None else artifact.path
        digest = getattr(artifact, field)
        if digest:
            lines.append((path, f"{digest}  {path}\n"))
    return "".join(line for _path, line in sorted(lines))


def list_key(*, name: str, folder: str | None) -> str:
    """How a signature is filed in Release.signatures: "SHA256SUMS" or "d02/SHA256SUMS"."""
    return name if folder is None else f"{folder}/{name}"
