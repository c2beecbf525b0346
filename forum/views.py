"""The forum's pages. Reads go through forum.querysets, writes through forum.services."""

from __future__ import annotations

import math
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from forum import querysets as q
from forum import services
from forum.forms import (
    EditForm,
    FlagForm,
    PostForm,
    ReasonForm,
    TopicForm,
    TopicModerationForm,
)
from forum.markup import quote_source, render_post
from forum.models import Category, Flag, ModerationLog, Post, Topic
from portal.caching import kept, kept_key
from portal.markup import MarkupTooLong
from portal.mfa import second_factor_required
from portal.models import Subscription
from portal.page_cache import csrf_mark, fill_marks, on_every_read, reader_form, shared_with_readers
from portal.ratelimits import rate_limited


def _page_number(request: HttpRequest) -> int:
    try:
        return max(1, int(request.GET.get("page", "1")))
    except ValueError:
        return 1


def _pages(current: int, total: int) -> list[int]:
    """Page links to show: the first, the last, and a few around the current one."""
    around = {1, total, *range(max(1, current - 2), min(total, current + 2) + 1)}
    return sorted(around)


def _readable_category(request: HttpRequest, slug: str, *, reader: bool = False) -> Category:
    """The category, if the reader may read it; with `reader`, their own state comes along
    (with_category_reader_state)."""
    categories = q.readable_categories(request.user).select_related("parent").filter(slug=slug)
    if reader:
        categories = q.with_category_reader_state(categories, request.user)
    category = categories.first()
    if category is None:
        raise Http404(_("No such category."))
    return category


def _visible_topic(
    request: HttpRequest, pk: int, *, reader_posts: tuple[int, int] | None = None
) -> Topic:
    # The answer is shown inside the kept posts: loaded only when they are rendered.
    topic = q.visible_topic(request.user, pk, reader_posts=reader_posts)
    if topic is None:
        raise Http404(_("No such topic."))
    return topic


def _visible_post(request: HttpRequest, pk: int) -> Post:
    post = (
        Post.objects.filter(pk=pk)
        .select_related("topic", "topic__category", "author")
        .filter(topic__in=q.visible_topics(request.user))
        .first()
    )
    if post is None or (post.is_hidden and not q.is_moderator(request.user)):
        raise Http404(_("No such post."))
    return post


def _refusal(form, exc: ValidationError | PermissionDenied) -> None:
    form.add_error(None, exc.messages if isinstance(exc, ValidationError) else str(exc))


# --- Lists ----------------------------------------------------------------------------------


@require_safe
def index(request: HttpRequest) -> HttpResponse:
    categories = list(q.readable_categories(request.user).order_by("position", "name"))
    children: dict[int, list[Category]] = {}
    for category in categories:
        if category.parent_id:
            children.setdefault(category.parent_id, []).append(category)
    top = [(c, children.get(c.pk, [])) for c in categories if c.parent_id is None]
    for parent, kids in top:
        # A parent's figures include the subcategories the reader may see.
        parent.total_topics = parent.topic_count + sum(k.topic_count for k in kids)
        parent.total_posts = parent.post_count + sum(k.post_count for k in kids)
        parent.latest = max(
            (c.last_post_at for c in [parent, *kids] if c.last_post_at), default=None
        )
    return render(
        request,
        "forum/index.html",
        {"categories": top, "moderator": q.is_moderator(request.user)},
    )


# Kept lists and posts show ages ("3 minutes ago"): they are rendered anew at least this often.
KEPT_TIMEOUT = 600


def _unread_flags(rows: list[tuple], marked, reads: dict[int, int]) -> dict[int, str]:
    """topic id -> "new" (never opened) or "unread" (replies since); absent when read. `rows`
    are the listed topics as (pk, last_post_at, post_count), kept with the shared list;
    `marked` is when the reader marked the category read (None: never); `reads` how far they
    read each topic."""
    flags = {}
    for pk, last_post_at, post_count in rows:
        if marked is not None and last_post_at <= marked:
            continue
        read = reads.get(pk)
        if read is None:
            flags[pk] = "new"
        elif read < post_count:
            flags[pk] = "unread"
    return flags


