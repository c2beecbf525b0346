"""Writes of the forum: each state change is one atomic function.

Refusals (limits for new accounts, locked topics, rights) raise ValidationError with a message
meant for the person; views put it on the form. Nothing is stored when a call raises.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.contenttypes.models import ContentType
from django.contrib.postgres.search import SearchVector
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.db.models import Count, F, Max, Q, Sum, Value
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from downloads.models import Board, Release
from forum.indexing import index_topics
from forum.markup import RenderedPost, count_links, render_post
from forum.models import (
    Access,
    Attachment,
    Category,
    CategoryRead,
    Flag,
    Like,
    ModerationLog,
    Post,
    PostRevision,
    Topic,
    TopicRead,
)
from forum.querysets import is_moderator, may_post_in
from portal import notifications, page_cache
from portal.caching import Generation
from portal.counters import Counter
from portal.images import PreparedImage
from portal.markup import MarkupTooLong, plain_text
from portal.models import Profile, Subscription

TITLE_MIN, TITLE_MAX = 5, 200
# Post numbers are moved past this while topics are renumbered (split, merge, delete).
PARKED = 1_000_000
POST_MIN = 2

# --- Text and images ------------------------------------------------------------------------


def clean_title(title: str) -> str:
    """Titles are plain text on one line: control characters go, spaces fold."""
    kept = (c if c.isprintable() else " " if c.isspace() else "" for c in title)
    title = " ".join("".join(kept).split())
    if len(title) < TITLE_MIN:
        raise ValidationError(
            _("The title needs at least %(n)d characters.") % {"n": TITLE_MIN}, code="title"
        )
    if len(title) > TITLE_MAX:
        raise ValidationError(
            _("The title may have at most %(n)d characters.") % {"n": TITLE_MAX}, code="title"
        )
    return title


def _render(source: str) -> RenderedPost:
    if len(source.strip()) < POST_MIN:
        raise ValidationError(_("The post is empty."), code="empty")
    try:
        return render_post(source)
    except MarkupTooLong as exc:
        raise ValidationError(str(exc), code="too_long") from exc


def _attach(*, post: Post, user: AbstractBaseUser, images: Sequence[PreparedImage]) -> list[str]:
    """Store the images under media; returns the file names (for clean-up on failure)."""
    names: list[str] = []
    try:
        for prepared in images:
            attachment = Attachment(
                post=post,
                uploader=user,
                size=len(prepared.content),
                original_name=prepared.original_name,
                width=prepared.width,
                height=prepared.height,
            )
            file_name = f"{uuid.uuid4().hex}.{prepared.extension}"
            attachment.image.save(file_name, ContentFile(prepared.content), save=False)
            names.append(attachment.image.name)
            attachment.save()
    except Exception:
        _remove_files(names)
        raise
    return names


def _remove_files(names: Iterable[str]) -> None:
    from django.core.files.storage import default_storage

    for name in names:
        default_storage.delete(name)


# --- Limits for new accounts ----------------------------------------------------------------


def _trust_level(user: AbstractBaseUser) -> int:
    level = Profile.objects.filter(user=user).values_list("trust_level", flat=True).first()
    return level or 0


def check_limits(
    *,
    user: AbstractBaseUser,
    source: str,
    rendered: RenderedPost,
    images: Sequence[PreparedImage],
    starting_topic: bool,
) -> None:
    """Refuse (ValidationError) what a new account may not do yet; moderators pass."""
    if is_moderator(user) or user.is_staff:
        return
    now = timezone.now()
    mine = Post.objects.filter(author=user)
    duplicate_since = now - timedelta(seconds=settings.FORUM_DUPLICATE_WINDOW)
    recent = mine.filter(created_at__gte=duplicate_since).values_list("source", "created_at")
    for text, _when in recent:
        if text.strip() == source.strip():
            raise ValidationError(
                _(
                    "You posted the same text a moment ago. Edit that post instead, or "
                    "say something new."
                ),
                code="duplicate",
            )
    level = _trust_level(user)
    interval = settings.FORUM_POST_INTERVAL
    if level == Profile.TrustLevel.NEW:
        interval = max(interval, settings.FORUM_NEW_USER_POST_INTERVAL)
    last = mine.aggregate(last=Max("created_at"))["last"]
    if last is not None and (now - last).total_seconds() < interval:
        wait = int(interval - (now - last).total_seconds()) + 1
        raise ValidationError(
            ngettext(
                "You are posting quickly. Please wait %(n)d second before posting again.",
                "You are posting quickly. Please wait %(n)d seconds before posting again.",
                wait,
            )
            % {"n": wait},
            code="too_fast",
        )
    if level > Profile.TrustLevel.NEW:
        return
    if now - user.date_joined < timedelta(days=1):
        if starting_topic:
            made = Topic.objects.filter(author=user).count()
            cap, what = settings.FORUM_FIRST_DAY_MAX_TOPICS, _("topics")
        else:
            made = mine.filter(number__gt=1).count()
            cap, what = settings.FORUM_FIRST_DAY_MAX_REPLIES, _("replies")
        if made >= cap:
            raise ValidationError(
                _(
                    "New accounts may post %(cap)d %(what)s on their first day. "
                    "Please come back tomorrow."
                )
                % {"cap": cap, "what": what},
                code="first_day",
            )
    links = count_links(rendered.html)
    if links > settings.FORUM_NEW_USER_MAX_LINKS:
        raise ValidationError(
            _("New accounts may put at most %(cap)d links or images in a post; this one has %(n)d.")
            % {"cap": settings.FORUM_NEW_USER_MAX_LINKS, "n": links},
            code="links",
        )
    if len(images) > settings.FORUM_NEW_USER_MAX_ATTACHMENTS:
        raise ValidationError(
            _("New accounts cannot attach images yet; take part a little first.")
            if settings.FORUM_NEW_USER_MAX_ATTACHMENTS == 0
            else _("New accounts may attach at most %(cap)d images.")
            % {"cap": settings.FORUM_NEW_USER_MAX_ATTACHMENTS},
            code="attachments",
        )


def _maybe_promote(user: AbstractBaseUser) -> None:
    """A new account becomes "basic" after some days and posts: limits lift."""
    profile = Profile.objects.filter(user=user).first()
    if profile is None or profile.trust_level != Profile.TrustLevel.NEW:
        return
    if timezone.now() - user.date_joined < timedelta(days=settings.FORUM_TL1_MIN_DAYS):
        return
    if Post.objects.filter(author=user, is_hidden=False).count() >= settings.FORUM_TL1_MIN_POSTS:
        profile.trust_level = Profile.TrustLevel.BASIC
        profile.save(update_fields=["trust_level", "updated_at"])


# --- Notifications --------------------------------------------------------------------------


def readers_among(category: Category, user_ids: Iterable[int]) -> set[int]:
    """Those of `user_ids` who may read `category` (notifications never leak a private topic)."""
    ids = set(user_ids)
    if not ids:
        return set()
    users = get_user_model().objects.filter(pk__in=ids, is_active=True)
    for cat in (category, category.parent):
        if cat is not None and cat.read_access == Access.GROUP:
            users = users.filter(Q(is_superuser=True) | Q(groups=cat.read_group_id))
    return set(users.values_list("pk", flat=True).distinct())


def _notify_post(*, post: Post, rendered: RenderedPost, actor: AbstractBaseUser) -> None:
    topic = post.topic
    category = topic.category
    url = post.get_absolute_url()
    excerpt = rendered.text
    mentioned = readers_among(
        category,
        get_user_model()
        .objects.filter(username__in=rendered.mentions)
        .values_list("pk", flat=True),
    )
    quoted = readers_among(
        category,
        Post.objects.filter(pk__in=rendered.quoted_post_ids, topic__category=category)
        .values_list("author_id", flat=True)
        .distinct(),
    )
    direct = mentioned | quoted
    for verb, people in (("mentioned", mentioned), ("quoted", quoted - mentioned)):
        notifications.notify(
            recipients=people, actor=actor, verb=verb, target=topic, url=url, excerpt=excerpt
        )
    if post.number == 1:
        watching = readers_among(category, notifications.watchers(targets=[category]))
        notifications.notify(
            recipients=watching - direct,
            actor=actor,
            verb="posted",
            target=topic,
            url=url,
            excerpt=excerpt,
            via=category,
        )
        return
    topic_watchers = readers_among(category, notifications.watchers(targets=[topic]))
    notifications.notify(
        recipients=topic_watchers - direct,
        actor=actor,
        verb="replied",
        target=topic,
        url=url,
        excerpt=excerpt,
        via=topic,
    )
    muted_topic = notifications.user_ids_with_level(target=topic, level=Subscription.Level.MUTED)
    category_watchers = readers_among(category, notifications.watchers(targets=[category]))
    notifications.notify(
        recipients=category_watchers - topic_watchers - muted_topic - direct,
        actor=actor,
        verb="replied",
        target=topic,
        url=url,
        excerpt=excerpt,
        via=category,
    )


def index_post(post: Post, *, title: str, text: str) -> None:
    if connection.vendor != "postgresql":
        return
    vector = SearchVector(Value(text), weight="B", config="english")
    if post.number == 1:
        vector = SearchVector(Value(title), weight="A", config="english") + vector
    Post.objects.filter(pk=post.pk).update(search_vector=vector)


# The forum as a whole (the home page's latest topics): bumped by every change of a topic.
FORUM = Generation("forum")


@transaction.atomic
def save_category(*, category: Category) -> Category:
    """Save a category set up in the admin; its lists and the home page's block follow at once
    (who may read it may have changed)."""
    category.save()
    Category.objects.filter(pk=category.pk).update(version=F("version") + 1)
    FORUM.bump_on_commit()
    return category


def _touch(
    *topic_ids: int | None,
    categories: Iterable[int] = (),
    words: bool = True,
    withdrawn: bool = False,
) -> None:
    """Bump the versions that key the cached fragments of these topics and their categories,
    and rebuild the topics' search documents unless their words stayed (`words=False`).
    `withdrawn`: a post or topic left some readers' view (hidden, moved): no page kept before is
    served again, even while rendered anew (no signal tells of these .update()s)."""
    FORUM.bump_on_commit()
    if withdrawn:
        page_cache.withdraw()
    ids = [i for i in topic_ids if i]
    if ids:
        Topic.objects.filter(pk__in=ids).update(version=F("version") + 1)
        if words:
            index_topics(ids)
    category_ids = set(categories) | set(
        Topic.objects.filter(pk__in=ids).values_list("category_id", flat=True)
    )
    if category_ids:
        Category.objects.filter(pk__in=category_ids).update(version=F("version") + 1)


# --- Posting --------------------------------------------------------------------------------


def _finish_post(*, post: Post, rendered: RenderedPost, images: Sequence[PreparedImage]) -> None:
    """What every new post brings: its images, its search entry, the author's watch and reading
    position, the notifications, and fresh cached fragments. Stored files go if anything fails."""
    topic, user = post.topic, post.author
    files = _attach(post=post, user=user, images=images)
    try:
        index_post(post, title=topic.title, text=rendered.text)
        notifications.subscribe_if_unset(user=user, target=topic)
        TopicRead.objects.update_or_create(
            user=user,
            topic=topic,
            defaults={"last_read_number": post.number, "updated_at": post.created_at},
        )
        _notify_post(post=post, rendered=rendered, actor=user)
        _maybe_promote(user)
        _touch(topic.pk)
    except Exception:
        _remove_files(files)
        raise


def _require_post_right(user: AbstractBaseUser, category: Category) -> None:
    if not may_post_in(user, category):
        raise PermissionDenied(_("You may not post in this category."))


@transaction.atomic
def create_topic(
    *,
    user: AbstractBaseUser,
    category: Category,
    title: str,
    source: str,
    images: Sequence[PreparedImage] = (),
    boards: Iterable[Board] = (),
) -> Topic:
    _require_post_right(user, category)
    title = clean_title(title)
    rendered = _render(source)
    check_limits(user=user, source=source, rendered=rendered, images=images, starting_topic=True)
    return _open_topic(
        user=user,
        category=category,
        title=title,
        source=source,
        rendered=rendered,
        images=images,
        boards=boards,
    )


def _open_topic(
    *,
    user: AbstractBaseUser,
    category: Category,
    title: str,
    source: str,
    rendered: RenderedPost,
    images: Sequence[PreparedImage] = (),
    boards: Iterable[Board] = (),
    release: Release | None = None,
) -> Topic:
    now = timezone.now()
    topic = Topic.objects.create(
        category=category,
        title=title,
        author=user,
        created_at=now,
        last_post_at=now,
        last_poster=user,
        release=release,
    )
    if boards := list(boards):
        topic.boards.set(boards)
    post = Post.objects.create(
        topic=topic, number=1, author=user, source=source, html=rendered.html, created_at=now
    )
    Category.objects.filter(pk=category.pk).update(
        topic_count=F("topic_count") + 1, post_count=F("post_count") + 1, last_post_at=now
    )
    _finish_post(post=post, rendered=rendered, images=images)
    return topic


@transaction.atomic
def post_reply(
    *,
    user: AbstractBaseUser,
    topic: Topic,
    source: str,
    images: Sequence[PreparedImage] = (),
) -> Post:
    topic = Topic.objects.select_for_update().select_related("category").get(pk=topic.pk)
    _require_post_right(user, topic.category)
    if (topic.is_locked or topic.is_hidden) and not is_moderator(user):
        raise ValidationError(_("This topic is closed to new replies."), code="locked")
    rendered = _render(source)
    check_limits(user=user, source=source, rendered=rendered, images=images, starting_topic=False)
    now = timezone.now()
    post = Post.objects.create(
        topic=topic,
        number=topic.post_count + 1,
        author=user,
        source=source,
        html=rendered.html,
        created_at=now,
    )
    Topic.objects.filter(pk=topic.pk).update(
        reply_count=F("reply_count") + 1, last_post_at=now, last_poster=user
    )
    Category.objects.filter(pk=topic.category_id).update(
        post_count=F("post_count") + 1, last_post_at=now
    )
    post.topic = topic
    _finish_post(post=post, rendered=rendered, images=images)
    return post


def may_edit(user: AbstractBaseUser, post: Post) -> bool:
    return user.is_authenticated and (post.author_id == user.pk or is_moderator(user))


def may_delete(user: AbstractBaseUser, post: Post) -> bool:
    if not user.is_authenticated or post.author_id != user.pk:
        return False
    grace = timedelta(minutes=settings.FORUM_DELETE_GRACE_MINUTES)
    return timezone.now() - post.created_at <= grace


@transaction.atomic
def edit_post(*, user: AbstractBaseUser, post: Post, source: str) -> Post:
    """Keep the old text as a revision, store the new one rendered."""
    post = Post.objects.select_for_update().select_related("topic").get(pk=post.pk)
    if not may_edit(user, post):
        raise PermissionDenied(_("You may only edit your own posts."))
    if post.source == source:
        return post
    rendered = _render(source)
    if not is_moderator(user) and _trust_level(user) == Profile.TrustLevel.NEW:
        links = count_links(rendered.html)
        if links > settings.FORUM_NEW_USER_MAX_LINKS:
            raise ValidationError(
                _("New accounts may put at most %(cap)d links or images in a post.")
                % {"cap": settings.FORUM_NEW_USER_MAX_LINKS},
                code="links",
            )
    PostRevision.objects.create(
        post=post, number=post.edit_count + 1, source=post.source, html=post.html, editor=user
    )
    post.source = source
    post.html = rendered.html
    post.edited_at = timezone.now()
    post.edit_count = F("edit_count") + 1
    post.save(update_fields=["source", "html", "edited_at", "edit_count"])
    post.refresh_from_db(fields=["edit_count"])
    index_post(post, title=post.topic.title, text=rendered.text)
    _touch(post.topic_id)
    return post


def renumber_topic(topic_id: int) -> None:
    """Number a topic's posts 1..n by time, then store its counters from them."""
    posts = list(Post.objects.filter(topic_id=topic_id).order_by("created_at", "id"))
    changed = []
    for number, post in enumerate(posts, start=1):
        if post.number != number:
            post.number = number
            changed.append(post)
    # Two steps keep (topic, number) unique at every row: first out of the way, then in place.
    Post.objects.filter(pk__in=[p.pk for p in changed], number__lt=PARKED).update(
        number=F("number") + PARKED
    )
    Post.objects.bulk_update(changed, ["number"], batch_size=500)
    if posts:
        Topic.objects.filter(pk=topic_id).update(
            reply_count=len(posts) - 1,
            last_post_at=posts[-1].created_at,
            last_poster_id=posts[-1].author_id,
        )
        TopicRead.objects.filter(topic_id=topic_id, last_read_number__gt=len(posts)).update(
            last_read_number=len(posts)
        )


