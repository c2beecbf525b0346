"""The faces of the docs: reading (per version and language), search, editing, feeds.

A page, a section's list and the docs' index are kept rendered (docs_app.fragments.rendered):
their partials are what every reader of the same version, language and role sees, rendered
once per change of the docs or the catalogue; what is the reader's own (board, address, CSRF
token, the site's header) is rendered around them per request, so a kept page costs no query.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import truncatewords
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from docs_app import artifacts, fragments, querysets, services
from docs_app.forms import ImageForm, PageForm
from docs_app.models import LATEST, DocImage, Page, PageRevision, Section
from portal.models import Subscription
from portal.page_cache import csrf_mark, not_kept_for_signed_out, reader_form, shared_with_readers
from portal.ratelimits import rate_limited
from portal.search import query_text
from portal.users import group_names
from portal.views import safe_next

EDITORS_GROUP = "doc-editors"
VERSION_COOKIE = "docs_version"
BOARD_COOKIE = "docs_board"
COOKIE_AGE = 365 * 24 * 3600
BOARD_RE = re.compile(r"^[-a-z0-9_]{1,50}$")
MAX_QUERY_LENGTH = 200


def is_editor(user: Any) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return EDITORS_GROUP in group_names(user)


def _require_editor(request: HttpRequest) -> None:
    if not is_editor(request.user):
        raise PermissionDenied(_("Only doc editors may change the docs."))


def _language(request: HttpRequest) -> str:
    code = getattr(request, "LANGUAGE_CODE", "en") or "en"
    return code if code in Page.Language.values else Page.Language.ENGLISH


def _board(request: HttpRequest) -> str:
    board = request.COOKIES.get(BOARD_COOKIE, "")
    return board if BOARD_RE.match(board) else ""


@dataclass
class VersionContext:
    version: str  # "latest" or a release version
    versions: list[querysets.Version]
    latest: str | None  # the version "latest" stands for

    @property
    def release_version(self) -> str | None:
        """The release whose files the page links to."""
        return self.latest if self.version == LATEST else self.version

    @property
    def is_old(self) -> bool:
        return self.version != LATEST and self.version != self.latest

    @property
    def is_prerelease(self) -> bool:
        return any(v.version == self.version and v.is_prerelease for v in self.versions)


def _versions(version: str) -> VersionContext:
    versions = querysets.published_versions()
    if version != LATEST and version not in {v.version for v in versions}:
        raise Http404(_("No published release %(version)s.") % {"version": version})
    return VersionContext(
        version=version, versions=versions, latest=querysets.latest_version(versions)
    )


def _remember(response: HttpResponse, request: HttpRequest, version: str) -> HttpResponse:
    # No cookie means "latest": a reader of the latest docs gets no cookie, so the page is the
    # same for every signed-out reader and can be kept whole (portal/page_cache.py).
    if request.COOKIES.get(VERSION_COOKIE, LATEST) != version:
        if version == LATEST:
            response.delete_cookie(VERSION_COOKIE, samesite="Lax")
        else:
            response.set_cookie(VERSION_COOKIE, version, max_age=COOKIE_AGE, samesite="Lax")
    return response


@require_safe
def index(request: HttpRequest) -> HttpResponse:
    remembered = request.COOKIES.get(VERSION_COOKIE, LATEST)
    try:
        return version_index(request, version=remembered)
    except Http404:
        return version_index(request, version=LATEST)


def _partials(template: str, names: tuple[str, ...], context: dict) -> dict[str, str]:
    """The named partials of a template, rendered to be kept. They stay safe strings in the
    cache (a SafeString pickles as one) and are shown as they are."""
    return {name: render_to_string(f"{template}#{name}", context) for name in names}


def _index_parts(version: str, language: str) -> dict:
    """What every reader of a version's index in a language sees (kept, see fragments)."""
    from downloads.querysets import boards

    ctx = _versions(version)
    contents = fragments.contents(version=version, language=language)
    return {
        **_partials(
            "docs_app/index.html", ("head", "sections"), {"ctx": ctx, "sections": contents.sections}
        ),
        "boards": list(boards().values_list("slug", "name")),
        "by_tag": contents.by_tag,
        "page_base": reverse("docs_app:page", args=[version, "s", "x"])[: -len("s/x/")],
    }


@require_safe
def version_index(request: HttpRequest, version: str) -> HttpResponse:
    language = _language(request)
    parts = fragments.rendered(
        "index", (version, language), lambda: _index_parts(version, language)
    )
    board = _board(request)
    response = render(
        request,
        "docs_app/index.html",
        {
            "parts": parts,
            "board": board,
            "for_board": parts["by_tag"].get(board, []) if board else [],
            "is_editor": is_editor(request.user),
        },
    )
    return _remember(response, request, version)


