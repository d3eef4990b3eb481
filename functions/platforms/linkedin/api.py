"""Where LinkedIn's API answers, the headers every versioned `/rest/` call
carries, and its answers as the error taxonomy: REST errors `{"status",
"serviceErrorCode", "code", "message"}` (a duplicate post is a 422 whose
`errorDetails.inputErrors[].code` is DUPLICATE_POST), and the token endpoint's
OAuth errors `{"error", "error_description"}`."""

import re
import urllib.parse

import httpx
from firebase_functions.params import StringParam

from platforms import http, oauth
from platforms.base import Tokens
from platforms.errors import PlatformError

LINKEDIN_API_URL = StringParam("LINKEDIN_API_URL", default="https://api.linkedin.com")
LINKEDIN_AUTH_URL = StringParam("LINKEDIN_AUTH_URL", default="https://www.linkedin.com")
# Each LinkedIn-Version is served for about a year: move it forward yearly.
LINKEDIN_API_VERSION = StringParam("LINKEDIN_API_VERSION", default="202606")

NAME = "linkedin"

_JAVA_EXCEPTION = re.compile(r"^(?:[\w$]+\.)+[\w$]*Exception:\s*")


def encode(urn: str) -> str:
    return urllib.parse.quote(urn, safe="")


def api(path: str) -> str:
    return LINKEDIN_API_URL.value.rstrip("/") + path


def auth(path: str) -> str:
    return LINKEDIN_AUTH_URL.value.rstrip("/") + path


def rest_headers(tokens: Tokens) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {tokens.access_token}",
        "LinkedIn-Version": LINKEDIN_API_VERSION.value,
        "X-Restli-Protocol-Version": "2.0.0",
    }


def _linkedin_message(body: dict) -> str:
    message = str(body.get("message") or "").strip()
    return _JAVA_EXCEPTION.sub("", message)[:300]


def error(response: httpx.Response, doing: str) -> PlatformError:
    """A LinkedIn REST error body ({"status","serviceErrorCode","code","message"})
    as the taxonomy. `detail` keeps LinkedIn's codes only: its message can quote
    the post."""
    body = http.json_object(response)
    status = response.status_code
    details = body.get("errorDetails")
    inputs = details.get("inputErrors") if isinstance(details, dict) else None
    input_codes = [str(e.get("code")) for e in inputs or [] if isinstance(e, dict) and e.get("code")]
    detail = " ".join(str(x) for x in (status, body.get("code"), body.get("serviceErrorCode"), *input_codes) if x)
    said = _linkedin_message(body)
    if status == 401:
        message = "Your LinkedIn connection has expired or was revoked; reconnect LinkedIn."
    elif status == 429:
        message = "LinkedIn is limiting requests for this account; will retry later."
    elif status in (408, 425) or status >= 500:
        message = f"LinkedIn had a temporary problem while {doing}; will retry."
    elif "DUPLICATE_POST" in input_codes or (status == 422 and "duplicate" in said.lower()):
        message = "LinkedIn refused this post as a duplicate of one already on this account."
    elif status == 403:
        message = (f"LinkedIn did not allow {doing}: the connection lacks the permission. "
                   "Reconnect LinkedIn and approve the access it asks for.")
    elif status == 404:
        message = f"LinkedIn could not find what it needed while {doing}."
    else:
        message = f"LinkedIn refused {doing}" + (f": {said}" if said else ".")
    return http.classify_status(NAME, response, message, detail)


def token_error(response: httpx.Response, *, refreshing: bool) -> PlatformError:
    """The token endpoint's OAuth errors ({"error","error_description"})."""
    body = http.json_object(response)
    status = response.status_code
    detail = " ".join(str(x) for x in (status, body.get("error")) if x)
    if status == 429 or status >= 500:
        return http.classify_status(NAME, response, "", detail)
    return oauth.refusal(NAME, "LinkedIn", status, detail, refreshing=refreshing,
                              bad_client=body.get("error") == "invalid_client" or status == 401)


# The client id and secret go in the form body.
TOKEN_ENDPOINT = oauth.TokenEndpoint(NAME, "LinkedIn", lambda: auth("/oauth/v2/accessToken"), "post",
                                          token_error)
