"""No API token is ever printed whole in a log line.

Every log record's message (a django.request line carries the request's path, a query string
may carry a token) has its tokens cut to the prefix the settings page shows, which names the
token without giving it away.
"""

from __future__ import annotations

import logging
import re

from portal.services import API_TOKEN_PREFIX

# The prefix and at least 8 more characters: shorter runs are not tokens (and are harmless).
_TOKEN = re.compile(re.escape(API_TOKEN_PREFIX) + r"([A-Za-z0-9_-]{8})[A-Za-z0-9_-]*")
REDACTED = API_TOKEN_PREFIX + r"\1…[redacted]"


def redact(text: str) -> str:
    return _TOKEN.sub(REDACTED, text)


class RedactTokensFilter(logging.Filter):
    """Rewrite the record's message with tokens redacted (the arguments are folded in)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True


_installed = False


def install() -> None:
    """Redact in every record as it is made, whichever handler prints it: a filter on a handler
    misses the handlers added later (a test's, a process manager's)."""
    global _installed
    if _installed:
        return
    make_record = logging.getLogRecordFactory()
    redactor = RedactTokensFilter()

    def factory(*args, **kwargs) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        redactor.filter(record)
        return record

    logging.setLogRecordFactory(factory)
    _installed = True
