"""X's token endpoints (`POST /2/oauth2/token` and `/2/oauth2/revoke`) and
their answers read into Tokens.

platforms.oauth.request does not fit X: X takes public clients (no secret,
`client_id` in the form) and a spent code or rotated refresh token cannot be
sent twice, so a lost answer here is OutcomeUnknown, not a retry."""

from collections.abc import Callable, Sequence

import httpx

from platforms import http, oauth
from platforms.base import AppCredentials, Tokens
from platforms.errors import Permanent, PlatformError
from platforms.x import api
from platforms.x.api import NAME


def token_call(app: AppCredentials, path: str, form: dict, *,
               refused: Callable[[str], PlatformError] | None) -> dict:
    """POST to a token endpoint; a 400 raises `refused(X's words)`, or with
    `refused` None is returned like a success (a revoke of a token X no
    longer knows)."""
    if app.client_secret:
        sent = {"data": form, "auth": httpx.BasicAuth(app.client_id, app.client_secret)}
    else:
        sent = {"data": {**form, "client_id": app.client_id}}
    # A spent authorization code or rotated refresh token cannot be sent
    # again, so a lost answer is OutcomeUnknown, not a retry. Revoking twice is harmless.
    idempotent = path.endswith("/revoke")
    response = http.send(NAME, "POST", f"{api.X_API_URL.value}{path}", idempotent=idempotent, **sent)
    body = http.json_object(response)
    if response.status_code == 400:
        if refused is None:
            return body
        raise refused(api.summary(body))
    if response.status_code == 401 and body.get("error") == "unauthorized_client":
        raise Permanent(NAME, "X refused postr's app credentials; this is on postr's side, not yours.",
                        status=401, detail=api.summary(body))
    if response.status_code >= 400:
        raise api.error(response, "connect to X")
    return body


def tokens(body: dict, *, requested: Sequence[str] = (), held: Tokens | None = None) -> Tokens:
    """A token answer as Tokens: for a code exchange what X says was granted
    (or the `requested` scopes), for a refresh completed from the `held`
    connection (X rotates the refresh token)."""
    if not body.get("access_token"):
        raise Permanent(NAME, "X did not return a token; connect your X account again.", detail=api.summary(body))
    fresh = oauth.from_answer(body, requested)
    return oauth.refreshed(fresh, held) if held else fresh
