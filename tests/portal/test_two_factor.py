"""Two-factor authentication: anyone may turn it on (an authenticator app, recovery codes);
staff, release managers and moderators must, before they publish, build, moderate or enter the
admin."""

import time

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import reverse

pytestmark = pytest.mark.django_db
PASSWORD = "pw-for-tests-1"


def _code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def _user(name: str, *, groups=(), **extra):
    user = get_user_model().objects.create_user(name, f"{name}@example.org", PASSWORD, **extra)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    for group in groups:
        user.groups.add(Group.objects.get_or_create(name=group)[0])
    return user


def _sign_in(client, name: str):
    return client.post(reverse("account_login"), {"login": name, "password": PASSWORD})


def test_a_person_turns_it_on_and_then_signs_in_with_a_code_or_a_recovery_code(client):
    _user("ada")
    assert _sign_in(client, "ada").status_code == 302
    # Turning it on asks for the password again first.
    asked = client.get(reverse("mfa_activate_totp"))
    assert asked["Location"].startswith(reverse("account_reauthenticate"))
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    secret = page.context["form"].secret
    assert 'src="data:image/svg+xml;base64,' in page.content.decode()  # the QR code, no CDN
    wrong = client.post(reverse("mfa_activate_totp"), {"code": "000000"})
    assert wrong.status_code == 200 and not Authenticator.objects.exists()
    done = client.post(reverse("mfa_activate_totp"), {"code": _code(secret)})
    assert done.status_code == 302 and done["Location"] == reverse("mfa_view_recovery_codes")
    codes = client.get(reverse("mfa_view_recovery_codes")).context["unused_codes"]
    assert len(codes) == 10
    client.post(reverse("account_logout"))

    # The password alone no longer signs in: the second step asks for a code.
    second_step = _sign_in(client, "ada")
    assert second_step["Location"] == reverse("mfa_authenticate")
    refused = client.post(reverse("mfa_authenticate"), {"code": "123456"})
    assert refused.status_code == 200 and "_auth_user_id" not in client.session
    assert client.post(reverse("mfa_authenticate"), {"code": _code(secret)}).status_code == 302
    assert "_auth_user_id" in client.session
    client.post(reverse("account_logout"))

    # A recovery code works once, when the phone is lost.
    _sign_in(client, "ada")
    assert client.post(reverse("mfa_authenticate"), {"code": codes[0]}).status_code == 302
    client.post(reverse("account_logout"))
    _sign_in(client, "ada")
    client.post(reverse("mfa_authenticate"), {"code": codes[0]})
    assert "_auth_user_id" not in client.session


def test_privileged_people_need_it_before_publishing_moderating_or_the_admin(client, settings):
    settings.SECOND_FACTOR_REQUIRED = True
    people = {
        "rm": (_user("rm", groups=["release-managers"]), reverse("downloads:manage")),
        "mod": (_user("mod", groups=["moderators"]), reverse("forum:moderation")),
        "boss": (_user("boss", is_staff=True, is_superuser=True), reverse("admin:index")),
    }
    for name, (user, url) in people.items():
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 302, name
        assert response["Location"] == reverse("mfa_activate_totp"), name
        # The next page says why (here: confirm the password, then set the app up).
        followed = client.get(response["Location"], follow=True).content.decode()
        assert "needs two-factor authentication first" in followed, name
        # Reading the site as anyone does is not held back.
        assert client.get(reverse("downloads:index")).status_code == 200, name
        TOTP.activate(user, "JBSWY3DPEHPK3PXP")
        assert client.get(url).status_code == 200, name
    # People without those rights see what they saw before: no prompt, just the refusal.
    client.force_login(_user("ada"))
    assert client.get(reverse("downloads:manage")).status_code == 403
