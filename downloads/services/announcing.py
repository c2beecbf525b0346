"""What the catalogue tells the rest of the site about a release: the event portal.announcements
hands to every section's listener (downloads imports no section; they register with portal)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.contenttypes.models import ContentType
from django.utils import translation
from django.utils.translation import gettext

from downloads.models import Artifact, Board, Release
from portal import announcements
from portal.registry import ReleaseEvent

FILES_PER_BOARD = 12


def releases_watch_target() -> ContentType:
    """What people watch to hear of every release ("the releases as a whole"): the Release
    model's content type, an object the notification centre can subscribe to like any other."""
    return ContentType.objects.get_for_model(Release)


def release_title(release: Release) -> str:
    return f"Estuary {release.version}" + (f": {release.title}" if release.title else "")


def _files_markdown(release: Release, artifacts: list[Artifact]) -> str:
    """The boards and links to their files, for the news item (in the site's language)."""
    by_folder: dict[str, list[Artifact]] = {}
    boards: dict[str, Board | None] = {}
    for artifact in artifacts:
        by_folder.setdefault(artifact.folder, []).append(artifact)
        boards[artifact.folder] = artifact.board
    lines = ["## " + gettext("Boards and files"), ""]
    for folder, files in by_folder.items():
        board = boards[folder]
        name = f"[{board.name}]({board.get_absolute_url()})" if board else gettext("All boards")
        lines.append(f"- {name}:")
        for artifact in files[:FILES_PER_BOARD]:
            lines.append(f"  - [{artifact.filename}]({artifact.get_absolute_url()})")
        if len(files) > FILES_PER_BOARD:
            folder_url = f"{release.get_absolute_url()}{folder}/"
            more = gettext("all %(count)d files") % {"count": len(files)}
            lines.append(f"  - [{more}]({folder_url})")
    return "\n".join(lines)


def _watched(release: Release, artifacts: list[Artifact]) -> list:
    # Files common to every board concern every board's watchers.
    if any(a.board_id is None for a in artifacts):
        boards = list(Board.objects.order_by("order", "name"))
    else:
        boards = sorted({a.board for a in artifacts}, key=lambda b: (b.order, b.name))
    return [*boards, releases_watch_target()]


def announce_published(
    *, release: Release, artifacts: list[Artifact], user: AbstractBaseUser | None
) -> None:
    """Write the news item, open the topic and tell the watchers; all in the caller's
    transaction, so that a failure anywhere publishes nothing."""
    with translation.override(settings.LANGUAGE_CODE):
        notes = "\n\n".join(
            part for part in (release.notes.strip(), _files_markdown(release, artifacts)) if part
        )
    event = ReleaseEvent(
        kind="published",
        release=release,
        title=release_title(release),
        url=release.get_absolute_url(),
        notes=notes,
        watched=_watched(release, artifacts),
        actor=user,
    )
    news = announcements.release_published(event)
    release.announcement = news
    release.save(update_fields=["announcement"])


def announce_withdrawn(*, release: Release, user: AbstractBaseUser | None) -> None:
    replacement = release.replaced_by
    artifacts = list(release.artifacts.select_related("board"))
    announcements.release_withdrawn(
        ReleaseEvent(
            kind="withdrawn",
            release=release,
            title=release_title(release),
            url=release.get_absolute_url(),
            notes=release.notes,
            watched=_watched(release, artifacts),
            actor=user,
            reason=release.withdrawn_reason,
            replacement=(
                (release_title(replacement), replacement.get_absolute_url())
                if replacement
                else None
            ),
        )
    )
