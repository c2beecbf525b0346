"""Detached GnuPG signatures of the checksum lists, with python-gnupg and the gpg binary."""

from __future__ import annotations

import gnupg
from django.conf import settings


class SigningError(RuntimeError):
    """The configured key could not sign (missing key, broken GnuPG home)."""


def signing_enabled() -> bool:
    return bool(settings.SIGNING_KEY_ID)


def _gpg() -> gnupg.GPG:
    return gnupg.GPG(gnupghome=str(settings.GNUPG_HOME))


def sign_text(text: str) -> str:
    """An ASCII-armoured detached signature of `text` (as UTF-8 bytes) by SIGNING_KEY_ID."""
    signed = _gpg().sign(
        text.encode(), keyid=settings.SIGNING_KEY_ID, detach=True, clearsign=False, binary=False
    )
    armour = str(signed)
    wanted = settings.SIGNING_KEY_ID.upper().removeprefix("0X").replace(" ", "")
    # gpg falls back to another secret key when the wanted one is missing: check who signed.
    if not armour.startswith("-----BEGIN PGP SIGNATURE-----") or not (
        signed.fingerprint and signed.fingerprint.upper().endswith(wanted)
    ):
        raise SigningError(
            f"gpg could not sign with key {settings.SIGNING_KEY_ID} in {settings.GNUPG_HOME} "
            f"({signed.status or 'no signature'}, signed by {signed.fingerprint or 'nobody'})"
        )
    return armour


def public_key() -> str:
    """The ASCII-armoured public key, or "" when signing is off or the key is unknown."""
    if not signing_enabled():
        return ""
    return _gpg().export_keys(settings.SIGNING_KEY_ID) or ""