def recount_categories(ids: Iterable[int]) -> None:
    for category_id in set(ids):
        totals = Topic.objects.filter(category_id=category_id).aggregate(
            topics=Count("id"), replies=Sum("reply_count"), last=Max("last_post_at")
        )
        Category.objects.filter(pk=category_id).update(
            topic_count=totals["topics"],
            post_count=(totals["replies"] or 0) + totals["topics"],
            last_post_at=totals["last"],
        )


@transaction.atomic
def delete_post(*, user: AbstractBaseUser, post: Post) -> Topic | None:
    """The author takes a post back within the grace period; the whole topic when it is the
    first post. Returns the topic left, or None when the topic went."""
    post = Post.objects.select_for_update().select_related("topic").get(pk=post.pk)
    if not may_delete(user, post):
        raise PermissionDenied(
            _("Posts can be deleted by their author within %(n)d minutes.")
            % {"n": settings.FORUM_DELETE_GRACE_MINUTES}
        )
    topic = post.topic
    if post.number == 1:
        if topic.reply_count and not is_moderator(user):
            raise ValidationError(
                _("This topic has replies: edit the first post instead of deleting it."),
                code="has_replies",
            )
        Subscription.objects.filter(
            content_type=ContentType.objects.get_for_model(Topic), object_id=topic.pk
        ).delete()
        topic.delete()
        recount_categories([topic.category_id])
        _touch(categories=[topic.category_id])
        return None
    if topic.answer_id == post.pk:
        Topic.objects.filter(pk=topic.pk).update(answer=None)
    post.delete()
    renumber_topic(topic.pk)
    recount_categories([topic.category_id])
    _touch(topic.pk)
    topic.refresh_from_db()
    return topic


