"""What belongs to the whole site: people's profiles and the news."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Profile(models.Model):
    """What a person shows of themselves; created at sign-up, edited on the settings page."""

    class TrustLevel(models.IntegerChoices):
        NEW = 0, _("new")
        BASIC = 1, _("basic")
        MEMBER = 2, _("member")
        REGULAR = 3, _("regular")
        LEADER = 4, _("leader")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    display_name = models.CharField(_("display name"), max_length=80, blank=True)
    bio = models.TextField(_("short bio"), max_length=500, blank=True)
    trust_level = models.PositiveSmallIntegerField(
        _("trust level"), choices=TrustLevel.choices, default=TrustLevel.NEW
    )
    # Per kind of notification: "immediate", "digest" or "never"; "*" for kinds not set
    # (portal/notifications.py reads it; missing: each kind's default).
    mail_preferences = models.JSONField(_("notification e-mail"), default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("profile")
        verbose_name_plural = _("profiles")
        constraints = [
            models.CheckConstraint(condition=models.Q(trust_level__lte=4), name="trust_level_0_4")
        ]

    def __str__(self) -> str:
        return self.display_name or self.user.get_username()

    def get_absolute_url(self) -> str:
        return reverse("profile", args=[self.user.get_username()])


class NewsItem(models.Model):
    """An announcement on the home page and in the news feed; body stored rendered."""

    # Saved with one of these, it may leave readers' view (see withdraw in portal/page_cache.py).
    withdrawing_fields = frozenset({"is_published", "published_at"})

    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=200, unique=True)
    body = models.TextField(_("body (Markdown)"))
    body_html = models.TextField(editable=False, default="")
    published_at = models.DateTimeField(_("published"), default=timezone.now, db_index=True)
    is_published = models.BooleanField(_("published"), default=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        ordering = ["-published_at"]
        verbose_name = _("news item")
        verbose_name_plural = _("news")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("news_detail", args=[self.slug])


class Subscription(models.Model):
    """A person's interest in any object (a topic, a category, a bug, a list): watch or mute."""

    # Filled in for its reader on pages kept for many (portal/page_cache.py).
    is_reader_state = True

    # A reader's own, or for managers: no signed-out page shows it (portal/page_cache.py).
    shown_to_signed_out = False

    class Level(models.TextChoices):
        WATCHING = "watching", _("watching")
        MUTED = "muted", _("muted")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="subscriptions"
    )
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.PositiveBigIntegerField()
    target = GenericForeignKey("content_type", "object_id")
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "content_type", "object_id"], name="one_subscription_per_object"
            )
        ]
        indexes = [models.Index(fields=["content_type", "object_id", "level"])]

    def __str__(self) -> str:
        return f"{self.user_id} {self.level} {self.content_type_id}:{self.object_id}"


class Notification(models.Model):
    """Something that happened that a person should hear of: shown in the centre, maybe mailed."""

    # A reader's own, or for managers: no signed-out page shows it (portal/page_cache.py).
    shown_to_signed_out = False

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    verb = models.CharField(_("verb"), max_length=30)
    target_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    target_id = models.PositiveBigIntegerField(null=True, blank=True)
    target = GenericForeignKey("target_type", "target_id")
    # Plain text, kept so that the centre lists notifications without fetching each target.
    target_title = models.CharField(_("about"), max_length=300, blank=True)
    url = models.CharField(_("link"), max_length=500)
    # Which preference governs its mail (see register_verb), and what the digest quotes.
    kind = models.CharField(_("kind"), max_length=30, blank=True)
    excerpt = models.TextField(_("excerpt"), blank=True)
    # Waiting for the person's daily digest; digested_at records which digest took it.
    digest_due = models.BooleanField(default=False)
    digested_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notification_inbox"),
            models.Index(
                fields=["recipient", "created_at"],
                condition=models.Q(digest_due=True),
                name="notification_digest_due",
            ),
            models.Index(
                fields=["recipient"],
                condition=models.Q(read_at__isnull=True),
                name="notification_unread",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.verb}: {self.target_title}"


class ApiToken(models.Model):
    """A personal token for the JSON API, acting with its owner's rights. Only a SHA-256 of the
    secret is stored: the token is shown once, when it is made."""

    # A reader's own, or for managers: no signed-out page shows it (portal/page_cache.py).
    shown_to_signed_out = False

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=80)
    prefix = models.CharField(_("prefix"), max_length=12, editable=False)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)

    class Scope(models.TextChoices):
        READ = "read", _("Read only")
        WRITE = "write", _("Read and write")

    # Tokens made before scopes existed could write: they keep that; new ones choose.
    scope = models.CharField(_("scope"), max_length=10, choices=Scope.choices, default=Scope.WRITE)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class PendingTask(models.Model):
    """A task whose message could not reach the broker: kept here, sent again once it is back
    (portal.outbox), so that a mail, a web reply or an import is never lost to a Redis outage."""

    # A reader's own, or for managers: no signed-out page shows it (portal/page_cache.py).
    shown_to_signed_out = False

    name = models.CharField(max_length=200)
    args = models.JSONField(default=list)
    kwargs = models.JSONField(default=dict)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.name
