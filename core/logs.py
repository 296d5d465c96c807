"""Logging that never writes personal data or secrets.

Request logs carry the query string, and a query can hold a judge's one-time link token, a mobile number
typed into a search box or an ID number. :class:`RedactPersonalData` is a filter on the one handler every
record passes through (Litestar's queue handler), so it covers the framework's request log, the
application's own loggers and tracebacks alike. It removes:

- the value of any key that names a secret or personal field (``token=...``, ``'mobile': '...'``);
- anything shaped like a resident ID number (18 characters, or the old 15 digits) or a mainland mobile
  number, wherever it stands.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from litestar.logging.config import LoggingConfig, default_handlers

MASK = "***"
_KEYS = r"token|password|passwd|secret|id_number|idnumber|id_card|mobile|phone|contact|session"
# key=value (query strings, log fields) and 'key': 'value' (dict reprs); the value runs to a delimiter.
_KEY_VALUE = re.compile(rf"(?i)((?:{_KEYS})\w*['\"]?\s*[:=]\s*['\"]?)([^'\"&,;\s}}\])]+)")
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(?:\d{17}[0-9Xx]|\d{15})(?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d{9}(?!\d)")


def redact(text: str) -> str:
    text = _KEY_VALUE.sub(lambda m: m.group(1) + MASK, text)
    text = _ID_NUMBER.sub(MASK, text)
    return _MOBILE.sub(MASK, text)


class RedactPersonalData(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def logging_config(*, debug: bool) -> LoggingConfig:
    """Litestar's logging (a queue handler writing to stderr) with the redacting filter on that handler."""
    handler: dict[str, Any] = {**default_handlers["queue_listener"], "filters": ["redact"]}
    return LoggingConfig(
        root={"level": "INFO", "handlers": ["queue_listener"]},
        filters={"redact": {"()": RedactPersonalData}},
        handlers={"queue_listener": handler},
        log_exceptions="debug" if debug else "never",
    )


ACCESS_LOG = logging.getLogger("yicheng.access")


class AccessLog:
    """One line per answered request, written when its status is known::

        HTTP Request: path=/api/people/, method=GET, query=q=***, status_code=200

    Litestar's logging middleware writes two records per request (the request, then the response), each
    built by its data extractors; in a registration rush that was a sixth of a request's CPU. This writes
    one, from the scope as it is. The query string goes through the same redacting filter as every record.
    Paths matching ``exclude`` (what the public hammers) are not logged.
    """

    def __init__(self, app: Any, exclude: str) -> None:
        self.app = app
        self.exclude = re.compile(exclude)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or self.exclude.search(scope["path"]):
            await self.app(scope, receive, send)
            return

        async def logging_send(message: Any) -> None:
            if message["type"] == "http.response.start":
                query = scope["query_string"].decode("latin-1")
                ACCESS_LOG.info(
                    "HTTP Request: path=%s, method=%s, query=%s, status_code=%d",
                    scope["path"],
                    scope["method"],
                    query,
                    message["status"],
                )
            await send(message)

        await self.app(scope, receive, logging_send)


def access_log(exclude: str) -> Callable[[Any], AccessLog]:
    """The :class:`AccessLog` middleware for Litestar's ``middleware`` list."""
    return lambda app: AccessLog(app, exclude)