@transaction.atomic
def toggle_like(*, user: AbstractBaseUser, post: Post) -> bool:
    """Like a post, or take the like back; returns whether the user now likes it."""
    if post.author_id == user.pk:
        raise ValidationError(_("You cannot like your own post."), code="own")
    like, created = Like.objects.get_or_create(user=user, post=post)
    if not created:
        like.delete()
        Post.objects.filter(pk=post.pk).update(like_count=F("like_count") - 1)
        _touch(post.topic_id, words=False)
        return False
    Post.objects.filter(pk=post.pk).update(like_count=F("like_count") + 1)
    _touch(post.topic_id, words=False)
    topic = post.topic
    notifications.notify(
        recipients=readers_among(topic.category, [post.author_id]),
        actor=user,
        verb="liked",
        target=topic,
        url=post.get_absolute_url(),
    )
    return True


def may_mark_answer(user: AbstractBaseUser, topic: Topic) -> bool:
    return user.is_authenticated and (topic.author_id == user.pk or is_moderator(user))


@transaction.atomic
def mark_answer(*, user: AbstractBaseUser, post: Post | None, topic: Topic) -> Topic:
    """Mark `post` as the topic's answer (None takes the mark away)."""
    topic = Topic.objects.select_for_update().select_related("category").get(pk=topic.pk)
    if not may_mark_answer(user, topic):
        raise PermissionDenied(_("Only the topic's author or a moderator marks the answer."))
    if post is not None and (post.topic_id != topic.pk or post.number == 1 or post.is_hidden):
        raise ValidationError(_("Only a visible reply in this topic can be the answer."))
    topic.answer = post
    topic.save(update_fields=["answer"])
    _touch(topic.pk, words=False)
    if post is not None:
        notifications.notify(
            recipients=readers_among(topic.category, [post.author_id]),
            actor=user,
            verb="answered",
            target=topic,
            url=post.get_absolute_url(),
        )
    return topic


