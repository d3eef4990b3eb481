"""Structured JSON logs (Cloud Logging reads `severity` and the fields) through the
firebase-functions logger, with the request id of the call being served.

Nothing secret or private reaches a log line: values under sensitive keys are
replaced before writing, at any depth. Callers still pass only ids and counts.
"""

import contextvars
import re
import uuid

from firebase_functions import logger as _logger

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)

# Keys whose values are secrets or user content (a post body, a prompt, an email text).
_SENSITIVE = re.compile(
    r"(token|secret|password|passwd|authorization|api[_-]?key|private[_-]?key|cookie|"
    r"credential|verifier|^code$|auth_?code|text|body|caption|prompt|completion|content|birth)",
    re.IGNORECASE,
)
REDACTED = "[redacted]"


def new_request_id(trace_header: str | None = None) -> str:
    """Take the trace id Cloud Run sends (X-Cloud-Trace-Context) or make one."""
    rid = (trace_header or "").split("/", 1)[0].strip() or uuid.uuid4().hex
    _request_id.set(rid)
    return rid


def request_id() -> str | None:
    return _request_id.get()


def redact(value, key: str | None = None):
    if key is not None and _SENSITIVE.search(key):
        return REDACTED
    if isinstance(value, dict):
        return {k: redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    return value


def _fields(fields: dict) -> dict:
    out = redact(fields)
    rid = _request_id.get()
    if rid:
        out["requestId"] = rid
    return out


def info(message: str, **fields) -> None:
    _logger.info(message, **_fields(fields))


def warn(message: str, **fields) -> None:
    _logger.warn(message, **_fields(fields))


def error(message: str, **fields) -> None:
    _logger.error(message, **_fields(fields))


def security_event(event: str, uid: str | None, **fields) -> None:
    """Policy section 5: security-relevant events (sign-in refusals, account
    disabling, token changes) land in one searchable shape: jsonPayload.security."""
    _logger.warn(f"security: {event}", **_fields({"security": event, "uid": uid, **fields}))
