"""What belongs to the whole site: people's profiles and the news."""

from django.conf import settings
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