# --- Reading state --------------------------------------------------------------------------


def mark_topic_read(*, user: AbstractBaseUser, topic: Topic, number: int) -> None:
    """Advance the reading position; never moves it back. One statement, no read first."""
    if not user.is_authenticated:
        return
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # The table name comes from the model; every value is a parameter.
            cursor.execute(
                f"INSERT INTO {TopicRead._meta.db_table} "  # noqa: S608  # nosec B608
                "(user_id, topic_id, last_read_number, updated_at) VALUES (%s, %s, %s, now()) "
                "ON CONFLICT (user_id, topic_id) DO UPDATE SET "
                "last_read_number = EXCLUDED.last_read_number, updated_at = now() "
                f"WHERE {TopicRead._meta.db_table}.last_read_number < EXCLUDED.last_read_number",
                [user.pk, topic.pk, number],
            )
        page_cache.reader_changed(user.pk)  # no signal for raw SQL
        return
    with transaction.atomic():
        read, _created = TopicRead.objects.get_or_create(user=user, topic=topic)
        if read.last_read_number < number:
            read.last_read_number = number
            read.save(update_fields=["last_read_number", "updated_at"])


@transaction.atomic
def mark_category_read(*, user: AbstractBaseUser, category: Category) -> None:
    CategoryRead.objects.update_or_create(
        user=user, category=category, defaults={"marked_at": timezone.now()}
    )