def _section_parts(version: str, section: str, language: str) -> dict:
    """Every page of a section for a version and language (kept, see fragments)."""
    ctx = _versions(version)
    section_obj = get_object_or_404(querysets.sections(), slug=section)
    nav = fragments.section_nav(section=section_obj, version=version, language=language)
    if not nav.outline:
        raise Http404(_("This section has no pages in this version."))
    context = {
        "ctx": ctx,
        "section": section_obj,
        "section_title": section_obj.title_in(language),
        "nav": nav.marked(""),
    }
    return {
        "section_title": context["section_title"],
        **_partials("docs_app/section.html", ("breadcrumbs", "content"), context),
    }


@require_safe
def section_view(request: HttpRequest, version: str, section: str) -> HttpResponse:
    """Every page of a section, for a version (the index shows the first few)."""
    language = _language(request)
    parts = fragments.rendered(
        "section", (version, language, section), lambda: _section_parts(version, section, language)
    )
    response = render(request, "docs_app/section.html", {"parts": parts})
    return _remember(response, request, version)


def _breadcrumbs(page: Page) -> list[Page]:
    """Up to two parents (fetched with the page)."""
    trail: list[Page] = []
    parent = page.parent
    if parent is not None:
        if parent.parent_id is not None:
            trail.append(parent.parent)
        trail.append(parent)
    return trail


def _page_context(request: HttpRequest, version: str, section: str, slug: str) -> dict:
    ctx = _versions(version)
    language = _language(request)
    page = querysets.find_page(section=section, slug=slug, version=version, language=language)
    if page is None:
        raise Http404(_("No such page in this version."))
    editor = is_editor(request.user)
    html = page.html
    if page.artifact_refs:
        resolutions = artifacts.resolve(
            page.artifact_refs, version=ctx.release_version, latest=ctx.latest
        )
        html = artifacts.insert_links(html, resolutions, editor=editor)
    nav = fragments.section_nav(section=page.section, version=version, language=language)
    previous_page, next_page = nav.neighbours(page.slug)
    return {
        "ctx": ctx,
        "page": page,
        # Sanitized when rendered; links built with format_html.
        "html": mark_safe(html),  # noqa: S308  # nosec B308 B703
        "section_title": page.section.title_in(language),
        "nav": nav.marked(page.slug),
        "previous_page": previous_page,
        "next_page": next_page,
        "breadcrumbs": _breadcrumbs(page),
        "fallback": page.language != language,
        "language": language,
        "is_editor": editor,
    }


def _page_parts(request: HttpRequest, version: str, section: str, slug: str) -> dict:
    """What every reader of a page in a version and language sees, as a reader or as an editor
    (kept, see fragments): the page's own words, its file links and its section's list."""
    context = _page_context(request, version, section, slug)
    page = context["page"]
    return {
        "title": page.title,
        "description": truncatewords(page.text, 30),
        "canonical": reverse("docs_app:page", args=[LATEST, page.section.slug, page.slug]),
        "section_title": context["section_title"],
        "page_pk": page.pk,
        **_partials("docs_app/page.html", ("breadcrumbs", "aside", "article"), context),
    }


@require_safe
def page_view(request: HttpRequest, version: str, section: str, slug: str) -> HttpResponse:
    language = _language(request)
    editor = is_editor(request.user)
    parts = fragments.rendered(
        "page",
        (version, language, section, slug, "editor" if editor else "reader"),
        lambda: _page_parts(request, version, section, slug),
    )
    context = {"parts": parts, "version": version, "board": _board(request)}
    page_pk = parts.get("page_pk")
    if getattr(request, "shared_page", False):
        # Kept for every signed-in reader of this kind; each one's watch choice filled in.
        context.update(shared=True, csrf_token=csrf_mark())
        response = render(request, "docs_app/page.html", context)
        if page_pk:
            shared_with_readers(response, "docs_app.views.page_reader_parts", page_pk)
        else:
            shared_with_readers(response)
        return _remember(response, request, version)
    # The reader's own watch choice stays out of the kept parts (one query, signed in only).
    context["watching"] = request.user.is_authenticated and page_pk and _watching(request, page_pk)
    response = render(request, "docs_app/page.html", context)
    return _remember(response, request, version)


def _watching(request: HttpRequest, page_pk: int) -> bool:
    return Subscription.objects.filter(
        user=request.user,
        # Joined, not looked up: the page keeps its one extra query.
        content_type__app_label=Page._meta.app_label,
        content_type__model=Page._meta.model_name,
        object_id=page_pk,
        level=Subscription.Level.WATCHING,
    ).exists()


