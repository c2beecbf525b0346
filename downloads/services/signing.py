"""Detached GnuPG signatures of the checksum lists, with python-gnupg and the gpg binary.

The signing key is SIGNING_KEY_ID, or else the key `python manage.py signing_key create` made
in GNUPG_HOME (its fingerprint is kept there in KEY_ID_FILE).
"""

from __future__ import annotations

import subprocess  # argument lists, never a shell  # nosec B404
from pathlib import Path

import gnupg
from django.conf import settings

KEY_ID_FILE = "estuary-signing-key"


class SigningError(RuntimeError):
    """The configured key could not sign (missing key, broken GnuPG home)."""


def signing_key_id() -> str:
    if settings.SIGNING_KEY_ID:
        return settings.SIGNING_KEY_ID
    try:
        return (Path(settings.GNUPG_HOME) / KEY_ID_FILE).read_text().strip()
    except OSError:
        return ""


def signing_enabled() -> bool:
    return bool(signing_key_id())


def create_signing_key(*, name: str, email: str) -> str:
    """Make an ed25519 signing key without passphrase in GNUPG_HOME (created if missing) and
    make it the site's key; returns its fingerprint."""
    home = Path(settings.GNUPG_HOME)
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    home.chmod(0o700)  # gpg refuses a home others can read
    gpg = ["gpg", "--homedir", str(home), "--batch"]
    try:
        subprocess.run(  # gpg's argument list, our own  # nosec B603
            [*gpg, "--passphrase", "", "--quick-gen-key", f"{name} <{email}>", "ed25519", "sign",
             "never"],
            check=True, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        listing = subprocess.run(  # gpg's argument list, our own  # nosec B603
            [*gpg, "--with-colons", "--list-secret-keys", email],
            check=True, capture_output=True, text=True, timeout=60,
        ).stdout  # fmt: skip
    except FileNotFoundError as exc:
        raise SigningError("gpg is not installed (Debian package gnupg)") from exc
    except subprocess.CalledProcessError as exc:
        raise SigningError(f"gpg could not make a key in {home}: {exc.stderr.strip()}") from exc
    fingerprints = [line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr")]
    if not fingerprints:
        raise SigningError(f"gpg made no key in {home}")
    (home / KEY_ID_FILE).write_text(fingerprints[-1] + "\n")
    return fingerprints[-1]


def _gpg() -> gnupg.GPG:
    return gnupg.GPG(gnupghome=str(settings.GNUPG_HOME))


def sign_text(text: str) -> str:
    """An ASCII-armoured detached signature of `text` (as UTF-8 bytes) by the signing key."""
    key_id = signing_key_id()
    signed = _gpg().sign(text.encode(), keyid=key_id, detach=True, clearsign=False, binary=False)
    armour = str(signed)
    wanted = key_id.upper().removeprefix("0X").replace(" ", "")
    # gpg falls back to another secret key when the wanted one is missing: check who signed.
    if not armour.startswith("-----BEGIN PGP SIGNATURE-----") or not (
        signed.fingerprint and signed.fingerprint.upper().endswith(wanted)
    ):
        raise SigningError(
            f"gpg could not sign with key {key_id} in {settings.GNUPG_HOME} "
            f"({signed.status or 'no signature'}, signed by {signed.fingerprint or 'nobody'})"
        )
    return armour


def public_key() -> str:
    """The ASCII-armoured public key, or "" when signing is off or the key is unknown."""
    if not signing_enabled():
        return ""
    return _gpg().export_keys(signing_key_id()) or ""