# --- Watching -------------------------------------------------------------------------------


@transaction.atomic
def set_watch(*, user: AbstractBaseUser, target: Topic | Category, level: str) -> None:
    """ "watching", "muted" or "" (neither) for a topic or a category."""
    if level:
        notifications.subscribe(user=user, target=target, level=level)
    else:
        notifications.unsubscribe(user=user, target=target)


# --- Views ----------------------------------------------------------------------------------


# Topic views, kept by the site's one counter mechanism (portal/counters.py).
view_counter = Counter("forum-views", model=Topic, field="view_count")


def record_view(topic_id: int) -> None:
    """Count a view: in Redis when configured (flushed by flush_view_counts), else in the row."""
    view_counter.count(topic_id)


def flush_view_counts() -> int:
    """Move the counted views into the topics; returns how many views were added."""
    return view_counter.flush()


# --- Flags ----------------------------------------------------------------------------------


@transaction.atomic
def flag_post(*, user: AbstractBaseUser, post: Post, reason: str, note: str = "") -> Flag:
    if reason not in Flag.Reason.values:
        raise ValidationError(_("Choose why you flag this post."), code="reason")
    if post.author_id == user.pk:
        raise ValidationError(_("You cannot flag your own post."), code="own")
    if Flag.objects.filter(user=user, post=post).exists():
        raise ValidationError(_("You have already flagged this post."), code="twice")
    flag = Flag.objects.create(user=user, post=post, reason=reason, note=note.strip()[:500])
    open_flags = Flag.objects.filter(post=post, resolution="").values("user").distinct().count()
    if open_flags >= settings.FORUM_FLAGS_TO_HIDE and not post.is_hidden:
        Post.objects.filter(pk=post.pk).update(is_hidden=True, hidden_by_flags=True)
        _touch(post.topic_id, withdrawn=True)
        ModerationLog.objects.create(
            moderator=None,
            action=ModerationLog.Action.AUTO_HIDE,
            topic_id=post.topic_id,
            post=post,
            reason=_("%(n)d people flagged it") % {"n": open_flags},
        )
    return flag


