"""Signed checksum lists: a throwaway ed25519 key, verified by the real `gpg --verify`."""

import io
import shutil
import tempfile
from pathlib import Path

import pytest
from django.core.management.base import CommandError
from django.urls import reverse

from downloads.services.publishing import PublishError
from tests.conftest import stop_gpg_agent
from tests.downloads.conftest import run

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def gnupg_home():
    # A short path: gpg-agent's socket lives in it and socket paths are limited in length.
    home = Path(tempfile.mkdtemp(prefix="gpg-", dir="/tmp"))
    home.chmod(0o700)
    run(
        "gpg", "--homedir", str(home), "--batch", "--passphrase", "", "--quick-gen-key",
        "Estuary Test Signing <release@estuary.test>", "ed25519", "sign", "never",
    )  # fmt: skip
    listing = run("gpg", "--homedir", str(home), "--with-colons", "--list-secret-keys").stdout
    fingerprint = next(
        line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr")
    )
    yield home, fingerprint
    stop_gpg_agent(home)
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def signing(settings, gnupg_home):
    home, fingerprint = gnupg_home
    settings.GNUPG_HOME = str(home)
    settings.SIGNING_KEY_ID = fingerprint
    return fingerprint


def test_signature_verifies_with_gpg_and_the_published_key(
    client, signing, boards, make_release, verifier
):
    make_release("3.1", {"d02/Image": b"kernel", "common/README": b"hi"})
    key = client.get(reverse("downloads:key"))
    assert key.status_code == 200 and b"BEGIN PGP PUBLIC KEY BLOCK" in key.content
    for sums_url, sig_url in [
        (
            reverse("downloads:release_checksums", args=["3.1", "SHA256SUMS"]),
            reverse("downloads:release_checksums", args=["3.1", "SHA256SUMS.asc"]),
        ),
        (
            reverse("downloads:folder_checksums", args=["3.1", "d02", "SHA256SUMS"]),
            reverse("downloads:folder_checksums", args=["3.1", "d02", "SHA256SUMS.asc"]),
        ),
    ]:
        sums = client.get(sums_url).content
        signature = client.get(sig_url)
        assert signature["Content-Type"] == "application/pgp-signature"
        verified = verifier(key.content, sums, signature.content)
        assert f"VALIDSIG {signing}" in verified.stdout
        # One byte changed in the list, and the signature no longer holds.
        tampered = verifier(
            key.content, sums.replace(b"  ", b" *", 1), signature.content, check=False
        )
        assert tampered.returncode != 0 and "BAD signature" in tampered.stderr


def test_pages_link_the_signature_only_when_signed(client, boards, make_release, settings):
    make_release("3.1", {"d02/Image": b"kernel"})
    page = client.get(reverse("downloads:board", args=["d02"])).content.decode()
    assert "SHA256SUMS.asc" not in page
    sig = reverse("downloads:folder_checksums", args=["3.1", "d02", "SHA256SUMS.asc"])
    assert client.get(sig).status_code == 404
    assert client.get(reverse("downloads:key")).status_code == 404


def test_a_key_that_cannot_sign_blocks_publishing(settings, gnupg_home, boards, make_release):
    settings.GNUPG_HOME = str(gnupg_home[0])
    settings.SIGNING_KEY_ID = "0000000000000000DEADBEEF00000000DEADBEEF"
    with pytest.raises(PublishError, match="gpg could not sign"):
        make_release("3.1", {"d02/Image": b"kernel"})


def test_one_command_sets_up_signing_on_a_fresh_site(settings, client, boards, make_release):
    from pathlib import Path

    from django.core.management import call_command

    home = Path(settings.GNUPG_HOME)
    assert not home.exists()  # a fresh site: no var/gnupg yet
    out = io.StringIO()
    call_command("signing_key", "create", stdout=out)
    assert "Signing key" in out.getvalue() and home.is_dir()
    assert oct(home.stat().st_mode & 0o777) == "0o700"
    release = make_release("3.1", {"d02/Image": b"kernel"})
    assert set(release.signatures) == {"SHA256SUMS", "d02/SHA256SUMS"}
    key = client.get(reverse("downloads:key"))
    assert key.status_code == 200 and b"BEGIN PGP PUBLIC KEY BLOCK" in key.content
    with pytest.raises(CommandError, match="set up already"):
        call_command("signing_key", "create", stdout=io.StringIO())


def test_publishing_unsigned_from_the_command_line_says_so(boards, incoming):
    from django.core.management import call_command

    (incoming / "Image").write_bytes(b"kernel")
    err = io.StringIO()
    call_command(
        "publish_release", "3.1", "--from-dir", str(incoming), "--board", "d02",
        stdout=io.StringIO(), stderr=err,
    )  # fmt: skip
    assert "published unsigned" in err.getvalue() and "signing_key create" in err.getvalue()


def test_a_site_that_requires_signing_publishes_nothing_unsigned(settings, boards, incoming):
    from django.core.management import call_command

    from downloads.models import Release

    settings.REQUIRE_SIGNING = True
    (incoming / "Image").write_bytes(b"kernel")
    with pytest.raises(CommandError, match="requires signed releases"):
        call_command("publish_release", "3.1", "--from-dir", str(incoming), "--board", "d02")
    assert not Release.objects.exists()
