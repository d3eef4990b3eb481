"""Where Pinterest's API v5 answers, how a call to it is signed, and its
answers as the error taxonomy: `{"code", "message"}` bodies, where a 401 with
code 3 is a token missing a scope and a spam block is a 429 that says so."""

import re

import httpx
from firebase_functions.params import StringParam

from platforms import http, oauth
from platforms.base import Tokens
from platforms.errors import AuthExpired, Permanent, PlatformError, RateLimited, Transient

PINTEREST_API_URL = StringParam("PINTEREST_API_URL", default="https://api.pinterest.com")
PINTEREST_AUTH_URL = StringParam("PINTEREST_AUTH_URL", default="https://www.pinterest.com")

NAME = "pinterest"

_DIGITS = re.compile(r"[0-9]+")


def api(path: str) -> str:
    return PINTEREST_API_URL.value.rstrip("/") + path


def auth(path: str) -> str:
    return PINTEREST_AUTH_URL.value.rstrip("/") + path


def bearer(tokens: Tokens) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens.access_token}"}


def is_id(value) -> bool:
    return isinstance(value, str) and bool(_DIGITS.fullmatch(value))


def _rate_limit_wait(response: httpx.Response) -> float | None:
    """Retry-After when given; else X-RateLimit-Reset, which Pinterest sends as
    the seconds left in the limit's window (observed, not documented)."""
    wait = http.retry_after(response)
    if wait is not None:
        return wait
    try:
        return max(0.0, float(response.headers["x-ratelimit-reset"]))
    except (KeyError, ValueError):
        return None


def error(response: httpx.Response, doing: str) -> PlatformError:
    """A Pinterest error body ({"code", "message"}) as the taxonomy. `detail`
    keeps Pinterest's status and code only: its message can quote the Pin."""
    body = http.json_object(response)
    status, code = response.status_code, body.get("code")
    said = str(body.get("message") or "").strip()[:300]
    detail = " ".join(str(x) for x in (status, code) if x is not None)
    kw = {"status": status, "detail": detail}
    if status == 401:
        if code == 3:
            return AuthExpired(NAME, f"Pinterest did not allow {doing}: the connection lacks a permission. "
                                     "Reconnect Pinterest and approve the access it asks for.", **kw)
        return AuthExpired(NAME, "Your Pinterest connection has expired or was revoked; reconnect Pinterest.", **kw)
    if status == 429:
        if "spam" in said.lower():
            message = "Pinterest paused new Pins from this account as suspected spam; will retry later."
        else:
            message = "Pinterest is limiting requests for this account; will retry later."
        return RateLimited(NAME, message, retry_after=_rate_limit_wait(response), **kw)
    if status in (408, 425) or status >= 500:
        return Transient(NAME, f"Pinterest had a temporary problem while {doing}; will retry.", **kw)
    if code == 40:
        message = "Pinterest could not find that board; choose one of your boards again."
    elif code == 2031:
        message = "Pinterest could not find that board section; choose the section again."
    elif code == 50 or (status == 404 and "pin" in said.lower()):
        message = "Pinterest could not find that Pin; it may have been deleted on Pinterest."
    elif status == 403:
        message = f"Pinterest did not allow {doing}" + (f": {said}" if said else ".")
    elif status == 404:
        message = f"Pinterest could not find what it needed while {doing}."
    else:
        message = f"Pinterest refused {doing}" + (f": {said}" if said else ".")
    return Permanent(NAME, message, **kw)


def token_error(response: httpx.Response, *, refreshing: bool) -> PlatformError:
    body = http.json_object(response)
    status = response.status_code
    detail = " ".join(str(x) for x in (status, body.get("code")) if x is not None)
    if status == 429 or status >= 500:
        return error(response, "renewing the Pinterest connection" if refreshing else "connecting Pinterest")
    return oauth.refusal(NAME, "Pinterest", status, detail, refreshing=refreshing, bad_client=status == 401)


# HTTP Basic client authentication and a form body, as the token endpoint documents.
TOKEN_ENDPOINT = oauth.TokenEndpoint(NAME, "Pinterest", lambda: api("/v5/oauth/token"), "basic", token_error)
