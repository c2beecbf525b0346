"""Helpers of the tests of pages shared by the signed-in readers of one kind
(portal/page_cache.py): members, their clients, and what a page they got tells."""

from __future__ import annotations

import re

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.http import HttpResponse
from django.test import Client


def make_member(username: str, *, groups=(), **extra):
    user = get_user_model().objects.create_user(
        username, f"{username}@example.org", "pw-for-tests-1", **extra
    )
    for name in groups:
        user.groups.add(Group.objects.get_or_create(name=name)[0])
    return user


def signed_in(user, **options) -> Client:
    client = Client(**options)
    client.force_login(user)
    return client


def from_cache(response: HttpResponse) -> bool:
    """Whether the page was the kept one, filled for this reader (only those carry an Age)."""
    return response.has_header("Age")


def form_token(html: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def account_name(html: str) -> str:
    """The name in the page's account menu: whose copy of a kept page this is."""
    return re.search(r'class="avatar-link"[^>]*>.*?<span>([^<]+)</span>', html, re.S).group(1)


def filled(html: str) -> bool:
    """No mark of a kept page is left unfilled, its form token's mark included."""
    from portal.page_cache import csrf_mark

    return csrf_mark() not in html and "<!--reader:" not in html
