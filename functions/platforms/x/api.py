"""Requests to the X API v2 with the person's bearer token, and X's answers
read: a JSON object on success, its problem details mapped onto the error
taxonomy (platforms.errors) otherwise."""

import re

import httpx
from firebase_functions.params import StringParam

from platforms import http
from platforms.base import Tokens
from platforms.errors import AuthExpired, Permanent, PlatformError, RateLimited, Transient

X_API_URL = StringParam("X_API_URL", default="https://api.x.com")

NAME = "x"
# Post and media ids alike: 1 to 19 digits.
ID = re.compile(r"[0-9]{1,19}")


def send(method: str, path: str, tokens: Tokens, *, idempotent: bool, **kwargs) -> httpx.Response:
    headers = {"Authorization": f"Bearer {tokens.access_token}"}
    return http.send(NAME, method, f"{X_API_URL.value}{path}", idempotent=idempotent, headers=headers, **kwargs)


def call(method: str, path: str, tokens: Tokens, *, action: str, idempotent: bool = True, **kwargs) -> dict:
    """Send and read. Media requests count as idempotent: repeating one publishes nothing."""
    return read(send(method, path, tokens, idempotent=idempotent, **kwargs), action)


def read(response: httpx.Response, action: str) -> dict:
    return http.read(response, lambda refused: error(refused, action))


def summary(body: dict) -> str:
    """X's own words for logs: problem type, title, detail and error messages
    (never parameters, which may echo the post)."""
    bits = [str(body[k]) for k in ("type", "title", "detail", "error", "error_description") if body.get(k)]
    for e in body.get("errors") or []:
        if isinstance(e, dict):
            bits += [str(e[k]) for k in ("type", "title", "detail", "message") if e.get(k)]
    return "; ".join(bits)[:500]


def _reason(body: dict) -> str:
    """X's explanation, for a person: the detail, else the title, else the first error message."""
    messages = [e.get("message") or e.get("detail") for e in body.get("errors") or [] if isinstance(e, dict)]
    messages = [m for m in messages if m]
    if body.get("detail") and body.get("detail") != body.get("title"):
        extra = f" ({'; '.join(messages)})" if messages else ""
        return f"{str(body['detail']).rstrip('.')}{extra}"
    return messages[0] if messages else (body.get("title") or "")


def error(response: httpx.Response, action: str) -> PlatformError:
    status = response.status_code
    body = http.json_object(response)
    kind = body.get("type", "")
    reason = _reason(body).rstrip(".")
    kw = {"status": status, "detail": summary(body) or f"HTTP {status}"}
    if status == 401:
        return AuthExpired(NAME, "Your X connection has expired or was revoked; reconnect your X account.", **kw)
    if status == 429 or kind.endswith(("/usage-capped", "/rate-limit-exceeded")):
        return RateLimited(NAME, "X is limiting requests for this account right now; postr will retry later.",
                           retry_after=_retry_after(response), **kw)
    if status >= 500 or status == 408:
        return Transient(NAME, "X had a temporary problem; postr will retry.", **kw)
    if status == 403:
        if "duplicate content" in reason.lower():
            return Permanent(NAME, "X refused this post because it repeats one already on this account.", **kw)
        if kind.endswith("/client-forbidden"):
            return Permanent(NAME, "postr's X app is not allowed to do this (X developer access); "
                                   "this is on postr's side, not yours.", **kw)
        return Permanent(NAME, f"X did not allow postr to {action.removesuffix(' on X')}"
                               + (f": {reason}." if reason and reason != "Forbidden" else "."), **kw)
    if status == 404:
        return Permanent(NAME, f"X could not find what was needed to {action.removesuffix(' on X')}.", **kw)
    return Permanent(NAME, f"X refused to {action.removesuffix(' on X')}" + (f": {reason}." if reason else "."), **kw)


def _retry_after(response: httpx.Response) -> float | None:
    """Seconds until the exhausted limit resets: Retry-After if sent, else the
    latest reset among the windows with nothing remaining (15-minute, and the
    24-hour user and app windows of posting), else x-rate-limit-reset."""
    from kernel import clock

    seconds = http.retry_after(response)
    if seconds is not None:
        return seconds
    headers = response.headers
    resets = []
    for prefix in ("x-rate-limit", "x-user-limit-24hour", "x-app-limit-24hour"):
        reset = headers.get(f"{prefix}-reset", "")
        if reset.isdigit() and headers.get(f"{prefix}-remaining") == "0":
            resets.append(int(reset))
    if not resets and headers.get("x-rate-limit-reset", "").isdigit():
        resets.append(int(headers["x-rate-limit-reset"]))
    if not resets:
        return None
    return max(0.0, max(resets) - clock.now().timestamp())
