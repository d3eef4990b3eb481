"""Requests to a Mastodon instance and its answers read: the token, the
JSON, the errors ({"error", "error_description"?}) as platforms.errors, and
the token answer as Tokens.

Any server can answer here (the address is a person's), so an answer that is
not what Mastodon sends is refused as "not a Mastodon server" rather than read.
"""

import datetime as _dt
import urllib.parse
from collections.abc import Mapping
from typing import Any

from platforms import http, oauth
from platforms.base import Tokens
from platforms.errors import AuthExpired, Permanent, PlatformError, RateLimited, Transient
from platforms.mastodon.address import NETWORK, hostname


def send(method: str, base: str, path: str, *, idempotent: bool, tokens: Tokens | None = None,
         ok: tuple[int, ...] = (), headers: dict[str, str] | None = None, **kwargs):
    """The response to one request to the instance at `base`; a status that
    is not a success (nor one of `ok`) is raised as its error."""
    headers = dict(headers or {})
    if tokens is not None:
        headers["Authorization"] = f"Bearer {tokens.access_token}"
    response = http.send(NETWORK, method, base + path, idempotent=idempotent, headers=headers, **kwargs)
    if response.is_success or response.status_code in ok:
        return response
    raise _error(response, base)


def answer(response, base: str) -> Any:
    """The answer's JSON. Not http.json_object: a body that is no JSON at all
    (a web page) comes from no Mastodon server, and is refused, where an empty
    object is read with the defaults."""
    try:
        return response.json()
    except ValueError:
        raise Permanent(NETWORK, f"{hostname(base)} did not answer like a Mastodon server.",
                        status=response.status_code, detail="not json") from None


def field(body: Any, key: str, base: str) -> Any:
    if isinstance(body, Mapping) and body.get(key) not in (None, ""):
        return body[key]
    raise Permanent(NETWORK, f"{hostname(base)} did not answer like a Mastodon server.", detail=f"missing {key}")


def count(body: Mapping[str, Any], key: str) -> int | None:
    value = body.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def path_id(value: str) -> str:
    return urllib.parse.quote(str(value), safe="")


def tokens(body: Any, base: str) -> Tokens:
    """A token answer as Tokens for the instance at `base`. A lifetime or
    scope of another type than Mastodon's is left out, as if not sent."""
    field(body, "access_token", base)
    expires_in, scope = body.get("expires_in"), body.get("scope")
    fresh = oauth.from_answer({**body, "expires_in": expires_in if isinstance(expires_in, int) else None,
                               "scope": scope if isinstance(scope, str) else None})
    fresh.extra["instance"] = base
    return fresh


def _error(response, base: str) -> PlatformError:
    """Mastodon's error bodies are {"error": "...", "error_description"?: "..."}."""
    host = hostname(base)
    body = http.json_object(response)
    said = body.get("error_description") or body.get("error")
    said = said if isinstance(said, str) else None
    status = response.status_code
    kw = {"status": status, "detail": said}
    if status == 401:
        return AuthExpired(NETWORK, f"Your Mastodon connection to {host} expired or was revoked; reconnect the account.",
                           **kw)
    if status == 429:
        return RateLimited(NETWORK, f"{host} is limiting requests; will retry.", retry_after=_reset_after(response), **kw)
    if status in (408, 425) or status >= 500:
        return Transient(NETWORK, f"{host} had a temporary problem ({status}); will retry.", **kw)
    if status == 422:
        return Permanent(NETWORK, f"{host} refused it: {said or 'the request was not valid'}", **kw)
    return http.classify_status(NETWORK, response, f"{host} refused the request: {said}" if said else "", said)


def _reset_after(response) -> float | None:
    """Seconds until X-RateLimit-Reset (an ISO 8601 time), else Retry-After."""
    from kernel import clock

    value = response.headers.get("x-ratelimit-reset")
    if value:
        try:
            reset = _dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
            if reset.tzinfo is None:
                reset = reset.replace(tzinfo=_dt.timezone.utc)
            return max(0.0, (reset - clock.now()).total_seconds())
        except ValueError:
            pass
    return http.retry_after(response)
