"""The forum's data: categories, topics, posts and what people do with them.

Counters a list page shows (replies, last activity, last poster, topics and posts per category)
are stored on the rows and kept by forum.services, so that lists read one indexed table.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Access(models.TextChoices):
    EVERYONE = "everyone", _("everyone")
    MEMBERS = "members", _("signed-in users")
    GROUP = "group", _("members of a group")


class Category(models.Model):
    # Saved with one of these, it may leave readers' view (see withdraw in portal/page_cache.py).
    withdrawing_fields = frozenset({"read_access", "read_group", "parent"})

    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("parent"),
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    read_access = models.CharField(
        _("who may read"), max_length=10, choices=Access.choices, default=Access.EVERYONE
    )
    read_group = models.ForeignKey(
        Group, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    post_access = models.CharField(
        _("who may start topics and reply"),
        max_length=10,
        choices=Access.choices,
        default=Access.MEMBERS,
    )
    post_group = models.ForeignKey(
        Group, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    topic_count = models.PositiveIntegerField(default=0)
    post_count = models.PositiveIntegerField(default=0)
    last_post_at = models.DateTimeField(null=True, blank=True)
    # Bumped by every service that changes what the category's list shows: the key of the
    # list's cached fragment.
    version = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        constraints = [
            models.CheckConstraint(
                condition=~Q(read_access="group") | Q(read_group__isnull=False),
                name="category_read_group_given",
            ),
            models.CheckConstraint(
                condition=~Q(post_access="group") | Q(post_group__isnull=False),
                name="category_post_group_given",
            ),
            models.CheckConstraint(
                condition=~Q(post_access="everyone"), name="category_posting_needs_an_account"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("forum:category", args=[self.slug])

    def clean(self) -> None:
        # Subcategories go one level deep: a parent must itself be a top-level category.
        if self.parent_id is not None:
            if self.parent_id == self.pk:
                raise ValidationError({"parent": _("A category cannot be its own parent.")})
            if self.parent.parent_id is not None:
                raise ValidationError(
                    {"parent": _("Subcategories go one level deep: choose a top-level parent.")}
                )
            if self.pk and self.children.exists():
                raise ValidationError(
                    {"parent": _("This category has subcategories, so it stays at the top.")}
                )


class Topic(models.Model):
    # Saved with one of these, it may leave readers' view (see withdraw in portal/page_cache.py).
    withdrawing_fields = frozenset({"is_hidden", "category"})

    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="topics")
    title = models.CharField(_("title"), max_length=200)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="forum_topics"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # Kept by the services: what a list shows without touching posts.
    reply_count = models.PositiveIntegerField(default=0)
    view_count = models.PositiveIntegerField(default=0)
    last_post_at = models.DateTimeField(default=timezone.now)
    last_poster = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    is_pinned = models.BooleanField(_("pinned"), default=False)
    is_locked = models.BooleanField(_("locked"), default=False)
    is_hidden = models.BooleanField(_("hidden"), default=False)
    answer = models.ForeignKey(
        "Post", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Bumped by every service that changes what the topic's pages show (cached fragments' key).
    version = models.PositiveIntegerField(default=0, editable=False)
    # Boards the topic is about: the board pages list their recent topics.
    boards = models.ManyToManyField(
        "downloads.Board", blank=True, related_name="forum_topics", verbose_name=_("boards")
    )
    # The release this topic discusses, when publishing opened it (its page links the topic).
    release = models.ForeignKey(
        "downloads.Release",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="forum_topics",
        verbose_name=_("release"),
    )
    # The site search's document of the topic (forum.indexing keeps it; GIN index in 0003).
    search_document = SearchVectorField(null=True, editable=False)

    class Meta:
        verbose_name = _("topic")
        verbose_name_plural = _("topics")
        indexes = [
            models.Index(
                fields=["category", "-is_pinned", "-last_post_at"], name="topic_category_list"
            ),
            models.Index(fields=["-last_post_at"], name="topic_latest"),
            models.Index(fields=["author", "-created_at"], name="topic_by_author"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("forum:topic", args=[self.pk])

    @property
    def post_count(self) -> int:
        """Posts are numbered 1..post_count without gaps (services renumber on removal)."""
        return self.reply_count + 1

    @property
    def is_solved(self) -> bool:
        return self.answer_id is not None


class Post(models.Model):
    # Saved with one of these, it may leave readers' view (see withdraw in portal/page_cache.py).
    withdrawing_fields = frozenset({"is_hidden", "topic"})

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="posts")
    number = models.PositiveIntegerField(_("number in topic"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="forum_posts"
    )
    source = models.TextField(_("text (Markdown)"))
    html = models.TextField(editable=False, default="")
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)
    edit_count = models.PositiveIntegerField(default=0)
    like_count = models.PositiveIntegerField(default=0)
    is_hidden = models.BooleanField(_("hidden"), default=False)
    hidden_by_flags = models.BooleanField(default=False)
    search_vector = SearchVectorField(null=True, editable=False)

    class Meta:
        verbose_name = _("post")
        verbose_name_plural = _("posts")
        constraints = [
            models.UniqueConstraint(fields=["topic", "number"], name="post_number_in_topic"),
            models.CheckConstraint(condition=Q(number__gte=1), name="post_number_from_1"),
        ]
        indexes = [
            models.Index(fields=["author", "-created_at"], name="post_by_author"),
            models.Index(fields=["-created_at"], name="post_latest"),
            GinIndex(fields=["search_vector", "created_at"], name="post_search"),
        ]

    def __str__(self) -> str:
        return f"#{self.number} in {self.topic_id}"

    def get_absolute_url(self) -> str:
        return reverse("forum:post", args=[self.pk])


class PostRevision(models.Model):
    """The text a post had before an edit; the history is visible to all its readers."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    source = models.TextField()
    html = models.TextField(default="")
    editor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["post", "number"]
        constraints = [
            models.UniqueConstraint(fields=["post", "number"], name="revision_number_in_post")
        ]

    def __str__(self) -> str:
        return f"revision {self.number} of post {self.post_id}"