def _row_badges(topics: list[Topic]) -> dict[int, dict[str, str]]:
    """The badges each listed topic may show a reader, rendered once with the shared list (a
    new reader has one on every row): filled in by mark, see _badges."""
    labels = {"new": _("new"), "unread": _("unread")}
    return {
        topic.pk: {
            state: format_html(
                '<a class="badge unread" href="{}" data-test="unread">{}</a>',
                reverse("forum:first_unread", args=[topic.pk]),
                label,
            )
            for state, label in labels.items()
        }
        for topic in topics
    }


def _badges(unread: dict[int, str], badges: dict[int, dict[str, str]]) -> dict[str, str]:
    return {f"unread-{pk}": badges[pk][state] for pk, state in unread.items()}


@require_safe
def category(request: HttpRequest, slug: str) -> HttpResponse:
    cat = _readable_category(request, slug, reader=True)
    per_page = settings.FORUM_TOPICS_PER_PAGE
    total_pages = max(1, math.ceil(cat.topic_count / per_page))
    page = _page_number(request)
    if page > total_pages:
        raise Http404(_("No such page."))

    def build() -> dict:
        offset = (page - 1) * per_page
        topics = list(q.category_topics(cat, request.user)[offset : offset + per_page])
        subcategories = (
            q.readable_categories(request.user).filter(parent=cat) if cat.parent_id is None else []
        )
        context = {
            "category": cat,
            "subcategories": subcategories,
            "topics": topics,
            "page": page,
            "total_pages": total_pages,
            "pages": _pages(page, total_pages),
        }
        return {
            "html": render_to_string("forum/_topic_list.html", context, request),
            "rows": [(t.pk, t.last_post_at, t.post_count) for t in topics],
            "badges": _row_badges(topics),
        }

    # The list is the same for every reader of the same kind: kept per change of the category.
    version = f"{cat.version}.{cat.topic_count}.{cat.last_post_at and cat.last_post_at.timestamp()}"
    kind = q.reader_kind(request.user)
    key = kept_key(f"forum:topics:{cat.pk}:{page}:{per_page}:{kind}", version)
    shared = kept(key, build, timeout=KEPT_TIMEOUT)
    user = request.user
    context = {
        "category": cat,
        "may_post": q.may_post_in(user, cat),
        "watch": getattr(cat, "reader_watch", None),
    }
    rows, badges = shared["rows"], shared["badges"]
    if getattr(request, "shared_page", False):
        # Kept for every member of this kind; each one's badges and watch level filled in.
        context["topics_html"] = mark_safe(shared["html"])  # noqa: S308  # nosec B308 B703
        context.update(shared=True, csrf_token=csrf_mark())
        response = render(request, "forum/category.html", context)
        watch_action = reverse("forum:watch_category", args=[cat.slug])
        return shared_with_readers(
            response, "forum.views.category_reader_parts", cat.pk, watch_action, rows, badges
        )
    topics_html = shared["html"]
    if user.is_authenticated:
        reads = q.read_states(user, [pk for pk, _last, _count in rows])
        unread = _unread_flags(rows, getattr(cat, "reader_marked", None), reads)
        topics_html = fill_marks(topics_html, _badges(unread, badges))
    context["topics_html"] = mark_safe(topics_html)  # noqa: S308  # our own  # nosec B308 B703
    return render(request, "forum/category.html", context)


def category_reader_parts(
    request: HttpRequest, pk: int, watch_action: str, rows: list[tuple], badges: dict
) -> dict:
    """A member's own parts of a shared category page: unread badges and watch level."""
    topic_ids = [topic_id for topic_id, _last, _count in rows]
    marked, watch, reads = q.category_reader_state(request.user, pk, topic_ids)
    parts: dict = _badges(_unread_flags(rows, marked, reads), badges)
    parts["watch"] = reader_form("forum/_watch.html", action=watch_action, watch=watch)
    return parts


# --- A topic --------------------------------------------------------------------------------