@transaction.atomic
def resolve_flags(*, moderator: AbstractBaseUser, post: Post, agree: bool, reason: str) -> None:
    """A moderator decides: agree (the post stays hidden) or disagree (it comes back)."""
    _require_moderator(moderator, reason)
    Flag.objects.filter(post=post, resolution="").update(
        resolution=Flag.Resolution.AGREED if agree else Flag.Resolution.DISAGREED,
        resolved_by=moderator,
        resolved_at=timezone.now(),
    )
    Post.objects.filter(pk=post.pk).update(is_hidden=agree, hidden_by_flags=False)
    _touch(post.topic_id, withdrawn=agree)
    ModerationLog.objects.create(
        moderator=moderator,
        action=ModerationLog.Action.FLAGS_AGREED if agree else ModerationLog.Action.FLAGS_DISAGREED,
        topic_id=post.topic_id,
        post=post,
        reason=reason.strip(),
    )


# --- Moderation -----------------------------------------------------------------------------


def _require_moderator(user: AbstractBaseUser, reason: str) -> None:
    if not is_moderator(user):
        raise PermissionDenied(_("Only moderators may do this."))
    if not reason.strip():
        raise ValidationError(_("Say why: every moderator action is logged with a reason."))


def _log(
    *,
    moderator: AbstractBaseUser,
    action: str,
    reason: str,
    topic: Topic | None = None,
    post: Post | None = None,
    detail: str = "",
) -> ModerationLog:
    return ModerationLog.objects.create(
        moderator=moderator,
        action=action,
        topic=topic,
        post=post,
        reason=reason.strip()[:500],
        detail=detail[:500],
    )