def page_reader_parts(request: HttpRequest, page_pk: int) -> dict[str, str]:
    """A signed-in reader's own part of a shared doc page: their watch button."""
    return {
        "watch": reader_form(
            "docs_app/_watch_page.html", page_pk=page_pk, watching=_watching(request, page_pk)
        )
    }


@login_required
@require_POST
def watch_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Watch a page (mail when it is edited) or stop watching it."""
    page = get_object_or_404(querysets.public_pages().select_related("section", "release"), pk=pk)
    level = request.POST.get("level", "")
    if level not in ("", Subscription.Level.WATCHING):
        return HttpResponseBadRequest(_("Unknown watch level."))
    services.set_watch(user=request.user, page=page, watching=bool(level))
    if level:
        messages.success(request, _("You are watching this page: edits will be notified."))
    else:
        messages.success(request, _("You no longer watch this page."))
    return redirect(page.get_absolute_url())


@require_safe
def page_print(request: HttpRequest, version: str, section: str, slug: str) -> HttpResponse:
    context = _page_context(request, version, section, slug)
    return render(request, "docs_app/page_print.html", context)


@require_safe
def switch_version(request: HttpRequest) -> HttpResponse:
    """The version switcher's target: the same page in another version, or that version's index."""
    version = request.GET.get("version", LATEST)
    ctx = _versions(version)
    section, slug = request.GET.get("section", ""), request.GET.get("slug", "")
    target = reverse("docs_app:version_index", args=[ctx.version])
    if section and slug:
        page = querysets.find_page(
            section=section, slug=slug, version=ctx.version, language=_language(request)
        )
        if page is not None:
            target = page.get_absolute_url(version=ctx.version)
    return _remember(redirect(target), request, ctx.version)


@require_safe
def choose_board(request: HttpRequest) -> HttpResponse:
    board = request.GET.get("board", "").strip().lower()
    response = redirect(safe_next(request, reverse("docs_app:index")))
    if not board:
        response.delete_cookie(BOARD_COOKIE)
    elif BOARD_RE.match(board):
        response.set_cookie(BOARD_COOKIE, board, max_age=COOKIE_AGE, samesite="Lax")
    else:
        return HttpResponseBadRequest(_("Not a board name."))
    return response


# Free text: endless addresses, each read once; search has its own limits.
@not_kept_for_signed_out
@require_safe
@rate_limited("search")
def search(request: HttpRequest) -> HttpResponse:
    query = query_text(request, limit=MAX_QUERY_LENGTH)
    version = request.GET.get("version", "") or LATEST
    ctx = _versions(version)
    section = request.GET.get("section", "")
    language = _language(request)
    hits = []
    if query:
        # The same for every reader (drafts' pages are found by nobody): kept until the docs or
        # the catalogue change.
        hits = fragments.rendered(
            "search",
            (query, version, section, language),
            lambda: {
                "hits": querysets.search_pages(
                    query=query, version=version, section=section, language=language, limit=30
                )
            },
        )["hits"]
    return render(
        request,
        "docs_app/search.html",
        {
            "query": query,
            "hits": hits,
            "ctx": ctx,
            "section": section,
            "sections": list(querysets.sections()),
        },
    )


# --- Editing --------------------------------------------------------------------------------


def _form_initial(page: Page) -> dict[str, Any]:
    return {
        "section": page.section,
        "slug": page.slug,
        "title": page.title,
        "release": page.release,
        "language": page.language,
        "parent": page.parent,
        "order": page.order,
        "tags": ", ".join(page.tags),
        "source": page.source,
    }


def _preview_html(source: str, release_version: str | None) -> str:
    rendered, refs = services.render_source(source)
    versions = querysets.published_versions()
    latest = querysets.latest_version(versions)
    resolutions = artifacts.resolve(refs, version=release_version or latest, latest=latest)
    return artifacts.insert_links(rendered.html, resolutions, editor=True)


@login_required
def edit_page(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    _require_editor(request)
    page = (
        get_object_or_404(Page.objects.select_related("section", "release"), pk=pk) if pk else None
    )
    preview = None
    if request.method == "POST":
        form = PageForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            if "preview" in request.POST:
                try:
                    # The sanitized output of the markup pipeline.
                    preview = mark_safe(  # noqa: S308  # nosec B308 B703
                        _preview_html(data["source"], data["release"] and data["release"].version)
                    )
                except services.DocsError as exc:
                    form.add_error("source", str(exc))
            else:
                try:
                    saved = services.save_page(
                        page=page,
                        section=data["section"],
                        slug=data["slug"],
                        title=data["title"],
                        source=data["source"],
                        release=data["release"],
                        language=data["language"],
                        parent=data["parent"],
                        order=data["order"],
                        tags=data["tags"],
                        author=request.user,
                        message=data["message"],
                    )
                except services.DocsError as exc:
                    form.add_error(None, str(exc))
                else:
                    messages.success(request, _("Saved."))
                    return redirect(saved.get_absolute_url())
    else:
        initial = _form_initial(page) if page else {
            "section": Section.objects.filter(slug=request.GET.get("section", "")).first(),
            "language": Page.Language.ENGLISH,
        }  # fmt: skip
        form = PageForm(initial=initial)
    return render(request, "docs_app/edit.html", {"form": form, "page": page, "preview": preview})


@login_required
@require_POST
def preview(request: HttpRequest) -> HttpResponse:
    """Rendered HTML of the posted source, for the editor's live preview."""
    _require_editor(request)
    source = request.POST.get("source", "")
    version = request.POST.get("release", "") or None
    try:
        html = _preview_html(source, version)
    except services.DocsError as exc:
        return HttpResponseBadRequest(str(exc), content_type="text/plain; charset=utf-8")
    return HttpResponse(html, content_type="text/html; charset=utf-8")