def _posts_html(
    request: HttpRequest, top: Topic, page: int, context: dict
) -> tuple[str, dict | None]:
    """The page's posts and pagination, and for a page shared by members what was kept of its
    posts: their pks and authors (None when the page is this reader's own).

    Kept for every reader who sees them alike: anonymous readers, and members who may or may
    not post here and have nothing of their own on the page (a member's likes and CSRF token are
    marks, filled for each: topic_reader_parts). Rendered fresh for moderators, the topic's
    author (answer marks) and a member with a post on the page (edit and delete links)."""
    user = request.user
    per_page = context["per_page"]
    first, last = (page - 1) * per_page + 1, page * per_page

    def posts() -> list[Post]:
        return list(q.topic_page_posts(top, page=page, per_page=per_page))

    def render_posts(items: list[Post], **reader) -> str:
        values = {**context, "posts": items, "board_tags": q.board_tags(top, items), **reader}
        return render_to_string("forum/_posts.html", values, request)

    fresh = context["moderator"] or context["may_mark_answer"]
    if not fresh:
        kind = "member" if user.is_authenticated else "anonymous"
        key = kept_key(
            f"forum:topic:{top.pk}:{page}:{per_page}:{kind}:{int(context['may_post'])}",
            f"{top.version}.{top.reply_count}",
        )

        def build() -> dict:
            items = posts()
            reader = {"liked": set(), "reader_id": None}
            if user.is_authenticated:
                reader.update(csrf_token=csrf_mark(), like_marks=True)
            return {
                "html": render_posts(items, **reader),
                "pks": [p.pk for p in items],
                "authors": {p.author_id for p in items},
            }

        shared = kept(key, build, timeout=KEPT_TIMEOUT)
        if not user.is_authenticated:
            return shared["html"], None
        if user.pk not in shared["authors"]:
            if getattr(request, "shared_page", False):
                return shared["html"], shared
            _mark_read(user, top.pk, top.reader_read, min(last, top.post_count))
            liked = q.reader_likes(top, user, first=first, last=last)
            html = fill_marks(shared["html"], _like_labels(shared["pks"], liked))
            return html.replace(csrf_mark(), get_token(request)), None
    _mark_read(user, top.pk, top.reader_read, min(last, top.post_count))
    liked = q.reader_likes(top, user, first=first, last=last)
    return render_posts(posts(), liked=liked, reader_id=user.pk), None


def _like_labels(pks: list[int], liked: set[int]) -> dict[str, str]:
    like, unlike = _("Like"), _("Unlike")
    return {f"like-{pk}": unlike if pk in liked else like for pk in pks}


def _mark_read(user, topic_pk: int, read: int | None, number: int) -> None:
    """Move the reader's mark to the page's last post, written only when it is behind."""
    if user.is_authenticated and (read or 0) < number:
        services.mark_topic_read(user=user, topic=Topic(pk=topic_pk), number=number)


@require_safe
def topic(request: HttpRequest, pk: int) -> HttpResponse:
    per_page = settings.FORUM_POSTS_PER_PAGE
    page = _page_number(request)
    reader_posts = ((page - 1) * per_page + 1, page * per_page)
    top = _visible_topic(request, pk, reader_posts=reader_posts)
    total_pages = max(1, math.ceil(top.post_count / per_page))
    if page > total_pages:
        raise Http404(_("No such page."))
    user = request.user
    moderator = q.is_moderator(user)
    if request.method == "GET":  # a HEAD read nothing
        services.record_view(top.pk)
    may_post = q.may_post_in(user, top.category) and (
        moderator or not (top.is_locked or top.is_hidden)
    )
    context = {
        "topic": top,
        "category": top.category,
        "page": page,
        "per_page": per_page,
        "total_pages": total_pages,
        "pages": _pages(page, total_pages),
        "may_post": may_post,
        "moderator": moderator,
        "may_mark_answer": services.may_mark_answer(user, top),
    }
    posts_html, shared = _posts_html(request, top, page, context)
    context.update(
        {
            "posts_html": mark_safe(posts_html),  # noqa: S308  # our own render  # nosec B308 B703
            "watch": getattr(top, "reader_watch", None),
            "form": PostForm() if may_post else None,
            "categories": list(Category.objects.all()) if moderator else [],
            "sign_in_next": top.get_absolute_url() + (f"?page={page}" if page > 1 else ""),
        }
    )
    if shared is not None:
        context.update(shared=True, csrf_token=csrf_mark())
    response = render(request, "forum/topic.html", context)
    if shared is not None:
        # Kept for every member of this kind but the topic's author and the authors on the page
        # (theirs has answer marks and edit links).
        shared_with_readers(
            response,
            "forum.views.topic_reader_parts",
            top.pk,
            reader_posts,
            top.post_count,
            shared["pks"],
            frozenset({top.author_id, *shared["authors"]}),
        )
    # Kept whole for signed-out readers, a view is still counted on each one.
    return on_every_read(response, "forum.services.record_view", top.pk)