class Attachment(models.Model):
    """An image attached to a post, re-encoded on upload (metadata and payloads dropped)."""

    post = models.ForeignKey(
        Post, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )
    uploader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    image = models.ImageField(upload_to="forum/%Y/%m/")
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    size = models.PositiveIntegerField(default=0)
    original_name = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.original_name or self.image.name


class TopicRead(models.Model):
    """How far a person has read a topic: the highest post number seen."""

    # Filled in for its reader on pages kept for many (portal/page_cache.py).
    is_reader_state = True

    # A reader's own, or for managers: no signed-out page shows it (portal/page_cache.py).
    shown_to_signed_out = False

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="+")
    last_read_number = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "topic"], name="one_read_state")]

    def __str__(self) -> str:
        return f"{self.user_id} read {self.topic_id} to #{self.last_read_number}"


class CategoryRead(models.Model):
    """ "Mark category read": topics with no activity after `marked_at` count as read."""

    # Filled in for its reader on pages kept for many (portal/page_cache.py).
    is_reader_state = True

    # A reader's own, or for managers: no signed-out page shows it (portal/page_cache.py).
    shown_to_signed_out = False

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="+")
    marked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "category"], name="one_category_read")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} read {self.category_id} at {self.marked_at}"


class Like(models.Model):
    # Filled in for its reader on pages kept for many (portal/page_cache.py).
    is_reader_state = True
    # An unlike only lowers a count: the page may still be served while rendered anew.
    deleting_withdraws = False

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="likes")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "post"], name="one_like_per_user")]

    def __str__(self) -> str:
        return f"{self.user_id} likes {self.post_id}"


class Flag(models.Model):
    class Reason(models.TextChoices):
        SPAM = "spam", _("spam")
        OFF_TOPIC = "off_topic", _("off-topic")
        ABUSIVE = "abusive", _("abusive")

    class Resolution(models.TextChoices):
        OPEN = "", _("open")
        AGREED = "agreed", _("agreed: post hidden")
        DISAGREED = "disagreed", _("disagreed: post kept")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="flags")
    reason = models.CharField(_("reason"), max_length=12, choices=Reason.choices)
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    resolution = models.CharField(max_length=10, choices=Resolution.choices, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "post"], name="one_flag_per_user")]
        indexes = [
            models.Index(fields=["post"], condition=Q(resolution=""), name="flag_open"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} flags {self.post_id}: {self.reason}"


class ModerationLog(models.Model):
    """Every moderator action: who, what, on which topic or post, and why."""

    class Action(models.TextChoices):
        PIN = "pin", _("pinned")
        UNPIN = "unpin", _("unpinned")
        LOCK = "lock", _("locked")
        UNLOCK = "unlock", _("unlocked")
        MOVE = "move", _("moved")
        HIDE_TOPIC = "hide_topic", _("hid topic")
        UNHIDE_TOPIC = "unhide_topic", _("unhid topic")
        HIDE_POST = "hide_post", _("hid post")
        UNHIDE_POST = "unhide_post", _("unhid post")
        SPLIT = "split", _("split")
        MERGE = "merge", _("merged")
        AUTO_HIDE = "auto_hide", _("hidden by flags")
        FLAGS_AGREED = "flags_agreed", _("agreed with flags")
        FLAGS_DISAGREED = "flags_disagreed", _("disagreed with flags")

    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=20, choices=Action.choices)
    topic = models.ForeignKey(
        Topic, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    post = models.ForeignKey(
        Post, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=500)
    detail = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.action}: {self.reason}"
