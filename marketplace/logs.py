"""Logging: request ids on every line; JSON lines in production; secrets and emails redacted."""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

from flask import g, has_app_context

# What must never reach a log line, whoever logs it (our code, SQLAlchemy, psycopg, werkzeug, rq).
_SENSITIVE_FIELDS = r"(?:password|passwd|secret|token|api_key|access_token|refresh_token|authorization)"
_REDACTIONS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?i)\bbearer\s+[\w.~+/=-]+"), "Bearer [redacted]"),
    (re.compile(r"\beyJ[\w-]*\.[\w-]*\.[\w-]*"), "[redacted-jwt]"),
    (re.compile(r"\b(?:sk|rk)_(?:live|test)_\w+"), "[redacted-stripe-key]"),
    (re.compile(r"\bwhsec_\w+"), "[redacted-webhook-secret]"),
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "[redacted-email]"),
    # password='x', "token": "x", secret=x (reprs, JSON, query strings)
    (
        re.compile(
            rf"(?i)(['\"]?\b\w*{_SENSITIVE_FIELDS}['\"]?\s*[:=]\s*)(?:'[^']*'|\"[^\"]*\"|[^\s,;&'\"}}]+)"
        ),
        r"\1[redacted]",
    ),
)


def redact(text: str) -> str:
    """Mask tokens, Stripe secrets, email addresses and secret-named fields in a log text."""
    for pattern, replacement in _REDACTIONS:
        text = pattern.sub(replacement, text)
    return text


def _redact_record(record: logging.LogRecord) -> None:
    """Redact a record's message and traceback once, at creation, so that every handler sees the same."""
    try:
        message = record.getMessage()
    except Exception:  # a malformed call: leave it to the handler's usual error reporting
        return
    record.msg, record.args = redact(message), None
    if record.exc_info and not record.exc_text:
        record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
    if record.stack_info:
        record.stack_info = redact(record.stack_info)


def _install_redaction() -> None:
    """Wrap the log record factory once per process: records are redacted before any handler runs."""
    factory = logging.getLogRecordFactory()
    if getattr(factory, "_marketplace_redacting", False):
        return

    def redacting_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = factory(*args, **kwargs)
        _redact_record(record)
        return record

    redacting_factory._marketplace_redacting = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(redacting_factory)


def _not_a_job_result(record: logging.LogRecord) -> bool:
    """rq logs every job's return value at DEBUG; ours include personal data exports."""
    return not (record.levelno == logging.DEBUG and ": result: " in str(record.msg))


class RequestIdFilter(logging.Filter):
    """Attach the current request id (or '-') to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = (g.get("request_id") if has_app_context() else None) or "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log shippers."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        if record.exc_info:
            entry["exception"] = record.exc_text or self.formatException(record.exc_info)
        return json.dumps(entry)


def configure(level: str, json_lines: bool) -> None:
    """Install one handler on the root logger and the redaction (idempotent across app factories)."""
    _install_redaction()
    rq_worker = logging.getLogger("rq.worker")
    if _not_a_job_result not in rq_worker.filters:
        rq_worker.addFilter(_not_a_job_result)
    root = logging.getLogger()
    root.setLevel(level)
    for handler in list(root.handlers):
        if getattr(handler, "_marketplace", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler._marketplace = True  # type: ignore[attr-defined]
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(
        JsonFormatter()
        if json_lines
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")
    )
    root.addHandler(handler)