def topic_reader_parts(
    request: HttpRequest,
    pk: int,
    numbers: tuple[int, int],
    post_count: int,
    pks: list[int],
    authors: frozenset[int],
) -> dict | None:
    """A member's own parts of a shared topic page (their likes, watch level), their read mark
    moved; None for an author on the page (theirs is rendered for them)."""
    user = request.user
    if user.pk in authors:
        return None
    first, last = numbers
    read, watch, liked = q.topic_reader_state(user, pk, first=first, last=last, post_ids=pks)
    _mark_read(user, pk, read, min(last, post_count))
    parts: dict = _like_labels(pks, liked)
    parts["watch"] = reader_form(
        "forum/_watch.html", action=reverse("forum:watch_topic", args=[pk]), watch=watch
    )
    return parts


@require_safe
def first_unread(request: HttpRequest, pk: int) -> HttpResponse:
    top = _visible_topic(request, pk)
    reads = q.read_states(request.user, [top.pk])
    number = min(reads.get(top.pk, 0) + 1, top.post_count)
    return redirect(_post_url(top, number))


def _post_url(top: Topic, number: int) -> str:
    page = (number - 1) // settings.FORUM_POSTS_PER_PAGE + 1
    url = top.get_absolute_url()
    return (f"{url}?page={page}" if page > 1 else url) + f"#p{number}"


@require_safe
def post(request: HttpRequest, pk: int) -> HttpResponse:
    found = _visible_post(request, pk)
    return redirect(_post_url(found.topic, found.number))


@require_safe
def revisions(request: HttpRequest, pk: int) -> HttpResponse:
    found = _visible_post(request, pk)
    return render(
        request,
        "forum/revisions.html",
        {"post": found, "topic": found.topic, "revisions": list(found.revisions.all())},
    )


# --- Writing --------------------------------------------------------------------------------


def _save_or_preview(
    request: HttpRequest, form, save: Callable[[dict], HttpResponse]
) -> tuple[HttpResponse | None, str | None]:
    """A valid POST either previews (the form comes back with the rendered text) or saves
    through `save`; a refusal from the service lands on the form. Returns (response, preview)."""
    if request.method != "POST" or not form.is_valid():
        return None, None
    if "preview" in request.POST:
        try:
            return None, render_post(form.cleaned_data["source"]).html
        except MarkupTooLong as exc:
            form.add_error("source", str(exc))
            return None, ""
    try:
        return save(form.cleaned_data), None
    except (ValidationError, PermissionDenied) as exc:
        _refusal(form, exc)
        return None, None


@login_required
@rate_limited("post", methods=("POST",))
def new_topic(request: HttpRequest, slug: str) -> HttpResponse:
    cat = _readable_category(request, slug)
    if not q.may_post_in(request.user, cat):
        raise PermissionDenied(_("You may not start topics in this category."))
    form = TopicForm(request.POST or None, request.FILES or None)
    done, preview = _save_or_preview(
        request,
        form,
        lambda data: redirect(
            services.create_topic(
                user=request.user,
                category=cat,
                title=data["title"],
                source=data["source"],
                images=data["images"],
                boards=data["boards"],
            )
        ),
    )
    return done or render(
        request, "forum/topic_form.html", {"form": form, "category": cat, "preview": preview}
    )


