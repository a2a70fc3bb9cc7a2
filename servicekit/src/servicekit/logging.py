"""JSON logs carrying trace ids, with a filter that redacts secrets before anything is written."""

from __future__ import annotations

import logging
import re
from typing import Any

from pythonjsonlogger.json import JsonFormatter

from servicekit.settings import ServiceSettings
from servicekit.telemetry import current_trace_id

REDACTED = "[REDACTED]"
_SECRET_KEYS = re.compile(
    r"(password|passwd|secret|token|authorization|api[_-]?key|private[_-]?key|totp|otp_code)",
    re.IGNORECASE,
)
_SECRET_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"(?i)(bearer\s+)[A-Za-z0-9\-_.~+/]+=*"), r"\1" + REDACTED),
    (re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+"), REDACTED),
    (
        re.compile(
            r"(?i)((?:password|passwd|secret|client_secret|token|api_key)[\"']?\s*[=:]\s*)"
            r"(\"[^\"]*\"|'[^']*'|[^\s,;&]+)"
        ),
        r"\1" + REDACTED,
    ),
    (re.compile(r"(?i)(://[^:/\s]+:)[^@/\s]+(@)"), r"\1" + REDACTED + r"\2"),
]


def redact_text(text: str) -> str:
    """Mask bearer tokens, JWTs, key=value secrets and URL passwords in free text."""
    for pattern, replacement in _SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def redact_value(key: str, value: Any) -> Any:
    """Mask a structured field whose name says it is secret; recurse into mappings."""
    if _SECRET_KEYS.search(key):
        return REDACTED
    if isinstance(value, dict):
        return {k: redact_value(str(k), v) for k, v in value.items()}
    if isinstance(value, str):
        return redact_text(value)
    return value


class RedactingFilter(logging.Filter):
    """Rewrites each record so secrets never reach a handler, whatever the caller logged."""

    _STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            try:
                record.msg = record.getMessage()
            except (TypeError, ValueError):
                record.msg = str(record.msg)
            record.args = None
        record.msg = redact_text(str(record.msg))
        for key, value in list(record.__dict__.items()):
            if key not in self._STANDARD:
                setattr(record, key, redact_value(key, value))
        return True


class TraceIdFilter(logging.Filter):
    """Adds the current trace id so logs and traces can be joined."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.trace_id = current_trace_id()
        return True


def configure_logging(settings: ServiceSettings) -> None:
    """Root logging for the process: JSON lines (or plain text for local reading)."""
    root = logging.getLogger()
    if any(getattr(h, "_camwatch", False) for h in root.handlers):
        return
    handler = logging.StreamHandler()
    handler._camwatch = True  # type: ignore[attr-defined]
    handler.addFilter(TraceIdFilter())
    handler.addFilter(RedactingFilter())
    if settings.log_json:
        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s",
                rename_fields={"levelname": "level", "asctime": "time"},
                static_fields={"service": settings.service_name},
            )
        )
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root.addHandler(handler)
    root.setLevel(settings.log_level)
