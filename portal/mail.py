"""The console mailer of `make run`: each message printed as a person reads it.

Django's console backend prints the wire format, where a UTF-8 body is quoted-printable and a
long link is split with `=` at the end of each line, so it cannot be clicked or copied. This one
prints the headers a person needs and each text part decoded.
"""

from __future__ import annotations

from django.core.mail.backends.console import EmailBackend


class ReadableConsoleBackend(EmailBackend):
    def write_message(self, message) -> None:
        parsed = message.message()
        lines = [
            f"{name}: {parsed[name]}" for name in ("Subject", "From", "To", "Date") if parsed[name]
        ]
        for part in parsed.walk():
            if part.get_content_type() == "text/plain" and not part.is_attachment():
                lines += ["", part.get_content().rstrip("\n")]
        self.stream.write("\n".join(lines) + "\n")
        self.stream.write("-" * 79 + "\n")