@login_required
@rate_limited("post", methods=("POST",))
def reply(request: HttpRequest, pk: int) -> HttpResponse:
    top = _visible_topic(request, pk)
    initial = {}
    quoted_id = request.GET.get("quote", "")
    if quoted_id.isdigit():
        quoted = _visible_post(request, int(quoted_id))
        if quoted.topic_id == top.pk:
            part = request.GET.get("part", "").strip()[:5000]
            initial["source"] = quote_source(
                username=quoted.author.get_username(),
                post_id=quoted.pk,
                source=part or quoted.source,
            )
    form = PostForm(request.POST or None, request.FILES or None, initial=initial)

    def save(data) -> HttpResponse:
        created = services.post_reply(
            user=request.user, topic=top, source=data["source"], images=data["images"]
        )
        return redirect(_post_url(top, created.number))

    done, preview = _save_or_preview(request, form, save)
    return done or render(
        request,
        "forum/reply_form.html",
        {"form": form, "topic": top, "category": top.category, "preview": preview},
    )


@login_required
@rate_limited("post", methods=("POST",))
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    found = _visible_post(request, pk)
    if not services.may_edit(request.user, found):
        raise PermissionDenied(_("You may only edit your own posts."))
    form = EditForm(request.POST or None, initial={"source": found.source})
    done, preview = _save_or_preview(
        request,
        form,
        lambda data: redirect(
            services.edit_post(user=request.user, post=found, source=data["source"])
        ),
    )
    return done or render(
        request,
        "forum/edit_post.html",
        {"form": form, "post": found, "topic": found.topic, "preview": preview},
    )


@login_required
@require_POST
def delete(request: HttpRequest, pk: int) -> HttpResponse:
    found = _visible_post(request, pk)
    try:
        left = services.delete_post(user=request.user, post=found)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        return redirect(found.topic)
    messages.success(request, _("Your post was deleted."))
    return redirect(left or found.topic.category)


@require_POST
@rate_limited("post")
def preview(request: HttpRequest) -> HttpResponse:
    """The live preview's fragment: the same pipeline as a saved post."""
    if not request.user.is_authenticated:
        return HttpResponse(status=403)
    try:
        html = render_post(request.POST.get("source", "")).html
    except MarkupTooLong as exc:
        return HttpResponse(str(exc), status=400, content_type="text/plain; charset=utf-8")
    return HttpResponse(html, content_type="text/html; charset=utf-8")


@login_required
@require_POST
def like(request: HttpRequest, pk: int) -> HttpResponse:
    found = _visible_post(request, pk)
    try:
        services.toggle_like(user=request.user, post=found)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(found)


@login_required
@require_POST
def answer(request: HttpRequest, pk: int) -> HttpResponse:
    found = _visible_post(request, pk)
    unmark = request.POST.get("unmark") == "1"
    try:
        services.mark_answer(user=request.user, post=None if unmark else found, topic=found.topic)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if not unmark:
            messages.success(request, _("Marked as the answer."))
    return redirect(found.topic)


@login_required
@require_POST
def mark_category_read(request: HttpRequest, slug: str) -> HttpResponse:
    cat = _readable_category(request, slug)
    services.mark_category_read(user=request.user, category=cat)
    messages.success(request, _("All topics in %(name)s are marked read.") % {"name": cat.name})
    return redirect(cat)


def _save_watch(request: HttpRequest, target: Topic | Category, saved: str) -> HttpResponse:
    level = request.POST.get("level", "")
    if level not in ("", *Subscription.Level.values):
        return HttpResponseBadRequest(_("Unknown watch level."))
    services.set_watch(user=request.user, target=target, level=level)
    messages.success(request, saved)
    return redirect(target)


@login_required
@require_POST
def watch_topic(request: HttpRequest, pk: int) -> HttpResponse:
    top = _visible_topic(request, pk)
    return _save_watch(request, top, _("Your choice for this topic was saved."))