_TOPIC_FLAGS = {
    "pin": ("is_pinned", True),
    "unpin": ("is_pinned", False),
    "lock": ("is_locked", True),
    "unlock": ("is_locked", False),
    "hide_topic": ("is_hidden", True),
    "unhide_topic": ("is_hidden", False),
}


@transaction.atomic
def moderate_topic(*, moderator: AbstractBaseUser, topic: Topic, action: str, reason: str) -> Topic:
    """Pin, unpin, lock, unlock, hide or unhide a topic."""
    _require_moderator(moderator, reason)
    if action not in _TOPIC_FLAGS:
        raise ValidationError(_("Unknown moderation action."))
    field, value = _TOPIC_FLAGS[action]
    Topic.objects.filter(pk=topic.pk).update(**{field: value})
    _touch(topic.pk, withdrawn=action == "hide_topic")
    setattr(topic, field, value)
    _log(moderator=moderator, action=action, reason=reason, topic=topic)
    return topic


@transaction.atomic
def set_post_hidden(*, moderator: AbstractBaseUser, post: Post, hidden: bool, reason: str) -> Post:
    _require_moderator(moderator, reason)
    Post.objects.filter(pk=post.pk).update(is_hidden=hidden, hidden_by_flags=False)
    post.is_hidden = hidden
    if hidden and post.topic.answer_id == post.pk:
        Topic.objects.filter(pk=post.topic_id).update(answer=None)
    _touch(post.topic_id, withdrawn=hidden)
    _log(
        moderator=moderator,
        action=ModerationLog.Action.HIDE_POST if hidden else ModerationLog.Action.UNHIDE_POST,
        reason=reason,
        topic=post.topic,
        post=post,
    )
    return post


