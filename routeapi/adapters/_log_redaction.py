"""Keeps provider secrets out of vendor SDK log records. botocore logs the request it signs, session token and
credential scope included, at DEBUG (and the upstream's answer, which may quote them): an operator turning DEBUG on
must not find credentials in the logs.

A filter on a logger sees only the records logged at that very logger, not those its children pass up, so the filter
goes on every existing logger under the prefixes given. It is installed again whenever a client is built, which
covers loggers that modules imported since then created. Only records a logger lets through (DEBUG on) pay for it.
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Iterable

from ..errors import REDACTED

__all__ = ["redact_logs"]

_MIN_LENGTH = 4  # shorter values would blank out ordinary words


class _Redactor(logging.Filter):
    """Replaces every known secret in a record's message (formatted with its arguments) and traceback."""

    def __init__(self) -> None:
        super().__init__("routeapi-secrets")
        self._lock = threading.Lock()
        self.secrets: frozenset[str] = frozenset()

    def add(self, secrets: Iterable[str]) -> None:
        with self._lock:
            self.secrets = self.secrets | {s for s in secrets if len(s) >= _MIN_LENGTH}

    def filter(self, record: logging.LogRecord) -> bool:
        secrets = self.secrets
        if not secrets:
            return True
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # arguments that do not fit the format: shown as they are
            message = f"{record.msg} {record.args}"
        if any(s in message for s in secrets):
            record.msg, record.args = _scrub(message, secrets), None
        if record.exc_info and record.exc_info[0] is not None:
            text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
            if any(s in text for s in secrets):
                record.exc_info, record.exc_text = None, _scrub(text, secrets)
        if record.stack_info and any(s in record.stack_info for s in secrets):
            record.stack_info = _scrub(record.stack_info, secrets)
        return True


def _scrub(text: str, secrets: frozenset[str]) -> str:
    for secret in sorted(secrets, key=len, reverse=True):  # a secret containing another goes first
        text = text.replace(secret, REDACTED)
    return text


_REDACTOR = _Redactor()


def redact_logs(prefixes: Iterable[str], secrets: Iterable[str]) -> None:
    """Remove ``secrets`` from the records of every logger named by, or under, one of ``prefixes``. Idempotent."""
    _REDACTOR.add(secrets)
    roots = tuple(prefixes)
    loggers = [logging.getLogger(root) for root in roots]
    for name, logger in list(logging.Logger.manager.loggerDict.items()):
        if isinstance(logger, logging.Logger) and name.startswith(tuple(f"{root}." for root in roots)):
            loggers.append(logger)
    for logger in loggers:
        if _REDACTOR not in logger.filters:
            logger.addFilter(_REDACTOR)
