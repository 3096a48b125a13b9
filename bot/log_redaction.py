"""No phone number, name or flat number in any log line, whoever writes it.

Rasa logs residents' words itself (``rest.message.received.failure`` with the message text,
and at DEBUG the parsed message, entities and slot values), so redacting at our own call sites
cannot be enough. :func:`install` puts :class:`RedactingFilter` into the record factory, once per
process and before the process configures logging: every record of every logger is redacted
when it is made, whichever handlers Rasa, Sanic, rasa_sdk or uvicorn attach later.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from text.redact import redact

# Rasa's structured log lines are JSON with non-ASCII characters escaped (\u738b for 王).
_ESCAPED = re.compile(r"\\u([0-9a-fA-F]{4})")
_formatter = logging.Formatter()


def _unescaped(text: str) -> str:
    """JSON's escapes of non-ASCII characters as the characters, so names can be recognised."""
    if "\\u" not in text:
        return text

    def character(match: re.Match) -> str:
        code = int(match.group(1), 16)
        return chr(code) if code >= 0x80 and not 0xD800 <= code <= 0xDFFF else match.group()

    return _ESCAPED.sub(character, text)


def clean(text: str) -> str:
    return redact(_unescaped(text))


class RedactingFilter(logging.Filter):
    """Rewrites a record's message, traceback and stack with personal data masked; drops nothing."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed call: logging reports it when the record is formatted
            return True
        redacted = clean(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = clean(_formatter.formatException(record.exc_info))
        if record.stack_info:
            record.stack_info = clean(record.stack_info)
        return True


def install() -> None:
    """Redact every log record this process makes from now on; a second call changes nothing."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "redacting", False):
        return
    redacting = RedactingFilter()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        redacting.filter(record)
        return record

    factory.redacting = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)
