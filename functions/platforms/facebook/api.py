"""Where Facebook's Graph API is and how its answers are read: the hosts
(graph.facebook.com, graph-video.facebook.com for videos, www.facebook.com for
the Login dialog), the ids it hands out, the refusals Facebook words itself,
and when a throttled Page may try again.

Errors are Graph error bodies {"error": {"message", "type", "code",
"error_subcode", "error_user_msg", "is_transient", "fbtrace_id"}}; Page
requests are throttled by Business Use Case limits, whose
`X-Business-Use-Case-Usage` header says in minutes when access comes back.
"""

import re

from firebase_functions.params import StringParam

from platforms import http
from platforms.errors import OutcomeUnknown, Permanent, PlatformError, Transient
from platforms.meta_graph import usage_wait

FACEBOOK_API_URL = StringParam("FACEBOOK_API_URL", default="https://graph.facebook.com")
# Meta sends video uploads and publishing to a host of their own.
FACEBOOK_VIDEO_API_URL = StringParam("FACEBOOK_VIDEO_API_URL", default="https://graph-video.facebook.com")
FACEBOOK_AUTH_URL = StringParam("FACEBOOK_AUTH_URL", default="https://www.facebook.com")

NAME = "facebook"
API_VERSION = "v27.0"
WEB = "https://www.facebook.com"

RATE_LIMIT_CODES = frozenset({4, 17, 32, 341, 613, 80001})
TRANSIENT_CODES = frozenset({1, 2})
DUPLICATE_POST = 506
BLOCKED = 368
LINK_ERROR = 1609005

NUMERIC_ID = re.compile(r"\d{1,32}")
OBJECT_ID = re.compile(r"\d{1,32}(?:_\d{1,32})?")


def check_object_id(object_id: str) -> None:
    if not OBJECT_ID.fullmatch(object_id or ""):
        raise Permanent(NAME, "That is not a Facebook post id.", detail="bad post id")


def created_id(body: dict, *, transient: bool = False) -> str:
    """The id of what a write created. `transient`: nothing is live yet (an
    unpublished photo), so a missing id is worth a retry."""
    object_id = str(body.get("id") or "")
    if not OBJECT_ID.fullmatch(object_id):
        if transient:
            raise Transient(NAME, "Facebook did not accept the photo; will retry.", detail="no id")
        raise OutcomeUnknown(NAME, "Facebook answered without the post's id; it may be on your Page.", detail="no id")
    return object_id


def known_refusal(error: dict, said: str, kw: dict) -> PlatformError | None:
    code = error.get("code")
    if code == DUPLICATE_POST:
        return Permanent(NAME, "Facebook refuses to publish the same post twice in a row; change it a little.", **kw)
    if code == BLOCKED:
        return Permanent(NAME, "Facebook has blocked this action on your Page for now, as against its policies"
                               + (f": {said}" if said else "."), **kw)
    if code == LINK_ERROR:
        return Permanent(NAME, "Facebook could not read the link; check that the address opens.", **kw)
    return None


def retry_after(response) -> float | None:
    """Seconds to wait: Business Use Case limits say it in minutes
    (`estimated_time_to_regain_access`); else Retry-After, if any."""
    seconds = usage_wait(response)
    return seconds if seconds is not None else http.retry_after(response)
