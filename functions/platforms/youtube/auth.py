"""Google's token endpoints (`oauth2.googleapis.com/token` and `/revoke`),
their answers read into Tokens, and what the granted scopes allow.

platforms.oauth.request does not fit the code exchange: a code works once,
so an answer lost on the way is OutcomeUnknown here, where `request` would
retry; one call serves the exchange and the refresh alike."""

from collections.abc import Sequence

import httpx
from firebase_functions.params import StringParam

from platforms import http, oauth
from platforms.base import PostContent, Tokens
from platforms.errors import AuthExpired, Permanent, PlatformError, RateLimited, Transient
from platforms.youtube import api
from platforms.youtube.api import NAME

YOUTUBE_OAUTH_URL = StringParam("YOUTUBE_OAUTH_URL", default="https://oauth2.googleapis.com")

_AUTH = "https://www.googleapis.com/auth/"
FORCE_SSL = _AUTH + "youtube.force-ssl"
# What each call accepts (discovery document), to say what is missing before sending.
UPLOAD_SCOPES = {FORCE_SSL, _AUTH + "youtube.upload", _AUTH + "youtube", _AUTH + "youtubepartner"}
COMMENT_SCOPES = {FORCE_SSL}
# Either lets postr upload, delete and comment.
_ENOUGH = {FORCE_SSL, _AUTH + "youtube"}


def token_call(form: dict, *, idempotent: bool, refreshing: bool) -> dict:
    response = http.send(NAME, "POST", f"{YOUTUBE_OAUTH_URL.value}/token", idempotent=idempotent, data=form)
    body = http.json_object(response)
    if response.status_code >= 400:
        raise _token_error(response, body, refreshing=refreshing)
    return body


def tokens(body: dict, *, requested: Sequence[str] = (), held: Tokens | None = None) -> Tokens:
    """A token answer as Tokens. refresh_token is absent on a refresh (Google's
    do not rotate) and on a consent that was not asked again: a refresh keeps
    the `held` one. Scopes are what Google says was granted (a person may
    untick scopes on the consent screen), else what was asked, or on a refresh
    what the connection holds (platforms.oauth)."""
    if not body.get("access_token"):
        raise Permanent(NAME, "Google did not return a token; connect your YouTube account again.",
                        detail=api.summary(body))
    fresh = oauth.from_answer(body, requested)
    return oauth.refreshed(fresh, held) if held else fresh


def check_granted(tokens: Tokens) -> None:
    """A new connection must allow uploading, deleting and commenting."""
    if tokens.scopes and not set(tokens.scopes) & _ENOUGH:
        raise Permanent(NAME, "postr needs permission to see, upload and delete your YouTube videos and "
                              "comments; connect your YouTube account again and allow it.",
                        detail="granted: " + " ".join(tokens.scopes))


def revoke(tokens: Tokens) -> bool:
    # Revoking the refresh token ends the grant with its access tokens. In
    # the form body, not the query string Google's samples use, so the
    # token stays out of URLs (and their logs).
    token = tokens.refresh_token or tokens.access_token
    response = http.send(NAME, "POST", f"{YOUTUBE_OAUTH_URL.value}/revoke", idempotent=True, data={"token": token})
    if response.status_code == 200:
        return True
    body = http.json_object(response)
    if response.status_code == 400 and body.get("error") == "invalid_token":
        return True  # already expired or revoked: as good as revoked
    raise _token_error(response, body, refreshing=True)


def _token_error(response: httpx.Response, body: dict, *, refreshing: bool) -> PlatformError:
    status, error = response.status_code, body.get("error")
    kw = {"status": status, "detail": api.summary(body) or f"HTTP {status}"}
    if error in ("invalid_client", "unauthorized_client"):
        return Permanent(NAME, "Google refused postr's app credentials; this is on postr's side, not yours.", **kw)
    if error == "invalid_grant":
        if refreshing:
            return AuthExpired(NAME, "Google no longer accepts this connection (it was revoked, the password "
                                     "changed, or it went unused); reconnect your YouTube account.", **kw)
        return Permanent(NAME, "Google did not accept the sign-in (it expired or was already used); connect "
                               "your YouTube account again.", **kw)
    if status == 429:
        return RateLimited(NAME, "Google is limiting sign-in requests; postr will retry.",
                           retry_after=http.retry_after(response), **kw)
    if status >= 500:
        return Transient(NAME, "Google's sign-in service had a temporary problem; postr will retry.", **kw)
    return Permanent(NAME, "Google refused the sign-in request; connect your YouTube account again.", **kw)


def check_scopes(tokens: Tokens, content: PostContent) -> None:
    """Say what a connection lacks before anything is uploaded (scopes known only)."""
    granted = set(tokens.scopes)
    if not granted:
        return
    if not granted & UPLOAD_SCOPES:
        raise Permanent(NAME, "This YouTube connection does not allow uploading videos; reconnect your YouTube "
                              "account and allow what postr asks for.", detail="granted: " + " ".join(tokens.scopes))
    if content.first_comment and not granted & (COMMENT_SCOPES | {_AUTH + "youtube"}):
        raise Permanent(NAME, "This YouTube connection does not allow posting comments, so the first comment "
                              "cannot go out; reconnect your YouTube account, or remove the first comment.",
                        detail="granted: " + " ".join(tokens.scopes))
