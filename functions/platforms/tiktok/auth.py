"""Connecting a TikTok account: Login Kit for Web and TikTok's token endpoint.

- Login Kit for Web: the person consents at `www.tiktok.com/v2/auth/authorize/`
  (client_key, comma-separated scope, response_type=code, redirect_uri,
  state). PKCE is "required for mobile and desktop app only": the web flow
  has none, the client secret proves postr. `POST /v2/oauth/token/` (form:
  client_key, client_secret) trades the code, later the refresh token, for
  tokens: access 24 hours, refresh 365 days, and "the returned refresh_token
  may be different than the one passed": the new one is kept. `scope` lists
  what the person granted (they may refuse any). `POST /v2/oauth/revoke/`
  takes the access token and removes postr from the person's app permissions
  (an empty body on success). OAuth errors are {"error", "error_description",
  "log_id"}; their HTTP status is not documented, so the `error` field decides.
"""

from collections.abc import Sequence

from firebase_functions.params import StringParam

from platforms import http, oauth
from platforms.base import AppCredentials, Tokens
from platforms.errors import AuthExpired, Permanent, Transient
from platforms.tiktok.api import NAME, TIKTOK_API_URL, api_error

TIKTOK_AUTH_URL = StringParam("TIKTOK_AUTH_URL", default="https://www.tiktok.com/v2/auth/authorize/")


def authorization_url(app: AppCredentials, *, state: str, redirect_uri: str, scopes: Sequence[str]) -> str:
    return oauth.authorization_url(TIKTOK_AUTH_URL.value, client_id=app.client_id, redirect_uri=redirect_uri,
                                   state=state, scopes=scopes, scope_separator=",", client_id_param="client_key")


def exchange_code(app: AppCredentials, *, code: str, redirect_uri: str) -> Tokens:
    body = _token_call(app, "/v2/oauth/token/", {
        "code": code, "grant_type": "authorization_code", "redirect_uri": redirect_uri,
    }, refused=lambda d: Permanent(NAME, "TikTok did not accept the sign-in (it expired or was already used); "
                                         "connect your TikTok account again.", detail=d))
    return _tokens(body, previous=None)


def refresh(app: AppCredentials, tokens: Tokens) -> Tokens:
    if not tokens.refresh_token:
        raise AuthExpired(NAME, "Your TikTok connection has expired; reconnect your TikTok account.")
    body = _token_call(app, "/v2/oauth/token/", {
        "grant_type": "refresh_token", "refresh_token": tokens.refresh_token,
    }, refused=lambda d: AuthExpired(NAME, "TikTok no longer accepts this connection (it was revoked or "
                                           "expired); reconnect your TikTok account.", detail=d))
    return _tokens(body, previous=tokens)


def revoke(app: AppCredentials, tokens: Tokens) -> bool:
    """Revoke takes an access token, which lasts a day: when TikTok no
    longer takes the one held, a fresh one from the refresh token is
    revoked instead, so postr leaves the person's app permissions. If
    neither token works, nothing is left to revoke."""
    if _revoke(app, tokens.access_token) or not tokens.refresh_token:
        return True
    try:
        fresh = refresh(app, tokens)
    except AuthExpired:
        return True
    _revoke(app, fresh.access_token)
    return True


def _revoke(app: AppCredentials, access_token: str) -> bool:
    """True when TikTok revoked the token; False when it no longer knew it."""
    stale = []
    _token_call(app, "/v2/oauth/revoke/", {"token": access_token}, refused=stale.append)
    return not stale


def _token_call(app: AppCredentials, path: str, form: dict, *, refused) -> dict:
    form = {"client_key": app.client_id, "client_secret": app.client_secret or "", **form}
    # A spent code or rotated refresh token cannot be sent again, so a lost
    # answer is OutcomeUnknown; revoking twice is harmless.
    response = http.send(NAME, "POST", f"{TIKTOK_API_URL.value}{path}", idempotent=path.endswith("/revoke/"),
                         headers={"Cache-Control": "no-cache"}, data=form)
    body = http.json_object(response)
    error = body.get("error")
    detail = _oauth_detail(body) or f"HTTP {response.status_code}"
    if isinstance(error, str) and error:
        if error == "invalid_grant":
            refusal = refused(detail)
            if refusal is not None:
                raise refusal
            return {}
        if error in ("invalid_client", "unauthorized_client"):
            raise Permanent(NAME, "TikTok refused postr's app credentials; this is on postr's side, not yours.",
                            status=response.status_code, detail=detail)
        if error in ("server_error", "temporarily_unavailable") or response.status_code >= 500:
            raise Transient(NAME, "TikTok's sign-in service had a temporary problem; will retry.",
                            status=response.status_code, detail=detail)
        raise Permanent(NAME, "TikTok refused the sign-in request; connect your TikTok account again.",
                        status=response.status_code, detail=detail)
    if response.status_code >= 400:
        raise api_error(response, {}, "connect your TikTok account")
    return body


def _tokens(body: dict, previous: Tokens | None) -> Tokens:
    if not body.get("access_token"):
        raise Permanent(NAME, "TikTok did not return a token; connect your TikTok account again.",
                        detail=_oauth_detail(body))
    # TikTok documents `scope` in every token answer: what the person
    # granted (they may refuse any). Without it the grant is unknown ([]),
    # which later calls read as "ask for everything"; a refresh keeps the
    # grant the connection held.
    scope = body.get("scope")
    tokens = oauth.from_answer({**body, "scope": scope if isinstance(scope, str) else None})
    if previous:
        tokens = oauth.refreshed(tokens, previous)
    if body.get("open_id"):
        tokens.extra["open_id"] = str(body["open_id"])
    return tokens


def _oauth_detail(body: dict) -> str:
    return "; ".join(str(body[k]) for k in ("error", "error_description", "log_id") if body.get(k))[:500]
