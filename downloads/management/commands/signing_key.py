"""Set up the key that signs the checksum lists: `signing_key create`, `signing_key show`."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from downloads.services.signing import (
    SigningError,
    create_signing_key,
    public_key,
    signing_key_id,
)


class Command(BaseCommand):
    help = (
        "create: make an ed25519 signing key in GNUPG_HOME (created if missing) that signs "
        "every release published from then on; show: print the key in use."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["create", "show"])
        parser.add_argument("--name", default="Estuary releases")
        parser.add_argument("--email", default="release@estuary.localhost")
        parser.add_argument(
            "--force", action="store_true", help="make a new key even if one is set up"
        )

    def handle(self, *args, action: str, name: str, email: str, force: bool, **options):
        current = signing_key_id()
        if action == "show":
            if not current:
                raise CommandError("no signing key: run `python manage.py signing_key create`")
            self.stdout.write(current)
            self.stdout.write(public_key())
            return
        if current and not force:
            raise CommandError(
                f"a signing key is set up already ({current}); --force makes another"
            )
        try:
            fingerprint = create_signing_key(name=name, email=email)
        except SigningError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Signing key {fingerprint} made in {settings.GNUPG_HOME}.")
        if settings.SIGNING_KEY_ID:
            self.stdout.write(f"SIGNING_KEY_ID is set: set it to {fingerprint} to use this key.")
        else:
            self.stdout.write("Releases published from now on are signed with it.")
