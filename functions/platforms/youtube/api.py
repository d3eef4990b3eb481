"""Requests to the YouTube Data API v3 with the person's bearer token, and
Google's answers read: a JSON object on success, its error reasons mapped
onto the error taxonomy (platforms.errors) otherwise."""

import datetime as _dt
import re

import httpx
from firebase_functions.params import StringParam

from platforms import http
from platforms.base import Tokens
from platforms.errors import AuthExpired, Permanent, PlatformError, RateLimited, Transient

YOUTUBE_API_URL = StringParam("YOUTUBE_API_URL", default="https://www.googleapis.com")

NAME = "youtube"

_TAG = re.compile(r"<[^>]*>")


def send(method: str, path: str, tokens: Tokens, *, idempotent: bool, headers: dict | None = None,
         **kwargs) -> httpx.Response:
    headers = {"Authorization": f"Bearer {tokens.access_token}", **(headers or {})}
    return http.send(NAME, method, f"{YOUTUBE_API_URL.value}{path}", idempotent=idempotent, headers=headers,
                     **kwargs)


def call(method: str, path: str, tokens: Tokens, *, action: str, idempotent: bool = True, **kwargs) -> dict:
    return read(send(method, path, tokens, idempotent=idempotent, **kwargs), action)


def read(response: httpx.Response, action: str) -> dict:
    return http.read(response, lambda refused: error(refused, action))


def reasons(body: dict) -> list[str]:
    error = body.get("error")
    if not isinstance(error, dict):
        return []
    found = [e.get("reason") for e in error.get("errors") or [] if isinstance(e, dict)]
    found += [d.get("reason") for d in error.get("details") or [] if isinstance(d, dict)]
    return [r for r in found if isinstance(r, str)]


def _message(body: dict) -> str:
    error = body.get("error")
    message = error.get("message") if isinstance(error, dict) else None
    return _TAG.sub("", message).strip().rstrip(".") if isinstance(message, str) else ""


def summary(body: dict) -> str:
    """Google's own words for logs: status, reasons, domains, message."""
    error = body.get("error")
    if isinstance(error, str):  # OAuth endpoints
        return f"{error}: {body.get('error_description', '')}"[:500]
    if not isinstance(error, dict):
        return ""
    bits = [str(error.get("status") or ""), ",".join(reasons(body))]
    bits += [str(e.get("domain")) for e in error.get("errors") or [] if isinstance(e, dict) and e.get("domain")]
    bits.append(_message(body))
    return "; ".join(b for b in bits if b)[:500]


def _until_quota_reset() -> float | None:
    """Seconds until midnight Pacific Time, when YouTube's daily quota resets."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from kernel import clock

    try:
        pacific = ZoneInfo("America/Los_Angeles")
    except ZoneInfoNotFoundError:
        return None
    now = clock.now().astimezone(pacific)
    midnight = _dt.datetime.combine(now.date() + _dt.timedelta(days=1), _dt.time(0), tzinfo=pacific)
    return (midnight.astimezone(_dt.timezone.utc) - now.astimezone(_dt.timezone.utc)).total_seconds()


def error(response: httpx.Response, action: str) -> PlatformError:
    status = response.status_code
    body = http.json_object(response)
    found = set(reasons(body))
    reason = _message(body)
    kw = {"status": status, "detail": summary(body) or f"HTTP {status}"}
    if "youtubeSignupRequired" in found:
        return Permanent(NAME, "This Google account has no YouTube channel yet; create one on YouTube, then "
                               "connect it again.", **kw)
    if status == 401:
        return AuthExpired(NAME, "Your YouTube connection has expired or was revoked; reconnect your YouTube "
                                 "account.", **kw)
    if found & {"quotaExceeded", "dailyLimitExceeded"}:
        return RateLimited(NAME, "postr has used its YouTube allowance for today; it renews at midnight Pacific "
                                 "Time and postr will try again then.", retry_after=_until_quota_reset(), **kw)
    if status == 429 or found & {"rateLimitExceeded", "userRateLimitExceeded", "uploadRateLimitExceeded"}:
        return RateLimited(NAME, "YouTube is limiting requests right now; postr will retry later.",
                           retry_after=http.retry_after(response), **kw)
    if "uploadLimitExceeded" in found:
        return Permanent(NAME, "This channel has reached the number of videos YouTube lets it upload for now "
                               "(a limit over 24 hours); schedule the video again tomorrow.", **kw)
    if found & {"insufficientPermissions", "ACCESS_TOKEN_SCOPE_INSUFFICIENT"}:
        return Permanent(NAME, "This YouTube connection is missing a permission postr needs; reconnect your "
                               "YouTube account and allow what postr asks for.", **kw)
    if "accessNotConfigured" in found:
        return Permanent(NAME, "postr's Google project is not set up for the YouTube Data API; this is on "
                               "postr's side, not yours.", **kw)
    if "commentsDisabled" in found:
        return Permanent(NAME, "Comments are turned off on this video, so the first comment was not posted.", **kw)
    if status >= 500 or status == 408:
        return Transient(NAME, "YouTube had a temporary problem; postr will retry.", **kw)
    if status == 404:
        return Permanent(NAME, f"YouTube could not find what was needed to {action}.", **kw)
    return Permanent(NAME, f"YouTube refused to {action}" + (f": {reason}." if reason else "."), **kw)