@transaction.atomic
def move_topic(
    *, moderator: AbstractBaseUser, topic: Topic, category: Category, reason: str
) -> Topic:
    _require_moderator(moderator, reason)
    old = topic.category
    if old.pk == category.pk:
        raise ValidationError(_("The topic is already in that category."))
    Topic.objects.filter(pk=topic.pk).update(category=category)
    topic.category = category
    recount_categories([old.pk, category.pk])
    _touch(topic.pk, categories=[old.pk], withdrawn=True)
    _log(
        moderator=moderator,
        action=ModerationLog.Action.MOVE,
        reason=reason,
        topic=topic,
        detail=f"{old.slug} → {category.slug}",
    )
    return topic


@transaction.atomic
def split_topic(
    *,
    moderator: AbstractBaseUser,
    topic: Topic,
    numbers: Iterable[int],
    title: str,
    category: Category | None = None,
    reason: str,
) -> Topic:
    """Move the replies numbered `numbers` into a new topic titled `title`."""
    _require_moderator(moderator, reason)
    title = clean_title(title)
    topic = Topic.objects.select_for_update().get(pk=topic.pk)
    wanted = sorted(set(numbers))
    if not wanted or 1 in wanted:
        raise ValidationError(_("Choose replies to split off (the first post stays)."))
    posts = list(Post.objects.filter(topic=topic, number__in=wanted).order_by("created_at", "id"))
    if len(posts) != len(wanted):
        raise ValidationError(_("Some of those post numbers are not in this topic."))
    category = category or topic.category
    first = posts[0]
    new = Topic.objects.create(
        category=category,
        title=title,
        author=first.author,
        created_at=first.created_at,
        last_post_at=posts[-1].created_at,
        last_poster=posts[-1].author,
    )
    # Temporary numbers beyond both ranges, then a clean renumbering of each topic.
    for offset, post in enumerate(posts, start=1):
        post.topic = new
        post.number = PARKED + offset
    Post.objects.bulk_update(posts, ["topic", "number"])
    if topic.answer_id in {p.pk for p in posts}:
        Topic.objects.filter(pk=topic.pk).update(answer=None)
    renumber_topic(topic.pk)
    renumber_topic(new.pk)
    index_post(Post.objects.get(topic=new, number=1), title=title, text=plain_text(first.html))
    recount_categories([topic.category_id, category.pk])
    _touch(topic.pk, new.pk)
    _log(
        moderator=moderator,
        action=ModerationLog.Action.SPLIT,
        reason=reason,
        topic=topic,
        detail=f"posts {','.join(map(str, wanted))} → topic {new.pk}",
    )
    return new


@transaction.atomic
def merge_topics(
    *, moderator: AbstractBaseUser, source: Topic, target: Topic, reason: str
) -> Topic:
    """Move every post of `source` into `target` (by time) and remove `source`."""
    _require_moderator(moderator, reason)
    if source.pk == target.pk:
        raise ValidationError(_("A topic cannot be merged into itself."))
    source = Topic.objects.select_for_update().get(pk=source.pk)
    target = Topic.objects.select_for_update().get(pk=target.pk)
    Post.objects.filter(topic=source).update(topic=target, number=F("number") + PARKED)
    renumber_topic(target.pk)
    topic_type = ContentType.objects.get_for_model(Topic)
    watching = Subscription.objects.filter(content_type=topic_type, object_id=source.pk)
    already = set(
        Subscription.objects.filter(content_type=topic_type, object_id=target.pk).values_list(
            "user_id", flat=True
        )
    )
    for subscription in watching.exclude(user_id__in=already):
        subscription.object_id = target.pk
        subscription.save(update_fields=["object_id"])
    watching.delete()
    _log(
        moderator=moderator,
        action=ModerationLog.Action.MERGE,
        reason=reason,
        topic=target,
        detail=f"topic {source.pk} “{source.title}” merged in",
    )
    source_category = source.category_id
    source.delete()
    recount_categories([source_category, target.category_id])
    _touch(target.pk, categories=[source_category])
    target.refresh_from_db()
    return target
