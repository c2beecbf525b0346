"""Mail as people read it: the site's name in allauth's messages, and `make run`'s console
mail printed readable (decoded text, whole links), not in quoted-printable wire format."""

import io

import pytest
from django.core.mail import EmailMultiAlternatives
from django.core.management import call_command

from portal.mail import ReadableConsoleBackend
from tests.portal.test_accounts import sign_up
from tests.portal.test_embedded_defaults import embedded_env, manage


@pytest.mark.django_db(transaction=True)
def test_the_sign_up_mail_names_the_site(client, celery_worker):
    call_command("seed_demo", "--only", "site", stdout=io.StringIO())
    celery_worker.clear_mail()
    assert sign_up(client).status_code == 302
    message = celery_worker.wait_for_mail(to="ada@example.org")
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert "Hello from Estuary!" in body and "Thank you for using Estuary!" in body
    assert "from !" not in body and "using !" not in body


def test_make_run_prints_mail_readable_on_its_console(tmp_path):
    # The embedded defaults (no EMAIL_URL), as under make run: a real process sends a mail.
    link = "http://127.0.0.1:8000/accounts/confirm-email/" + "MjA:1vQ3xy:" + "k" * 60 + "/"
    printed = manage(
        embedded_env(tmp_path / "var"),
        "shell",
        "-c",
        "from django.core.mail import send_mail; "
        f"send_mail('Confirm', 'Hello from Estuary, 你好!\\n\\nGo to {link}\\n', None, "
        "['a@b.org'])",
    )
    assert "Subject: Confirm" in printed and "To: a@b.org" in printed
    assert f"Go to {link}" in printed.splitlines()  # whole, on one line: it can be clicked
    assert "你好" in printed and "=\n" not in printed and "quoted-printable" not in printed


def test_the_readable_backend_leaves_out_the_html_part():
    link = "http://127.0.0.1:8000/accounts/confirm-email/" + "MjA:1vQ3xy:" + "k" * 60 + "/"
    stream = io.StringIO()
    message = EmailMultiAlternatives(
        subject="[Estuary] Please Confirm Your Email Address",
        body=f"Hello from Estuary — 你好!\n\nTo confirm, go to {link}\n",
        to=["ada@example.org"],
        from_email="Estuary <noreply@estuary.localhost>",
    )
    message.attach_alternative(f'<p><a href="{link}">confirm</a></p>', "text/html")
    ReadableConsoleBackend(stream=stream).send_messages([message])
    printed = stream.getvalue()
    assert "Subject: [Estuary] Please Confirm Your Email Address" in printed
    assert "To: ada@example.org" in printed
    assert link in printed.splitlines()[-2]  # whole, on its own line, clickable
    assert "你好" in printed and "=E4" not in printed and "=\n" not in printed
    assert "<p>" not in printed  # the HTML part is for mail clients
