"""Accounts: sign-up with mandatory e-mail verification (mail sent by the worker), log in by
username or e-mail, rate limits, password reset."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.urls import reverse

from portal.models import Profile

LINK = re.compile(r"https?://[^\s]+/accounts/(?:confirm-email|password/reset/key)/[^\s]+/")


def sign_up(client, username="ada", email="ada@example.org", password="arm64-boards-rock"):
    return client.post(
        reverse("account_signup"),
        {"username": username, "email": email, "password1": password, "password2": password},
    )


def link_in(message) -> str:
    body = message.get_body(preferencelist=("plain",)).get_content()
    match = LINK.search(body)
    assert match, body
    return match.group(0).split("://", 1)[1].split("/", 1)[1].join(["/", ""])


@pytest.mark.django_db(transaction=True)
def test_sign_up_verify_by_mail_then_log_in_by_username_or_email(client, celery_worker):
    celery_worker.clear_mail()
    response = sign_up(client)
    assert response.status_code == 302
    user = get_user_model().objects.get(username="ada")
    assert Profile.objects.filter(user=user).exists()
    assert not EmailAddress.objects.get(user=user).verified

    # Unverified: logging in sends you to "verify your e-mail", not into the site.
    client.logout()
    response = client.post(
        reverse("account_login"), {"login": "ada", "password": "arm64-boards-rock"}
    )
    assert response.status_code == 302 and "confirm-email" in response["Location"]

    message = celery_worker.wait_for_mail(to="ada@example.org")
    assert message["Subject"].startswith("[Estuary]")
    confirm_path = link_in(message)
    assert client.get(confirm_path).status_code == 200
    assert client.post(confirm_path).status_code == 302
    assert EmailAddress.objects.get(user=user).verified

    client.logout()
    for login in ("ada", "ada@example.org", "ADA@example.org"):
        response = client.post(
            reverse("account_login"), {"login": login, "password": "arm64-boards-rock"}
        )
        assert response.status_code == 302, login
        assert response["Location"] == reverse("home")
        assert client.get(reverse("account_settings")).status_code == 200
        client.post(reverse("account_logout"))
        assert client.get(reverse("account_settings")).status_code == 302


@pytest.mark.django_db
def test_sign_up_rejects_bad_input_with_form_errors(client):
    get_user_model().objects.create_user("taken", "taken@example.org", "pw-for-tests-1")
    response = sign_up(client, username="taken", email="not-an-email", password="short")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Enter a valid email address" in html or "valid e-mail" in html
    assert "already" in html  # the username is taken
    assert get_user_model().objects.count() == 1


@pytest.mark.django_db
def test_failed_logins_are_rate_limited(client):
    get_user_model().objects.create_user("ada", "ada@example.org", "pw-for-tests-1")
    pages = [
        client.post(reverse("account_login"), {"login": "ada", "password": "wrong"})
        for _ in range(6)
    ]
    assert all(page.status_code == 200 for page in pages)  # form errors, never a 500
    assert "Too many failed login attempts" not in pages[0].content.decode()
    assert "Too many failed login attempts" in pages[-1].content.decode()
    # Locked out for this account even with the right password, until the window passes.
    response = client.post(reverse("account_login"), {"login": "ada", "password": "pw-for-tests-1"})
    assert response.status_code == 200
    assert "Too many failed login attempts" in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_password_reset_by_mail(client, celery_worker):
    celery_worker.clear_mail()
    user = get_user_model().objects.create_user("ada", "ada@example.org", "old-password-123")
    EmailAddress.objects.create(user=user, email="ada@example.org", verified=True, primary=True)
    response = client.post(reverse("account_reset_password"), {"email": "ada@example.org"})
    assert response.status_code == 302
    reset_path = link_in(celery_worker.wait_for_mail(to="ada@example.org"))
    response = client.get(reset_path, follow=True)
    form_path = response.redirect_chain[-1][0] if response.redirect_chain else reset_path
    response = client.post(
        form_path, {"password1": "new-password-456", "password2": "new-password-456"}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("new-password-456")


@pytest.mark.django_db
def test_account_pages_use_the_site_layout(client):
    html = client.get(reverse("account_login")).content.decode()
    assert 'class="site-header"' in html and 'class="site-footer"' in html