@login_required
@require_POST
def watch_category(request: HttpRequest, slug: str) -> HttpResponse:
    cat = _readable_category(request, slug)
    return _save_watch(request, cat, _("Your choice for this category was saved."))


@login_required
def flag(request: HttpRequest, pk: int) -> HttpResponse:
    found = _visible_post(request, pk)
    form = FlagForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.flag_post(user=request.user, post=found, **form.cleaned_data)
        except ValidationError as exc:
            _refusal(form, exc)
        else:
            messages.success(request, _("Thank you: the moderators will look at it."))
            return redirect(found)
    return render(request, "forum/flag.html", {"form": form, "post": found, "topic": found.topic})


# --- Moderation -----------------------------------------------------------------------------


def _require_moderator(request: HttpRequest) -> None:
    if not q.is_moderator(request.user):
        raise PermissionDenied(_("Only moderators may do this."))


@login_required
@require_POST
@second_factor_required
def moderate_topic(request: HttpRequest, pk: int) -> HttpResponse:
    _require_moderator(request)
    top = _visible_topic(request, pk)
    form = TopicModerationForm(request.POST)
    if not form.is_valid():
        for error in form.errors.values():
            messages.error(request, " ".join(error))
        return redirect(top)
    data = form.cleaned_data
    action, reason = data["action"], data["reason"]
    result = top
    try:
        if action == "move":
            result = services.move_topic(
                moderator=request.user,
                topic=top,
                category=get_object_or_404(Category, pk=data["category"] or 0),
                reason=reason,
            )
        elif action == "split":
            cat = Category.objects.filter(pk=data["category"]).first() if data["category"] else None
            result = services.split_topic(
                moderator=request.user,
                topic=top,
                numbers=data["numbers"],
                title=data["title"],
                category=cat,
                reason=reason,
            )
        elif action == "merge":
            target = q.visible_topics(request.user).filter(pk=data["target"] or 0).first()
            if target is None:
                raise ValidationError(_("No topic with that number."))
            result = services.merge_topics(
                moderator=request.user, source=top, target=target, reason=reason
            )
        else:
            services.moderate_topic(moderator=request.user, topic=top, action=action, reason=reason)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(top)
    messages.success(request, _("Done and logged."))
    return redirect(result)


@login_required
@require_POST
@second_factor_required
def moderate_post(request: HttpRequest, pk: int) -> HttpResponse:
    _require_moderator(request)
    found = _visible_post(request, pk)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why: every moderator action is logged with a reason."))
        return redirect(found)
    services.set_post_hidden(
        moderator=request.user,
        post=found,
        hidden=request.POST.get("hidden") == "1",
        reason=form.cleaned_data["reason"],
    )
    messages.success(request, _("Done and logged."))
    return redirect(found)


@login_required
@second_factor_required
def moderation_queue(request: HttpRequest) -> HttpResponse:
    _require_moderator(request)
    if request.method == "POST":
        found = get_object_or_404(Post, pk=request.POST.get("post", "0"))
        form = ReasonForm(request.POST)
        if form.is_valid():
            services.resolve_flags(
                moderator=request.user,
                post=found,
                agree=request.POST.get("agree") == "1",
                reason=form.cleaned_data["reason"],
            )
            messages.success(request, _("Done and logged."))
        else:
            messages.error(request, _("Say why: every moderator action is logged with a reason."))
        return redirect("forum:moderation")
    flagged = (
        Post.objects.filter(flags__resolution="")
        .annotate(open_flags=Count("flags"))
        .select_related("topic", "author")
        .order_by("-open_flags", "-created_at")[:100]
    )
    reasons: dict[int, list[Flag]] = {}
    for item in (
        Flag.objects.filter(resolution="", post__in=[p.pk for p in flagged])
        .select_related("user")
        .order_by("created_at")
    ):
        reasons.setdefault(item.post_id, []).append(item)
    return render(
        request,
        "forum/moderation.html",
        {
            "flagged": [(p, reasons.get(p.pk, [])) for p in flagged],
            "log": ModerationLog.objects.select_related("moderator", "topic")[:50],
        },
    )
