"""TikTok's API v2 as postr calls it: the request with the person's token,
the envelope every answer comes in, and TikTok's errors as platforms.errors.

- Every v2 answer carries {"error": {"code", "message", "log_id"}}, "ok" on
  success; creator_info answers a posting cap with HTTP 200 and an error code.
- Rate limits are per token over a one-minute sliding window (429,
  rate_limit_exceeded); posting caps are per creator per 24 hours.
"""

from firebase_functions.params import StringParam

from platforms import http
from platforms.base import Tokens
from platforms.errors import AuthExpired, OutcomeUnknown, Permanent, PlatformError, RateLimited, Transient

TIKTOK_API_URL = StringParam("TIKTOK_API_URL", default="https://open.tiktokapis.com")

NAME = "tiktok"
RATE_WINDOW_SECONDS = 60.0
JSON = "application/json; charset=UTF-8"


def call(method: str, path: str, tokens: Tokens, *, action: str, idempotent: bool = True,
         headers: dict | None = None, **kwargs) -> dict:
    """One v2 request with the person's token; the answer's `data` ({} when
    it has none), or the error TikTok's envelope or status says. `action` is
    what postr was doing, for the person's message."""
    headers = {"Authorization": f"Bearer {tokens.access_token}", **(headers or {})}
    response = http.send(NAME, method, f"{TIKTOK_API_URL.value}{path}", idempotent=idempotent,
                         headers=headers, **kwargs)
    # Not http.json_object: an answer that is no JSON object at all must be
    # told from an empty one, as it is refused below.
    try:
        body = response.json()
    except ValueError:
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    if response.status_code >= 400 or (code and code != "ok"):
        raise api_error(response, error if isinstance(error, dict) else {}, action)
    if not isinstance(body, dict):
        if idempotent:
            raise Transient(NAME, "TikTok answered with something unreadable; will retry.",
                            status=response.status_code)
        raise OutcomeUnknown(NAME, "TikTok's answer was unreadable; the post may be on TikTok.",
                             status=response.status_code)
    data = body.get("data")
    return data if isinstance(data, dict) else {}


def status(tokens: Tokens, publish_id: str) -> dict:
    """The post's state (`POST /v2/post/publish/status/fetch/`)."""
    return call("POST", "/v2/post/publish/status/fetch/", tokens, action="check the post on TikTok",
                json={"publish_id": publish_id}, headers={"Content-Type": JSON})


# error.code -> (class, message). {action} is what postr was doing.
API_ERRORS = {
    "access_token_invalid": (AuthExpired, "Your TikTok connection has expired or was revoked; reconnect your "
                                          "TikTok account."),
    "scope_not_authorized": (AuthExpired, "postr does not have your permission to {action}; reconnect TikTok and "
                                          "allow every permission it asks for."),
    "scope_permission_missed": (AuthExpired, "postr does not have your permission to {action}; reconnect TikTok "
                                             "and allow every permission it asks for."),
    "spam_risk_too_many_posts": (RateLimited, "Your TikTok account has reached TikTok's daily limit of posts made "
                                              "through apps (shared by every app you use); postr will try again "
                                              "later."),
    "spam_risk_too_many_pending_share": (RateLimited, "Your TikTok inbox already holds the 5 uploads TikTok allows "
                                                      "in a day; finish or delete them in TikTok, and postr will "
                                                      "try again later."),
    "reached_active_user_cap": (RateLimited, "postr has reached TikTok's daily limit of accounts posting through "
                                             "it; this is on postr's side, and postr will try again later."),
    "spam_risk_user_banned_from_posting": (Permanent, "TikTok has banned this account from making new posts."),
    "unaudited_client_can_only_post_to_private_accounts": (
        Permanent, "Until TikTok finishes reviewing postr's app, postr can post only to private TikTok accounts; "
                   "set your account to private in TikTok, or post from the TikTok app."),
    "url_ownership_unverified": (Permanent, "TikTok does not accept media from postr's storage address; this is "
                                            "on postr's side, not yours."),
    "privacy_level_option_mismatch": (Permanent, "Your TikTok account does not allow the audience chosen for this "
                                                 "post right now; choose another and post again."),
    "app_version_check_failed": (Permanent, "Sending posts to your TikTok inbox needs TikTok app version 31.8 or "
                                            "newer; update the TikTok app."),
    "invalid_publish_id": (Permanent, "TikTok does not know that post."),
    "token_not_authorized_for_specified_publish_id": (Permanent, "That TikTok post belongs to another account."),
}


def api_error(response, error: dict, action: str) -> PlatformError:
    status = response.status_code
    code = str(error.get("code") or "")
    reason = str(error.get("message") or "").strip().rstrip(".")
    detail = "; ".join(x for x in (code, reason, f"log_id {error['log_id']}" if error.get("log_id") else "") if x)
    kw = {"status": status, "detail": (detail or f"HTTP {status}")[:500]}
    if code in API_ERRORS:
        cls, message = API_ERRORS[code]
        return coded(cls, message.format(action=action), retry_after=http.retry_after(response), **kw)
    if code == "rate_limit_exceeded" or status == 429:
        # TikTok counts each token's calls over a one-minute sliding window.
        wait = http.retry_after(response)
        return RateLimited(NAME, "TikTok is limiting requests for this account right now; postr will retry shortly.",
                           retry_after=RATE_WINDOW_SECONDS if wait is None else wait, **kw)
    if code == "internal_error" or status >= 500 or status == 408:
        return Transient(NAME, "TikTok had a temporary problem; postr will retry.", **kw)
    if status == 401:
        return AuthExpired(NAME, API_ERRORS["access_token_invalid"][1], **kw)
    return Permanent(NAME, f"TikTok refused to {action}" + (f": {reason}." if reason else "."), **kw)


def coded(cls: type[PlatformError], message: str, *, retry_after: float | None, **kw) -> PlatformError:
    """An error from one of TikTok's codes, by its table's class; only
    RateLimited takes a wait."""
    if cls is RateLimited:
        return RateLimited(NAME, message, retry_after=retry_after, **kw)
    return cls(NAME, message, **kw)
