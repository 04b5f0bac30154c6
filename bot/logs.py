"""Logging set-up that never lets a secret through (R19)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any

_TOKEN_RE = re.compile(r"\b\d{6,12}:[A-Za-z0-9_-]{20,}\b")


class RedactingFilter(logging.Filter):
    """Replace secrets (and anything shaped like a bot token) in every record."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def _clean(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "[REDACTED]")
        return _TOKEN_RE.sub("[REDACTED]", text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = self._clean(message)
        if record.exc_info and record.exc_info[1] is not None:
            # Format the traceback now so the token in an exception text is cleaned too.
            record.exc_text = self._clean(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        return True


def install_redaction(secrets: Iterable[str], level: str = "INFO") -> None:
    """Configure root logging for the CLI, with every secret redacted (R19)."""
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=False
    )
    # httpx logs each request URL at INFO, and a Bot API URL contains the token: quieter
    # logs, though protect_logs already cleans every record.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    protect_logs(secrets)


def protect_logs(secrets: Iterable[str]) -> None:
    """Clean these secrets (and anything shaped like a bot token) out of every log record
    created from now on, whatever handler or level; the bot calls it when it starts."""
    _patch_factory(RedactingFilter(secrets))


def _patch_factory(redactor: RedactingFilter) -> None:
    """Clean every record at creation, so handlers added later (pytest's) see no secret."""
    old = logging.getLogRecordFactory()
    if getattr(old, "_dcm_redacting", False):
        existing: Any = old
        known = existing._dcm_redactor.secrets
        known.extend(s for s in redactor.secrets if s not in known)
        return

    def factory(*args: object, **kwargs: object) -> logging.LogRecord:
        record = old(*args, **kwargs)
        redactor.filter(record)
        return record

    factory._dcm_redacting = True  # type: ignore[attr-defined]
    factory._dcm_redactor = redactor  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)
