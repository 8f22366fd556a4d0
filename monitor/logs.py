"""Logging for people (text) or for log collectors (JSON, one object per line).

The daemon polls many sources concurrently, so a log line cannot rely on its neighbours
for context: `current_source` (a context variable, local to each asyncio task) names the
source a poll job is working on, and every record made inside that job carries it as
`source` — in JSON it is a field of its own.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

current_source: ContextVar[str | None] = ContextVar("current_source", default=None)

# httpx logs full request URLs at INFO: a Slack webhook URL is a secret.
QUIET = ("httpx", "httpcore", "apscheduler.executors", "apscheduler.scheduler", "mail.log")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# Attributes every LogRecord has; anything else was passed with `extra=` and is data.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message", "asctime", "source", "taskName"}

_handler: logging.Handler | None = None  # the one handler this module installed


class SourceFilter(logging.Filter):
    """Stamp each record with the source of the poll job it was made in, if any."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "source", None) is None:
            record.source = current_source.get()
        return True


# C0 and C1 controls, DEL and the Unicode line/paragraph separators: any of them can
# split a text log line or rewrite the terminal showing it, and source names, URLs and
# error messages from outlets can carry them.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def escape_controls(text: str) -> str:
    """`text` with control characters written as escapes: one log line stays one line."""
    return _CONTROL.sub(_escape, text)


def _escape(found: re.Match[str]) -> str:
    char = found.group(0)
    code = ord(char)
    return _NAMED.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


class TextFormatter(logging.Formatter):
    """TEXT_FORMAT with the message part escaped (a traceback after it keeps its lines)."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def formatMessage(self, record: logging.LogRecord) -> str:
        return escape_controls(super().formatMessage(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, source, and any extras."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if getattr(record, "source", None):
            data["source"] = record.source
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                data[key] = value if isinstance(value, int | float | str | bool) else str(value)
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False)


def setup_logging(level: str, fmt: str = "text") -> None:
    """Log to stderr at `level` as `fmt` (text | json). Calling again (config reload)
    replaces this module's handler; a handler someone else installed first (a test
    harness) is left alone, as logging.basicConfig would."""
    global _handler
    root = logging.getLogger()
    for noisy in QUIET:
        logging.getLogger(noisy).setLevel(logging.WARNING)
    if _handler is None and root.handlers:
        return
    if _handler is not None:
        root.removeHandler(_handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(SourceFilter())
    handler.setFormatter(formatter(fmt))
    root.addHandler(handler)
    root.setLevel(level.upper())
    _handler = handler


def set_format(fmt: str) -> None:
    """Switch the installed handler between text and JSON (SIGHUP with a new log_format)."""
    if _handler is not None:
        _handler.setFormatter(formatter(fmt))


def formatter(fmt: str) -> logging.Formatter:
    """The formatter for `fmt` (text | json). JSON escapes control characters itself."""
    return JsonFormatter() if fmt == "json" else TextFormatter()
