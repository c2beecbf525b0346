"""Writes of the site's own models: each state change is one function."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from portal.caching import NEWS
from portal.markup import render_markdown
from portal.models import ApiToken, NewsItem, Profile


@transaction.atomic
def ensure_profile(*, user: AbstractBaseUser) -> Profile:
    profile, _created = Profile.objects.get_or_create(user=user)
    return profile


@transaction.atomic
def update_profile(*, user: AbstractBaseUser, display_name: str, bio: str) -> Profile:
    profile, _created = Profile.objects.select_for_update().get_or_create(user=user)
    profile.display_name = display_name.strip()
    profile.bio = bio.strip()
    profile.save(update_fields=["display_name", "bio", "updated_at"])
    return profile


@transaction.atomic
def save_news(*, item: NewsItem) -> NewsItem:
    """Store a news item with its body rendered once, here, never per request."""
    item.body_html = render_markdown(item.body, trusted=True).html
    item.save()
    NEWS.bump_on_commit()
    return item


@transaction.atomic
def publish_news(
    *,
    title: str,
    body: str,
    author: AbstractBaseUser | None = None,
    slug: str | None = None,
    published_at: datetime | None = None,
) -> NewsItem:
    """Create or update (by slug) a published news item."""
    slug = slug or slugify(title)[:200]
    item = NewsItem.objects.filter(slug=slug).first() or NewsItem(slug=slug)
    item.title = title
    item.body = body
    item.author = author
    item.published_at = published_at or item.published_at or timezone.now()
    item.is_published = True
    return save_news(item=item)


# --- API tokens -----------------------------------------------------------------------------

API_TOKEN_PREFIX = "est_"  # noqa: S105 (a marker, not a secret)  # nosec B105
MAX_API_TOKENS = 20
# Days a new token lives, chosen when it is made (as GitHub does: no token lives for ever).
API_TOKEN_LIFETIMES = (7, 30, 90, 365)
API_TOKEN_DEFAULT_LIFETIME = 90


class ApiTokenError(ValueError):
    """A refused token request; the message is meant for the person."""


class ApiTokenExpired(Exception):
    """A token that was real but has expired: the caller is told so, with the date."""


def hash_api_token(secret: str) -> str:
    # Tokens are 256 random bits: a plain SHA-256 is enough, no slow hash needed.
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def create_api_token(
    *,
    user: AbstractBaseUser,
    name: str,
    scope: str = ApiToken.Scope.WRITE,
    days: int = API_TOKEN_DEFAULT_LIFETIME,
) -> tuple[ApiToken, str]:
    """Make a token; returns it and its secret, which is never stored nor shown again."""
    name = " ".join(name.split())[:80]
    if not name:
        raise ApiTokenError(_("Give the token a name."))
    if scope not in ApiToken.Scope.values:
        raise ApiTokenError(_("Choose what the token may do."))
    if days not in API_TOKEN_LIFETIMES:
        raise ApiTokenError(_("Choose how long the token lives."))
    if ApiToken.objects.filter(user=user, revoked_at__isnull=True).count() >= MAX_API_TOKENS:
        raise ApiTokenError(_("You may keep at most %(n)d tokens.") % {"n": MAX_API_TOKENS})
    secret = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=secret[:12],
        token_hash=hash_api_token(secret),
        scope=scope,
        expires_at=timezone.now() + timedelta(days=days),
    )
    return token, secret


@transaction.atomic
def revoke_api_token(*, user: AbstractBaseUser, token: ApiToken) -> ApiToken:
    if token.user_id != user.pk:
        raise ApiTokenError(_("That token is not yours."))
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def user_for_api_token(secret: str) -> AbstractBaseUser | None:
    """The active owner of a live token, or None (ApiTokenExpired for an expired one)."""
    token = api_token_for(secret)
    return token.user if token is not None else None


def api_token_for(secret: str) -> ApiToken | None:
    """The live token of an active owner, or None; ApiTokenExpired when its time is up.
    Marks the token used (at most once a minute)."""
    if not secret.startswith(API_TOKEN_PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(token_hash=hash_api_token(secret), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.expires_at is not None and token.expires_at <= now:
        raise ApiTokenExpired(
            f"API token expired on {token.expires_at:%Y-%m-%d}: make a new one in your settings"
        )
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token
