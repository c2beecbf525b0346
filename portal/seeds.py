"""The site's own demo data: groups, the admin account, a first news item."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from urllib.parse import urlsplit

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.sites.models import Site
from django.db import transaction

from portal.registry import Seeder, register_seeder
from portal.services import ensure_profile, publish_news

GROUPS = ("release-managers", "doc-editors", "moderators", "triagers", "security")
ADMIN_USERNAME = "admin"
ADMIN_EMAIL = "admin@estuary.localhost"

WELCOME = """\
Estuary brings firmware, kernels and whole Linux distributions up on ARM64 boards, from the
HiSilicon D02, D03 and D05 servers to the 96Boards HiKey and the QEMU virtual machine.

This portal is where it all lives now:

- **Docs**: quick starts and board manuals for the release you run;
- **Downloads**: every release's images per board, with checksums and signatures;
- **Forum** and **Lists**: ask, answer and read the archives;
- **Bugs**: report what breaks, follow what gets fixed.

Sign up to post on the forum, file bugs and watch your board's releases.
"""


@transaction.atomic
def seed_site(say: Callable[[str], None]) -> None:
    Site.objects.update_or_create(
        id=settings.SITE_ID,
        defaults={"domain": urlsplit(settings.SITE_URL).netloc or "localhost", "name": "Estuary"},
    )
    for name in GROUPS:
        Group.objects.get_or_create(name=name)
    user_model = get_user_model()
    admin = user_model.objects.filter(username=ADMIN_USERNAME).first()
    if admin is None:
        password = os.environ.get("ADMIN_PASSWORD") or secrets.token_urlsafe(12)
        admin = user_model.objects.create_superuser(ADMIN_USERNAME, ADMIN_EMAIL, password)
        generated = "ADMIN_PASSWORD" not in os.environ
        say(
            f"Admin login: {ADMIN_USERNAME} / {password}"
            + ("  (generated, shown this once)" if generated else "  (from ADMIN_PASSWORD)")
        )
    else:
        say(f"Admin login: {ADMIN_USERNAME} (exists; password unchanged)")
    EmailAddress.objects.update_or_create(
        user=admin, email=ADMIN_EMAIL, defaults={"verified": True, "primary": True}
    )
    admin.groups.add(*Group.objects.filter(name__in=GROUPS))
    ensure_profile(user=admin)
    publish_news(
        title="Welcome to the new Estuary portal", body=WELCOME, author=admin, slug="welcome"
    )


register_seeder(Seeder(name="site", run=seed_site, order=0))


# The forum's demo people, once the sections have seeded: each chooses mail differently, so
# the preferences page and the digest have something to show.
DEMO_MAIL_CHOICES = {
    "lin": {"about_me": "immediate", "forum_watching": "digest", "docs": "digest"},
    "marta": {"*": "digest"},
    "joao": {"about_me": "immediate", "bugs": "never", "other": "never"},
}


@transaction.atomic
def seed_notification_choices(say: Callable[[str], None]) -> None:
    from portal.models import Profile

    for username, choices in DEMO_MAIL_CHOICES.items():
        person = get_user_model().objects.filter(username=username).first()
        if person is None:
            continue
        profile = ensure_profile(user=person)
        if not profile.mail_preferences:
            Profile.objects.filter(pk=profile.pk).update(mail_preferences=choices)
    say("Notification e-mail choices for the demo people.")


register_seeder(Seeder(name="notification-choices", run=seed_notification_choices, order=900))
