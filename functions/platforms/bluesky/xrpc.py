"""Calls to a Bluesky server over XRPC (`{server}/xrpc/{nsid}`) and their
errors: XRPC answers {"error": name, "message": text}, and the name decides,
since an expired token is a 400 (ExpiredToken), not a 401."""

from kernel import clock
from platforms import http
from platforms.errors import AuthExpired, Permanent, PlatformError, RateLimited, Transient

NAME = "bluesky"
# What a PDS with no AppView configured answers for app.bsky.* calls.
NO_APPVIEW = "No service configured for"


def fail(message: str, detail: str | None = None) -> Permanent:
    return Permanent(NAME, message, detail=detail)


def call(method: str, base: str, nsid: str, *, token: str | None = None, idempotent: bool,
         signing_in: bool = False, params: dict | None = None, body: dict | None = None,
         content=None, headers: dict | None = None) -> dict:
    h = dict(headers or {})
    if token:
        h["Authorization"] = f"Bearer {token}"
    kwargs = {"headers": h, "params": params}
    if body is not None:
        kwargs["json"] = body
    elif content is not None:
        kwargs["content"] = content
    response = http.send(NAME, method, f"{base}/xrpc/{nsid}", idempotent=idempotent, **kwargs)
    if response.status_code >= 400:
        raise _error(response, signing_in=signing_in)
    if not response.content:
        return {}
    try:
        return response.json()
    except ValueError:
        raise Transient(NAME, "Bluesky answered with something that is not JSON; will retry.",
                        status=response.status_code, detail="non-JSON success body") from None


def _retry_after(response) -> float | None:
    """Retry-After when sent, else the RateLimit-Reset instant (epoch seconds)."""
    seconds = http.retry_after(response)
    if seconds is not None:
        return seconds
    reset = response.headers.get("ratelimit-reset")
    try:
        return max(0.0, float(reset) - clock.now().timestamp()) if reset else None
    except ValueError:
        return None


def _error(response, *, signing_in: bool = False) -> PlatformError:
    """Map an XRPC error answer onto the taxonomy."""
    answer = http.json_object(response)
    name, text = answer.get("error"), answer.get("message")
    status = response.status_code
    detail = f"{status} {name or ''}: {text or ''}".strip()
    kw = {"status": status, "detail": detail}
    if name in ("ExpiredToken", "InvalidToken"):
        return AuthExpired(NAME, "Your Bluesky session has expired; reconnect Bluesky.", **kw)
    if name == "AccountTakedown":
        return Permanent(NAME, "Your Bluesky account has been taken down by its host.", **kw)
    if name == "AccountDeactivated":
        return Permanent(NAME, "Your Bluesky account is deactivated; reactivate it in Bluesky first.", **kw)
    if name == "AuthFactorTokenRequired":
        return Permanent(NAME, "Bluesky asked for a sign-in code: connect with an app password "
                               "(Bluesky Settings > Privacy and security > App passwords).", **kw)
    if status == 401 and signing_in:
        return Permanent(NAME, "Bluesky did not accept that handle and app password.", **kw)
    if status == 429 or name == "RateLimitExceeded":
        return RateLimited(NAME, "Bluesky is limiting requests; will retry.", retry_after=_retry_after(response), **kw)
    if status == 413 or name in ("PayloadTooLarge", "BlobTooLarge"):
        return Permanent(NAME, "The file is larger than your Bluesky server accepts.", **kw)
    if status == 401:
        return AuthExpired(NAME, "Bluesky no longer accepts this connection; reconnect Bluesky.", **kw)
    if status in (408, 425) or status >= 500:
        return Transient(NAME, "Bluesky had a temporary problem; will retry.", **kw)
    if text:
        return Permanent(NAME, f"Bluesky refused the request: {text}", **kw)
    return http.classify_status(NAME, response, f"Bluesky refused the request (HTTP {status}).", detail)
