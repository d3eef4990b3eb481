"""OAuth 2.0 as the networks speak it: the authorization request (RFC 6749
§4.1.1, with an RFC 7636 S256 challenge where the network uses PKCE), the
token endpoint as networks that follow the RFC closely answer it (the request
with our client secret, the answer read into Tokens, a refresh answer merged
with what the connection already holds, and `TokenEndpoint`, the whole code
grant at an endpoint that answers as the RFC says, LinkedIn's and Pinterest's,
whose refusals say little beyond the status and are worded for a person by
`refusal`). Each network keeps its own endpoints,
error wording and checks before a refresh; what is here is only what reads the
same for all of them.
"""

import datetime as _dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import httpx

from kernel import clock
from platforms import http
from platforms.base import AppCredentials, Tokens
from platforms.errors import AuthExpired, Permanent, PlatformError


def scopes(value: str | None) -> list[str]:
    """A scope string as a list: RFC 6749 separates scopes with spaces, and
    some networks answer with commas (LinkedIn, Pinterest)."""
    return [s for s in re.split(r"[\s,]+", value or "") if s]


def authorization_url(endpoint: str, *, client_id: str, redirect_uri: str, state: str, scopes: Sequence[str],
                      scope_separator: str = " ", code_challenge: str | None = None,
                      client_id_param: str = "client_id", **extra: str) -> str:
    """The URL of the network's sign-in page for an authorization code grant.
    Scopes are joined the network's way (RFC 6749 §3.3 says spaces; Meta,
    TikTok and Pinterest take commas); TikTok calls the client id `client_key`;
    `extra` carries a network's own parameters."""
    import urllib.parse

    params = {"response_type": "code", client_id_param: client_id, "redirect_uri": redirect_uri,
              "scope": scope_separator.join(scopes), "state": state, **extra}
    if code_challenge:
        params |= {"code_challenge": code_challenge, "code_challenge_method": "S256"}
    separator = "&" if "?" in endpoint else "?"
    return f"{endpoint}{separator}{urllib.parse.urlencode(params, quote_via=urllib.parse.quote)}"


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


@dataclass(frozen=True)
class TokenEndpoint:
    network: str
    display_name: str
    # Read at each request: the address comes from a param.
    url: Callable[[], str]
    client_auth: Literal["basic", "post"]
    # refused(response, refreshing=...): the error for an answer without tokens.
    refused: Callable[..., PlatformError]

    def exchange(self, app: AppCredentials, form: dict[str, str], *, requested: Sequence[str]) -> Tokens:
        """A code (and the redirect_uri it was issued for, and any network
        fields) for tokens, RFC 6749 §4.1.3."""
        return self._request(app, {"grant_type": "authorization_code", **form}, refreshing=False, requested=requested)

    def refresh(self, app: AppCredentials, tokens: Tokens) -> Tokens:
        """New tokens for the connection's refresh token (RFC 6749 §6), which
        the caller has checked it holds; see oauth.refreshed for what is kept."""
        fresh = self._request(app, {"grant_type": "refresh_token", "refresh_token": tokens.refresh_token},
                              refreshing=True)
        return refreshed(fresh, tokens)

    def _request(self, app: AppCredentials, form: dict[str, str], *, refreshing: bool,
                 requested: Sequence[str] = ()) -> Tokens:
        return request(self.network, self.display_name, app, self.url(), form, client_auth=self.client_auth,
                             refused=lambda response: self.refused(response, refreshing=refreshing),
                             requested=requested)


def refusal(network: str, display_name: str, status: int, detail: str, *, refreshing: bool,
            bad_client: bool) -> PlatformError:
    """`bad_client`: the network refused our client id or secret, which only
    the operator can fix. Otherwise a refused refresh token means the person
    must reconnect (AuthExpired), and a refused code that the sign-in must be
    done again (Permanent: the same code never works twice)."""
    kw = {"status": status, "detail": detail}
    if bad_client:
        return Permanent(network, f"{display_name} rejected postr's app credentials; the operator must fix the "
                                  f"{display_name} app settings.", **kw)
    if refreshing:
        return AuthExpired(network, f"{display_name} no longer accepts this connection's refresh token; reconnect "
                                    f"{display_name}.", **kw)
    return Permanent(network, f"{display_name} did not accept the sign-in (it may have expired or been used "
                              f"already); connect {display_name} again.", **kw)