@login_required
def history(request: HttpRequest, pk: int) -> HttpResponse:
    _require_editor(request)
    page = get_object_or_404(Page.objects.select_related("section", "release"), pk=pk)
    return render(
        request,
        "docs_app/history.html",
        {"page": page, "revisions": list(querysets.page_revisions(page))},
    )


def diff_lines(old: str, new: str) -> list[tuple[str, str]]:
    """A unified diff as (css class, line) pairs for the template."""
    lines = []
    for line in difflib.unified_diff(
        old.splitlines(), new.splitlines(), "before", "after", lineterm="", n=3
    ):
        if line.startswith(("---", "+++")):
            continue
        kind = {"+": "added", "-": "removed", "@": "hunk"}.get(line[:1], "same")
        lines.append((kind, line))
    return lines


@login_required
def revision_diff(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    _require_editor(request)
    page = get_object_or_404(Page.objects.select_related("section", "release"), pk=pk)
    revision = get_object_or_404(page.revisions.select_related("author"), number=number)
    against = request.GET.get("against", "")
    if against.isdigit():
        base = get_object_or_404(page.revisions, number=int(against))
    else:
        base = page.revisions.filter(number__lt=number).order_by("-number").first()
    old = base.source if base else ""
    return render(
        request,
        "docs_app/diff.html",
        {
            "page": page,
            "revision": revision,
            "base": base,
            "lines": diff_lines(old, revision.source),
            "title_changed": base is not None and base.title != revision.title,
        },
    )


@login_required
@require_POST
def revert(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    _require_editor(request)
    page = get_object_or_404(Page.objects.select_related("section", "release", "parent"), pk=pk)
    revision = get_object_or_404(PageRevision, page=page, number=number)
    try:
        services.revert_page(page=page, revision=revision, author=request.user)
    except services.DocsError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, _("Reverted to revision %(number)s.") % {"number": revision.number}
        )
    return redirect("docs_app:history", pk=page.pk)


@login_required
def images(request: HttpRequest) -> HttpResponse:
    _require_editor(request)
    if request.method == "POST":
        form = ImageForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                image = services.upload_image(
                    upload=form.cleaned_data["image"],
                    title=form.cleaned_data["title"],
                    author=request.user,
                )
            except services.DocsError as exc:
                form.add_error("image", str(exc))
            else:
                messages.success(
                    request,
                    _("Uploaded. Use it with ![%(title)s](%(url)s)")
                    % {"title": image.title or _("image"), "url": services.media_url(image)},
                )
                return redirect("docs_app:images")
    else:
        form = ImageForm()
    recent = DocImage.objects.select_related("uploaded_by")[:50]
    return render(
        request,
        "docs_app/images.html",
        {"form": form, "images": [(i, services.media_url(i)) for i in recent]},
    )


@login_required
def broken_references(request: HttpRequest) -> HttpResponse:
    """Every [[artifact:...]] that does not resolve, on every page, for editors to fix."""
    _require_editor(request)
    versions = querysets.published_versions()
    latest = querysets.latest_version(versions)
    pages = list(querysets.pages_with_references())
    broken = []
    by_version: dict[str | None, list[Page]] = {}
    for page in pages:
        by_version.setdefault(page.release.version if page.release_id else None, []).append(page)
    for version, group in by_version.items():
        refs = sorted({ref for page in group for ref in page.artifact_refs})
        resolutions = artifacts.resolve(refs, version=version or latest, latest=latest)
        for page in group:
            for ref in page.artifact_refs:
                if resolutions[ref].artifact is None:
                    broken.append({"page": page, "ref": ref, "reason": resolutions[ref].reason})
    return render(request, "docs_app/broken.html", {"broken": broken, "latest": latest})
