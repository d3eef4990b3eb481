"""Instagram's two hosts and how their answers are read: where the API is
(graph.instagram.com, and api.instagram.com for the code exchange), the
content-publishing error subcodes of Meta's error-code table, the OAuth error
shape of api.instagram.com, and when a throttled account may try again.

Graph bodies carry `{"error": {"message", "type", "code", "error_subcode",
"is_transient", "error_user_title", "error_user_msg", "fbtrace_id"}}` with the
content-publishing subcodes (2207xxx); api.instagram.com answers
`{"error_type", "code", "error_message"}`. Rate-limit state comes in
`X-Business-Use-Case-Usage` (`estimated_time_to_regain_access`, minutes).
"""

import re

from firebase_functions.params import StringParam

from platforms import http
from platforms.errors import Permanent, PlatformError, RateLimited, Transient
from platforms.meta_graph import usage_wait

INSTAGRAM_API_URL = StringParam("INSTAGRAM_API_URL", default="https://graph.instagram.com")
INSTAGRAM_OAUTH_URL = StringParam("INSTAGRAM_OAUTH_URL", default="https://api.instagram.com")
INSTAGRAM_AUTH_URL = StringParam("INSTAGRAM_AUTH_URL", default="https://www.instagram.com/oauth/authorize")

NAME = "instagram"
API_VERSION = "v25.0"

RATE_LIMIT_CODES = frozenset({4, 17, 32, 613})
TRANSIENT_CODES = frozenset({-2, -1, 1, 2})

_SUBCODE_IN_STATUS = re.compile(r"\b(\d{7})\b")

# Meta's content-publishing error subcodes (error-code table), as an error class
# and words a person can act on. They arrive as `error_subcode` in error
# bodies and inside a container's `status` when it ends in ERROR.
SUBCODES: dict[int, tuple[type[PlatformError], str]] = {
    2207001: (Transient, "Instagram had a server error; will retry."),
    2207003: (Transient, "Instagram took too long to download the media; will retry."),
    2207004: (Permanent, "The image is too large for Instagram (at most 8 MB)."),
    2207005: (Permanent, "Instagram takes JPEG images only."),
    2207006: (Permanent, "Instagram could not find the media; connect Instagram again if this repeats."),
    2207008: (Transient, "Instagram lost the prepared post before publishing it; will retry."),
    2207009: (Permanent, "The image's aspect ratio is outside what Instagram accepts (4:5 to 1.91:1)."),
    2207010: (Permanent, "The caption is too long for Instagram (2,200 characters, 30 hashtags, 20 @ tags)."),
    2207020: (Transient, "The media expired on Instagram's side before publishing; will retry."),
    2207023: (Permanent, "Instagram does not know this kind of media."),
    2207026: (Permanent, "Instagram takes MOV or MP4 videos (H.264 or HEVC, AAC audio)."),
    2207027: (Transient, "Instagram was not done with the media yet; will retry."),
    2207028: (Permanent, "An Instagram carousel takes 2 to 10 images or videos."),
    2207032: (Transient, "Instagram could not prepare the post; will retry."),
    2207040: (Permanent, "Instagram allows at most 20 @ tags in a post."),
    2207042: (RateLimited, "This account reached Instagram's daily limit of posts published by apps; "
                           "it can publish again tomorrow."),
    2207050: (Permanent, "The Instagram account is restricted: sign in to the Instagram app and complete "
                         "what it asks, then try again."),
    2207051: (Permanent, "Instagram held this post back as suspected spam; if that is a mistake, tell Instagram "
                         "in its app."),
    2207052: (Permanent, "Instagram could not download the file from its link."),
    2207053: (Transient, "Instagram had an unknown upload error; will retry."),
    2207057: (Permanent, "The video's cover frame is outside the video's length."),
}


def subcode_error(response, error: dict, kw: dict) -> PlatformError | None:
    """The error a publishing subcode names; None for any other subcode."""
    subcode = error.get("error_subcode")
    if subcode not in SUBCODES:
        return None
    error_class, words = SUBCODES[subcode]
    if error_class is RateLimited:
        return RateLimited(NAME, words, retry_after=retry_after(response), **kw)
    return error_class(NAME, words, **kw)


def container_error(what: str, said: str | None) -> PlatformError:
    """A container that ended in ERROR: its `status` carries the publishing
    subcode in its words."""
    found = _SUBCODE_IN_STATUS.search(said or "")
    subcode = int(found.group(1)) if found else None
    error_class, words = SUBCODES.get(subcode, (
        Permanent, f"Instagram could not process {what}{f' (error code {subcode})' if subcode else ''}."))
    if error_class is RateLimited:
        return RateLimited(NAME, words, detail=f"container ERROR {subcode}")
    return error_class(NAME, f"{what[0].upper()}{what[1:]}: {words}", detail=f"container ERROR {subcode}")


def oauth_error(response, body) -> PlatformError | None:
    """api.instagram.com's OAuth error shape ({"error_type", "code",
    "error_message"}), which the Graph mapping does not know; None for any
    other body."""
    if not (isinstance(body, dict) and "error_type" in body):
        return None
    status = response.status_code
    said = body.get("error_message") or ""
    detail = f"error_type={body.get('error_type')} code={body.get('code')}"
    if status >= 500:
        return Transient(NAME, "Instagram had a temporary problem; will retry.", status=status, detail=detail)
    return Permanent(NAME, f"Instagram refused the sign-in: {said}" if said else
                     "Instagram refused the sign-in; connect Instagram again.", status=status, detail=detail)


def retry_after(response) -> float | None:
    """Retry-After if sent, else the longest `estimated_time_to_regain_access`
    (minutes) in Meta's business-use-case usage header."""
    seconds = http.retry_after(response)
    return seconds if seconds is not None else usage_wait(response)
