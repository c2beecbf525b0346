"""[[artifact:...]] references: links to a release's files that cannot go stale.

In the Markdown a reference reads `[[artifact:d02/Image]]` (the file Image of board d02 in the
page's release), `[[artifact:d02/latest/Image]]` (in the board's latest release, by the
catalogue's one rule, whatever page it is on), `[[artifact:d02/16.12/Image]]` (in that release)
or `[[artifact:common/SHA256SUMS]]` (a file for every board). Rendering stores a marker; the
marker becomes a link with size and checksum when the page is shown, with one query, so a link
always points at the file that exists now.
"""

from __future__ import annotations

import re

# Builds elements for Markdown; parses nothing.
import xml.etree.ElementTree as ET  # nosec B405
from dataclasses import dataclass

from django.template.defaultfilters import filesizeformat
from django.utils.html import format_html
from django.utils.translation import gettext as _
from markdown.extensions import Extension
from markdown.inlinepatterns import InlineProcessor

from docs_app.models import LATEST
from downloads import querysets as downloads_querysets
from downloads.models import Artifact, Release

REF_PATTERN = r"\[\[artifact:([A-Za-z0-9._+/-]+)\]\]"
MARKER_RE = re.compile(r'<span class="artifact-ref">([A-Za-z0-9._+/-]+)</span>')
COMMON = "common"


@dataclass(frozen=True)
class ArtifactRef:
    raw: str
    board: str  # a board slug or "common"
    version: str | None  # None: the page's release; "latest"; or a release version
    filename: str

    @classmethod
    def parse(cls, raw: str) -> ArtifactRef | None:
        parts = raw.strip("/").split("/")
        if len(parts) == 2 and all(parts):
            return cls(raw=raw, board=parts[0].lower(), version=None, filename=parts[1])
        if len(parts) == 3 and all(parts):
            return cls(raw=raw, board=parts[0].lower(), version=parts[1], filename=parts[2])
        return None


def download_url(artifact: Artifact) -> str:
    """The public address of a file, as the downloads section serves it."""
    folder = artifact.board.slug if artifact.board_id else COMMON
    return f"/downloads/releases/{artifact.release.version}/{folder}/{artifact.filename}"


class _ArtifactInline(InlineProcessor):
    def __init__(self, pattern: str, found: list[str]) -> None:
        super().__init__(pattern)
        self.found = found

    def handleMatch(self, m, data):
        element = ET.Element("span")
        element.set("class", "artifact-ref")
        element.text = m.group(1)
        if m.group(1) not in self.found:
            self.found.append(m.group(1))
        return element, m.start(0), m.end(0)


class ArtifactExtension(Extension):
    """Turns [[artifact:...]] into a marker span and records every reference in `found`."""

    def __init__(self, **kwargs) -> None:
        self.found: list[str] = []
        super().__init__(**kwargs)

    def extendMarkdown(self, md):
        # Above links (160) so that [[...]] is not read as a link; below `code` (190).
        md.inlinePatterns.register(_ArtifactInline(REF_PATTERN, self.found), "artifact", 175)


def _board_latest(board: str, *, site_latest: str | None) -> str | None:
    """The version `board/latest/...` names: the board's latest release, by the one rule the
    catalogue keeps everywhere (common files: the site's latest release)."""
    if board == COMMON:
        return site_latest
    return (
        downloads_querysets.latest_releases_for_board(board)
        .values_list("version", flat=True)
        .first()
    )


@dataclass
class Resolution:
    ref: str
    artifact: Artifact | None
    reason: str = ""


def resolve(refs: list[str], *, version: str | None, latest: str | None) -> dict[str, Resolution]:
    """Find the file of every reference, in one query.

    `version` is the release the page is read for and `latest` the latest release's version
    (either None when there is no published release).
    """
    wanted: dict[str, tuple[ArtifactRef | None, str | None]] = {}
    board_latest: dict[str, str | None] = {}  # one query per board named with "latest"
    versions: set[str] = set()
    filenames: set[str] = set()
    for raw in refs:
        ref = ArtifactRef.parse(raw)
        target = None
        if ref is not None:
            if ref.version is None:
                target = version
            elif ref.version == LATEST:
                if ref.board not in board_latest:
                    board_latest[ref.board] = _board_latest(ref.board, site_latest=latest)
                target = board_latest[ref.board]
            else:
                target = ref.version
            if target:
                versions.add(target)
                filenames.add(ref.filename)
        wanted[raw] = (ref, target)
    found: dict[tuple[str, str, str], Artifact] = {}
    if versions:
        artifacts = Artifact.objects.filter(
            release__version__in=versions,
            release__status=Release.Status.PUBLISHED,
            filename__in=filenames,
        ).select_related("release", "board")
        for artifact in artifacts:
            folder = artifact.board.slug if artifact.board_id else COMMON
            found[(artifact.release.version, folder, artifact.filename)] = artifact
    result: dict[str, Resolution] = {}
    for raw, (ref, target) in wanted.items():
        if ref is None:
            result[raw] = Resolution(raw, None, _("not a reference: use board/file"))
        elif target is None:
            result[raw] = Resolution(raw, None, _("no published release"))
        else:
            artifact = found.get((target, ref.board, ref.filename))
            reason = (
                ""
                if artifact
                else _("no file %(file)s for %(board)s in release %(v)s")
                % {
                    "file": ref.filename,
                    "board": ref.board,
                    "v": target,
                }
            )
            result[raw] = Resolution(raw, artifact, reason)
    return result


def link_html(resolution: Resolution, *, editor: bool) -> str:
    artifact = resolution.artifact
    if artifact is not None:
        return format_html(
            '<span class="artifact"><a class="artifact-link" href="{}" download>{}</a>'
            ' <span class="artifact-meta">{} · sha256 <code class="sha256">{}</code></span>'
            "</span>",
            download_url(artifact),
            artifact.filename,
            filesizeformat(artifact.size),
            artifact.sha256,
        )
    if editor:
        return format_html(
            '<span class="artifact-broken" role="note">[[artifact:{}]]: {}</span>',
            resolution.ref,
            resolution.reason,
        )
    name = resolution.ref.rsplit("/", 1)[-1]
    return format_html(
        '<span class="artifact-missing">{} ({})</span>', name, _("not in this release")
    )


def insert_links(html: str, resolutions: dict[str, Resolution], *, editor: bool) -> str:
    def replace(m: re.Match) -> str:
        resolution = resolutions.get(m.group(1)) or Resolution(m.group(1), None, "")
        return link_html(resolution, editor=editor)

    return MARKER_RE.sub(replace, html)
