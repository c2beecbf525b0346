"""Saved searches: a name for a list's query string, per person."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext as _

from bugs.models import SavedSearch
from bugs.services.common import BugError

MAX_SAVED = 50


def clean_query(query: str) -> str:
    """Keep the list's own parameters, drop the page number."""
    pairs = [(k, v) for k, v in parse_qsl(query.lstrip("?")) if k != "page" and v]
    return urlencode(pairs)[:1000]


@transaction.atomic
def save_search(*, user: AbstractBaseUser, name: str, query: str) -> SavedSearch:
    name = " ".join(name.split())[:80]
    if not name:
        raise BugError(_("Give the search a name."), code="name")
    if SavedSearch.objects.filter(user=user).exclude(name=name).count() >= MAX_SAVED:
        raise BugError(_("You may keep at most %(n)d searches.") % {"n": MAX_SAVED})
    saved, _created = SavedSearch.objects.update_or_create(
        user=user, name=name, defaults={"query": clean_query(query)}
    )
    return saved


@transaction.atomic
def delete_search(*, user: AbstractBaseUser, saved: SavedSearch) -> None:
    if saved.user_id != user.pk:
        raise BugError(_("That search is not yours."), code="rights")
    saved.delete()
