"""Writes of the docs: saving a page (with its revision, rendering and search vector), reverting
to a revision, uploading an image. Each is one atomic function; views, commands and seeders
call them."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.contrib.postgres.search import SearchVector
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import slugify
from markdown.extensions.attr_list import AttrListExtension

from docs_app import fragments
from docs_app.artifacts import ArtifactExtension
from docs_app.models import DocImage, Page, PageRevision, Section
from docs_app.querysets import SEARCH_CONFIG
from downloads.models import Release
from portal import notifications
from portal.images import prepare_image
from portal.markup import MarkupTooLong, render_markdown

SLUG_RE = re.compile(r"^[-a-z0-9_]+$")
MAX_TAGS = 20


class DocsError(ValueError):
    """A page or image that cannot be saved; the message says why."""


def render_source(source: str) -> tuple[Any, list[str]]:
    """Render a page's Markdown; return the Rendered result and its artifact references."""
    artifacts = ArtifactExtension()
    try:
        rendered = render_markdown(
            source, trusted=True, extensions=[artifacts, AttrListExtension()]
        )
    except MarkupTooLong as exc:
        raise DocsError(str(exc)) from exc
    return rendered, list(artifacts.found)


def clean_tags(tags: Sequence[str] | str) -> list[str]:
    if isinstance(tags, str):
        tags = tags.split(",")
    cleaned: list[str] = []
    for tag in tags:
        tag = " ".join(str(tag).split())[:50]
        if tag and tag.lower() not in {t.lower() for t in cleaned}:
            cleaned.append(tag)
    if len(cleaned) > MAX_TAGS:
        raise DocsError(f"At most {MAX_TAGS} tags are allowed.")
    return cleaned


def _update_search_vector(page: Page) -> None:
    if connection.vendor != "postgresql":
        return
    Page.objects.filter(pk=page.pk).update(
        search_vector=SearchVector("title", weight="A", config=SEARCH_CONFIG)
        + SearchVector("text", weight="B", config=SEARCH_CONFIG)
    )


@transaction.atomic
def save_page(
    *,
    page: Page | None = None,
    section: Section,
    slug: str,
    title: str,
    source: str,
    author: Any = None,
    message: str = "",
    release: Release | None = None,
    language: str = Page.Language.ENGLISH,
    parent: Page | None = None,
    order: int = 100,
    tags: Sequence[str] | str = (),
    updated_at: Any = None,
) -> Page:
    """Create or change a page; every save that changes something is a new revision.

    A save that changes nothing (an importer run again, say) writes nothing.
    """
    slug = slug.strip().lower()
    title = " ".join(title.split())
    if not SLUG_RE.match(slug):
        raise DocsError(f"{slug!r} is not a valid slug: use lower-case letters, digits and -.")
    if not title:
        raise DocsError("A page needs a title.")
    if len(title) > 200:
        raise DocsError("The title is longer than 200 characters.")
    if language not in Page.Language.values:
        raise DocsError(f"Unknown language {language!r}.")
    if release is not None and release.status == Release.Status.WITHDRAWN:
        raise DocsError(f"Release {release.version} is withdrawn.")
    tags = clean_tags(tags)
    if (
        page is not None
        and parent is not None
        and (parent.pk == page.pk or _is_below(parent, page))
    ):
        raise DocsError("A page cannot be its own parent or sit below itself.")
    clash = Page.objects.filter(section=section, slug=slug, release=release, language=language)
    if page is not None:
        clash = clash.exclude(pk=page.pk)
    if clash.exists():
        raise DocsError(f"{section.slug}/{slug} already exists for this version and language.")
    rendered, refs = render_source(source)
    fields = {
        "section": section,
        "slug": slug,
        "title": title,
        "source": source,
        "release": release,
        "language": language,
        "parent": parent,
        "order": order,
        "tags": tags,
    }
    if page is not None:
        page = Page.objects.select_for_update().get(pk=page.pk)
        if all(getattr(page, name) == value for name, value in fields.items()):
            return page
    else:
        page = Page(**fields)
    for name, value in fields.items():
        setattr(page, name, value)
    page.html = rendered.html
    page.toc = rendered.toc_as_dicts()
    page.text = rendered.text
    page.artifact_refs = refs
    page.updated_at = updated_at or timezone.now()
    page.updated_by = author
    page.save()
    number = (page.revisions.aggregate(n=Max("number"))["n"] or 0) + 1
    PageRevision.objects.create(
        page=page,
        number=number,
        title=title,
        source=source,
        tags=tags,
        author=author,
        message=(message.strip() or ("Created" if number == 1 else "Edited"))[:300],
    )
    _update_search_vector(page)
    fragments.bump_generation_on_commit()
    if number > 1:
        _tell_watchers(page=page, author=author, message=message.strip())
    return page


def _tell_watchers(*, page: Page, author: Any, message: str) -> None:
    """A saved edit is published at once: everyone watching the page hears of it."""
    if page.release_id is not None and page.release.status != Release.Status.PUBLISHED:
        return  # a draft release's pages reach no reader yet
    people = notifications.watchers(targets=[page])
    if people:
        notifications.notify(
            recipients=people,
            actor=author,
            verb="doc_edited",
            target=page,
            url=page.get_absolute_url(),
            title=page.title,
            excerpt=message,
            via=page,
        )


def set_watch(*, user: Any, page: Page, watching: bool) -> None:
    if watching:
        notifications.subscribe(user=user, target=page)
    else:
        notifications.unsubscribe(user=user, target=page)


def _is_below(candidate: Page, page: Page) -> bool:
    """Whether `candidate` is somewhere under `page` (walks up at most 20 parents)."""
    current = candidate
    for _ in range(20):
        if current.parent_id is None:
            return False
        if current.parent_id == page.pk:
            return True
        current = current.parent
    return True


@transaction.atomic
def revert_page(*, page: Page, revision: PageRevision, author: Any) -> Page:
    """Make a page say again what it said in `revision`, as a new revision."""
    if revision.page_id != page.pk:
        raise DocsError("That revision belongs to another page.")
    return save_page(
        page=page,
        section=page.section,
        slug=page.slug,
        title=revision.title,
        source=revision.source,
        tags=revision.tags,
        release=page.release,
        language=page.language,
        parent=page.parent,
        order=page.order,
        author=author,
        message=f"Reverted to revision {revision.number}",
    )


@transaction.atomic
def upload_image(*, upload: UploadedFile, title: str = "", author: Any = None) -> DocImage:
    """Keep an image an editor uploaded, re-encoded by the site's one image pipeline."""
    try:
        prepared = prepare_image(upload)
    except ValidationError as exc:
        raise DocsError(" ".join(exc.messages)) from exc
    base = slugify(prepared.original_name.rsplit(".", 1)[0]) or "image"
    return DocImage.objects.create(
        image=ContentFile(prepared.content, name=f"{base[:80]}.{prepared.extension}"),
        title=title.strip()[:200],
        uploaded_by=author,
    )


def media_url(image: DocImage) -> str:
    return f"{settings.MEDIA_URL}{image.image.name}"
