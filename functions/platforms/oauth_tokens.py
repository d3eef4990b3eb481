"""The OAuth 2.0 token endpoint as networks that follow RFC 6749 closely
answer it (LinkedIn, Pinterest): the request with our client secret, the
answer read into Tokens, and a refresh answer merged with what the connection
already holds. Each network keeps its own endpoint, error wording and checks
before a refresh; what is here is only what reads the same for all of them.
"""

import datetime as _dt
import re
from collections.abc import Callable, Sequence
from typing import Literal

import httpx

from kernel import clock
from platforms import http
from platforms.base import AppCredentials, Tokens
from platforms.errors import Permanent, PlatformError


def scopes(value: str | None) -> list[str]:
    """A scope string as a list: RFC 6749 separates scopes with spaces, and
    some networks answer with commas (LinkedIn, Pinterest)."""
    return [s for s in re.split(r"[\s,]+", value or "") if s]


def request(network: str, display_name: str, app: AppCredentials, url: str, form: dict[str, str], *,
            client_auth: Literal["basic", "post"], refused: Callable[[httpx.Response], PlatformError],
            requested: Sequence[str] = ()) -> Tokens:
    """POST a token request (an authorization code or a refresh token in
    `form`) and read the answer into Tokens. `client_auth` is how the network
    takes our client id and secret (RFC 6749 §2.3.1): "basic" in an HTTP Basic
    header, "post" in the form body. `refused` words the network's error for an
    answer that is not a 200 with an access token. `requested`: the scopes the
    authorization asked for, for a code exchange (see `from_answer`); a refresh
    passes none and `refreshed` completes it from the connection."""
    if not app.client_secret:
        raise Permanent(network, f"postr's {display_name} app has no client secret configured.")
    if client_auth == "basic":
        sent = {"data": form, "auth": httpx.BasicAuth(app.client_id, app.client_secret)}
    else:
        sent = {"data": {**form, "client_id": app.client_id, "client_secret": app.client_secret}}
    response = http.send(network, "POST", url, idempotent=True, **sent)
    body = http.json_object(response)
    if response.status_code != 200 or not body.get("access_token"):
        raise refused(response)
    return from_answer(body, requested)


def from_answer(body: dict, requested: Sequence[str] = ()) -> Tokens:
    """A successful token answer (RFC 6749 §5.1) as Tokens; lifetimes in
    seconds become instants. When the refresh token itself lapses
    (refresh_token_expires_in, not in the RFC) goes in extra["refresh_expires_at"].

    Scopes are the ones the answer says were granted, which may be fewer than
    were asked for. An answer without `scope` granted exactly what was asked
    (§5.1: "OPTIONAL, if identical to the scope requested by the client;
    otherwise, REQUIRED"), so the `requested` ones stand in for it."""
    now = clock.now()
    extra = {}
    if body.get("refresh_token_expires_in"):
        extra["refresh_expires_at"] = (now + _dt.timedelta(seconds=int(body["refresh_token_expires_in"]))).isoformat()
    return Tokens(
        access_token=body["access_token"],
        refresh_token=body.get("refresh_token") or None,
        expires_at=now + _dt.timedelta(seconds=int(body["expires_in"])) if body.get("expires_in") else None,
        scopes=scopes(body.get("scope")) or list(requested),
        extra=extra,
    )


def refreshed(fresh: Tokens, held: Tokens) -> Tokens:
    """A refresh answer completed from the connection it renews. A new refresh
    token replaces the old one, which is kept only when none came (the server
    MAY issue a new one, RFC 6749 §6); scopes left out of the answer are the
    ones held (§5.1: scope is optional when unchanged); network specifics held
    in extra stay unless the answer renews them."""
    fresh.refresh_token = fresh.refresh_token or held.refresh_token
    fresh.scopes = fresh.scopes or list(held.scopes)
    fresh.extra = {**held.extra, **fresh.extra}
    return fresh
