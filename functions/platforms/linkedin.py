"""LinkedIn: a member's own posts through LinkedIn's versioned REST API.

What the module relies on, from LinkedIn's documentation (learn.microsoft.com/linkedin):
- OAuth 2.0 authorization code flow (`/oauth/v2/authorization`, then
  `POST /oauth/v2/accessToken` with the client secret). PKCE is not used.
  Scopes: `openid profile` (Sign In with LinkedIn using OpenID Connect) for
  the profile, `w_member_social` (Share on LinkedIn) for posting, deleting
  and commenting. Access tokens last 60 days.
- Refresh tokens are issued only to approved partners (programmatic refresh
  tokens, 365 days, not extended by refreshing). Without one, `refresh` says
  the account must be reconnected.
- The token answer's `scope` lists what the member granted (comma-separated);
  a member consents to all requested scopes or none (Authorization Code Flow:
  "the user must consent to all of them"), and an answer without `scope`
  granted what was asked (RFC 6749 §5.1).
- LinkedIn documents no way for an app to revoke a member's token (see
  `revoke`), so `revoke` sends nothing and returns False: the member removes
  postr under Settings & Privacy > Data privacy > Other applications >
  Permitted services, or the token lapses 60 days after it was issued.
- Profile: `GET /v2/userinfo` (sub, name, picture); the author URN is
  `urn:li:person:{sub}`. The followers count needs scopes a self-serve app
  does not get, so it is None.
- Every `/rest/` call carries `LinkedIn-Version: YYYYMM` and
  `X-Restli-Protocol-Version: 2.0.0`.
- Posts API (`POST /rest/posts`): the new post's URN comes back in the
  `x-restli-id` header; public URL `https://www.linkedin.com/feed/update/{urn}`.
  Content is one of: a single image or video (`content.media`), 2-20 images
  (`content.multiImage`), or a link (`content.article`). No threads.
- `commentary` is "little" text: the characters | { } @ [ ] ( ) < > # \\ * _ ~
  must be backslash-escaped, or LinkedIn cuts the post at the first one. A bare
  `#word` is a hashtag element and is left as is. 3,000 characters; counted
  here as LinkedIn's Java backend counts the text people see (UTF-16 units),
  escapes excluded.
- Images API: `initializeUpload`, then PUT the bytes to `uploadUrl`. JPEG,
  PNG or GIF, fewer than 36,152,320 pixels; alt text up to 4,086 characters.
- Videos API: `initializeUpload` with the size, PUT each byte range to its
  `uploadUrl` (ETag per part), `finalizeUpload`, then wait for AVAILABLE.
  MP4, 3 s to 30 min, 75 KB to 500 MB.
- Comments API (`POST /rest/socialActions/{urn}/comments`, w_member_social)
  carries the first comment.
- Metrics: `memberCreatorPostAnalytics` (IMPRESSION, REACTION, COMMENT,
  RESHARE) needs `r_member_postAnalytics`, part of the Community Management API
  that LinkedIn approves case by case; without that scope every metric is None.
  (`socialActions` counts need `r_member_social`, a private permission.)
- Errors: `{"status", "serviceErrorCode", "code", "message"}`; a duplicate
  post is a 422 whose `errorDetails.inputErrors[].code` is DUPLICATE_POST.
"""

import re
import time
import urllib.parse
from collections.abc import Iterator

import httpx
from firebase_functions.params import StringParam

from kernel import log
from platforms import http, oauth_tokens
from platforms.base import AppCredentials, Media, Metrics, Platform, PostContent, Problem, Profile, Published, Tokens
from platforms.errors import AuthExpired, OutcomeUnknown, Permanent, PlatformError, Transient

LINKEDIN_API_URL = StringParam("LINKEDIN_API_URL", default="https://api.linkedin.com")
LINKEDIN_AUTH_URL = StringParam("LINKEDIN_AUTH_URL", default="https://www.linkedin.com")
# Each LinkedIn-Version is served for about a year: move it forward yearly.
LINKEDIN_API_VERSION = StringParam("LINKEDIN_API_VERSION", default="202606")
# Scopes our LinkedIn app has been approved for beyond the self-serve ones,
# space-separated; "r_member_postAnalytics" turns metrics on.
LINKEDIN_EXTRA_SCOPES = StringParam("LINKEDIN_EXTRA_SCOPES", default="")

NAME = "linkedin"
ANALYTICS_SCOPE = "r_member_postAnalytics"

MAX_TEXT = 3000
MAX_IMAGES = 20
MAX_ALT_TEXT = 4086
MAX_IMAGE_PIXELS = 36_152_320  # LinkedIn: "less than"
IMAGE_TYPES = {"image/jpeg", "image/png", "image/gif"}
VIDEO_TYPES = {"video/mp4"}
# "75 KB to 500 MB", read the strict way round in both directions.
MIN_VIDEO_BYTES = 75 * 1024
MAX_VIDEO_BYTES = 500 * 1000 * 1000
MIN_VIDEO_SECONDS, MAX_VIDEO_SECONDS = 3, 30 * 60
VISIBILITIES = ("PUBLIC", "CONNECTIONS")

UPLOAD_CHUNK = 1024 * 1024
# A video is usually AVAILABLE within seconds of finalizeUpload; past two
# minutes the publish is retried later (with a fresh upload) instead.
VIDEO_WAIT_DELAYS = (1.0, 2.0, 4.0, 8.0, 15.0, 30.0, 30.0, 30.0)

# The characters LinkedIn's little text format reserves.
_RESERVED = re.compile(r"[\\|{}@\[\]()<>#*_~]")
# A bare #word is a HashtagElement: a letter first, then letters or digits
# (not "_", which is reserved), starting a word (not C#, nor a URL's #fragment).
_HASHTAG = re.compile(r"(?<!\S)#[^\W\d_][^\W_]*")
_JAVA_EXCEPTION = re.compile(r"^(?:[\w$]+\.)+[\w$]*Exception:\s*")


def little_text(text: str) -> str:
    """Plain text as LinkedIn's little format: reserved characters escaped,
    hashtags kept as hashtags."""
    out, pos = [], 0
    for tag in _HASHTAG.finditer(text):
        out.append(_RESERVED.sub(lambda m: "\\" + m.group(), text[pos:tag.start()]))
        out.append(tag.group())
        pos = tag.end()
    out.append(_RESERVED.sub(lambda m: "\\" + m.group(), text[pos:]))
    return "".join(out)


def text_length(text: str) -> int:
    """Length as LinkedIn counts it: UTF-16 code units of the visible text."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def post_url(urn: str) -> str:
    return f"https://www.linkedin.com/feed/update/{urn}"


def _encode(urn: str) -> str:
    return urllib.parse.quote(urn, safe="")


def _api(path: str) -> str:
    return LINKEDIN_API_URL.value.rstrip("/") + path


def _auth(path: str) -> str:
    return LINKEDIN_AUTH_URL.value.rstrip("/") + path


def _rest_headers(tokens: Tokens) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {tokens.access_token}",
        "LinkedIn-Version": LINKEDIN_API_VERSION.value,
        "X-Restli-Protocol-Version": "2.0.0",
    }


def _linkedin_message(body: dict) -> str:
    message = str(body.get("message") or "").strip()
    return _JAVA_EXCEPTION.sub("", message)[:300]


def _error(response: httpx.Response, doing: str) -> PlatformError:
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


def _token_error(response: httpx.Response, *, refreshing: bool) -> PlatformError:
    """The token endpoint's OAuth errors ({"error","error_description"})."""
    body = http.json_object(response)
    status = response.status_code
    detail = " ".join(str(x) for x in (status, body.get("error")) if x)
    if status == 429 or status >= 500:
        return http.classify_status(NAME, response, "", detail)
    if body.get("error") == "invalid_client" or status == 401:
        return Permanent(NAME, "LinkedIn rejected postr's app credentials; the operator must fix the LinkedIn app settings.",
                         status=status, detail=detail)
    if refreshing:
        return AuthExpired(NAME, "LinkedIn no longer accepts this connection's refresh token; reconnect LinkedIn.",
                           status=status, detail=detail)
    return Permanent(NAME, "LinkedIn did not accept the sign-in (it may have expired or been used already); "
                           "connect LinkedIn again.", status=status, detail=detail)


class _Reader:
    """Hands out exact byte ranges from a stream of chunks of any size, so a
    video part never needs the whole file in memory."""

    def __init__(self, chunks: Iterator[bytes]):
        self._chunks = iter(chunks)
        self._buffer = b""

    def take(self, count: int) -> Iterator[bytes]:
        while count > 0:
            if not self._buffer:
                self._buffer = next(self._chunks, b"")
                if not self._buffer:
                    raise Permanent(NAME, "The video file is shorter than its recorded size; upload it again.")
            piece, self._buffer = self._buffer[:count], self._buffer[count:]
            count -= len(piece)
            yield piece


class LinkedInPlatform(Platform):
    name = NAME
    display_name = "LinkedIn"
    uses_pkce = False
    scopes = ("openid", "profile", "w_member_social")
    revokes = False  # see revoke()
    supports_threads = False
    supports_first_comment = True
    supports_video = True

    # --- OAuth ------------------------------------------------------------------
    def requested_scopes(self) -> list[str]:
        extra = [s for s in oauth_tokens.scopes(LINKEDIN_EXTRA_SCOPES.value) if s not in self.scopes]
        return [*self.scopes, *extra]

    def authorization_url(self, app: AppCredentials, *, state: str, redirect_uri: str,
                          code_challenge: str | None = None) -> str:
        query = urllib.parse.urlencode({
            "response_type": "code",
            "client_id": app.client_id,
            "redirect_uri": redirect_uri,
            "state": state,
            "scope": " ".join(self.requested_scopes()),
        }, quote_via=urllib.parse.quote)
        return f"{_auth('/oauth/v2/authorization')}?{query}"

    def exchange_code(self, app: AppCredentials, *, code: str, redirect_uri: str,
                      code_verifier: str | None = None) -> Tokens:
        tokens = self._token_request(app, {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
        }, refreshing=False, requested=self.requested_scopes())
        # The author URN every post needs, fetched once here rather than per publish.
        tokens.extra["person_urn"] = self._person_urn(tokens)
        return tokens

    def refresh(self, app: AppCredentials, tokens: Tokens) -> Tokens:
        if not tokens.refresh_token:
            raise AuthExpired(NAME, "LinkedIn connections last 60 days and LinkedIn gives refresh tokens only to "
                                    "approved partners; reconnect LinkedIn to keep posting.")
        fresh = self._token_request(app, {"grant_type": "refresh_token", "refresh_token": tokens.refresh_token},
                                    refreshing=True)
        return oauth_tokens.refreshed(fresh, tokens)

    def revoke(self, app: AppCredentials, tokens: Tokens) -> bool:
        """LinkedIn documents no way for an app to revoke a member's token.
        Its OAuth documentation (learn.microsoft.com/linkedin/shared/
        authentication: authorization-code-flow, programmatic-refresh-tokens,
        token-introspection) describes `/oauth/v2/authorization`,
        `/oauth/v2/accessToken` and `/oauth/v2/introspectToken` only; the last
        reports a token's status ("revoked" among them) and changes nothing.
        The OpenID discovery document (www.linkedin.com/oauth/.well-known/
        openid-configuration) names no `revocation_endpoint`, and LinkedIn's
        own API clients (linkedin-developers/linkedin-api-python-client and
        -js-client) offer introspection alone. Some third-party code posts to
        `/oauth/v2/revoke`, which none of these mention; postr does not rely on
        an undocumented endpoint. So nothing is sent: the member removes postr
        under Settings & Privacy > Data privacy > Other applications >
        Permitted services, and the access token lapses 60 days after it was
        issued."""
        return False

    def _token_request(self, app: AppCredentials, form: dict[str, str], *, refreshing: bool,
                       requested: list[str] | None = None) -> Tokens:
        return oauth_tokens.request(NAME, self.display_name, app, _auth("/oauth/v2/accessToken"), form,
                                    client_auth="post",
                                    refused=lambda response: _token_error(response, refreshing=refreshing),
                                    requested=requested or ())

    # --- account ----------------------------------------------------------------
    def _userinfo(self, tokens: Tokens) -> dict:
        response = http.send(NAME, "GET", _api("/v2/userinfo"), idempotent=True,
                             headers={"Authorization": f"Bearer {tokens.access_token}"})
        body = http.json_object(response)
        if response.status_code != 200:
            raise _error(response, "reading your LinkedIn profile")
        if not body.get("sub"):
            raise Transient(NAME, "LinkedIn answered without a member id; will retry.", status=200)
        return body

    def _person_urn(self, tokens: Tokens) -> str:
        return tokens.extra.get("person_urn") or f"urn:li:person:{self._userinfo(tokens)['sub']}"

    def profile(self, tokens: Tokens) -> Profile:
        info = self._userinfo(tokens)
        name = info.get("name") or " ".join(x for x in (info.get("given_name"), info.get("family_name")) if x)
        # LinkedIn shows members by name; there is no handle in the OpenID profile.
        return Profile(account_id=info["sub"], handle=name, display_name=name,
                       avatar_url=info.get("picture") or None, followers_count=None)

    # --- posts ------------------------------------------------------------------
    def validate(self, content: PostContent) -> list[Problem]:
        problems: list[Problem] = []
        if content.thread:
            problems.append(Problem("thread", "LinkedIn does not support threads: publish the parts as separate "
                                              "posts, or join them into one post of up to 3,000 characters."))
        length = text_length(content.text or "")
        if length > MAX_TEXT:
            problems.append(Problem("text", f"The post is {length:,} characters long and LinkedIn allows {MAX_TEXT:,}; "
                                            f"remove {length - MAX_TEXT:,}."))
        if not (content.text or "").strip() and not content.media and not content.link:
            problems.append(Problem("text", "A LinkedIn post needs text, media or a link."))
        problems += self._media_problems(content.media)
        if content.link and content.media:
            problems.append(Problem("link", "A LinkedIn post carries either media or a link preview, not both; "
                                            "put the link in the text instead."))
        visibility = content.options.get("visibility", "PUBLIC")
        if visibility not in VISIBILITIES:
            problems.append(Problem("options.visibility", "LinkedIn visibility must be PUBLIC or CONNECTIONS."))
        return problems

    def _media_problems(self, media: list[Media]) -> list[Problem]:
        problems: list[Problem] = []
        images = [m for m in media if m.kind == "image"]
        videos = [m for m in media if m.kind == "video"]
        if images and videos:
            problems.append(Problem("media", "A LinkedIn post takes images or one video, not both."))
        if len(videos) > 1:
            problems.append(Problem("media", f"A LinkedIn post takes one video; this one has {len(videos)}."))
        if len(images) > MAX_IMAGES:
            problems.append(Problem("media", f"A LinkedIn post takes up to {MAX_IMAGES} images; "
                                             f"this one has {len(images)}."))
        for number, item in enumerate(media, 1):
            where = f"media[{number - 1}]"
            label = f"{'Image' if item.kind == 'image' else 'Video'} {number}"
            if item.chunks is None:
                problems.append(Problem(where, f"{label} has no file to upload."))
            if item.kind == "image":
                if item.mime_type not in IMAGE_TYPES:
                    problems.append(Problem(where, f"{label} is {item.mime_type}; LinkedIn takes JPEG, PNG or GIF images."))
                if item.width and item.height and item.width * item.height >= MAX_IMAGE_PIXELS:
                    problems.append(Problem(where, f"{label} is {item.width}x{item.height} pixels; LinkedIn takes images "
                                                   f"of fewer than {MAX_IMAGE_PIXELS:,} pixels in all."))
                if item.alt_text and len(item.alt_text) > MAX_ALT_TEXT:
                    problems.append(Problem(where, f"The alt text of {label.lower()} is {len(item.alt_text):,} characters; "
                                                   f"LinkedIn allows {MAX_ALT_TEXT:,}."))
            else:
                if item.mime_type not in VIDEO_TYPES:
                    problems.append(Problem(where, f"{label} is {item.mime_type}; LinkedIn takes MP4 videos."))
                if not MIN_VIDEO_BYTES <= item.size <= MAX_VIDEO_BYTES:
                    problems.append(Problem(where, f"{label} is {item.size:,} bytes; LinkedIn takes videos from 75 KB "
                                                   "to 500 MB."))
                if item.duration_s is not None and not MIN_VIDEO_SECONDS <= item.duration_s <= MAX_VIDEO_SECONDS:
                    problems.append(Problem(where, f"{label} lasts {item.duration_s:g} seconds; LinkedIn takes videos "
                                                   "from 3 seconds to 30 minutes."))
        return problems

    def publish(self, tokens: Tokens, content: PostContent) -> Published:
        problems = self.validate(content)
        if problems:
            raise Permanent(NAME, " ".join(p.message for p in problems), detail="validation")
        author = self._person_urn(tokens)
        body = {
            "author": author,
            "commentary": little_text(content.text or ""),
            "visibility": content.options.get("visibility", "PUBLIC"),
            "distribution": {"feedDistribution": "MAIN_FEED", "targetEntities": [], "thirdPartyDistributionChannels": []},
            "lifecycleState": "PUBLISHED",
            "isReshareDisabledByAuthor": False,
        }
        media_content = self._upload_media(tokens, author, content)
        if media_content:
            body["content"] = media_content
        elif content.link:
            body["content"] = {"article": {"source": content.link, "title": content.options.get("link_title") or content.link}}

        response = http.send(NAME, "POST", _api("/rest/posts"), idempotent=False,
                             headers=_rest_headers(tokens), json=body)
        if response.status_code != 201:
            raise _error(response, "publishing the post")
        urn = response.headers.get("x-restli-id")
        if not urn:
            raise OutcomeUnknown(NAME, "LinkedIn accepted the post but did not say which post it is; check the "
                                       "LinkedIn profile before trying again.", status=201)
        comment_id = self._first_comment(tokens, author, urn, content.first_comment) if content.first_comment else None
        return Published(post_id=urn, url=post_url(urn), comment_id=comment_id)

    def _first_comment(self, tokens: Tokens, author: str, urn: str, text: str) -> str | None:
        """The post is already live: a failed comment is logged, never raised, so
        the publish is not retried into a duplicate post."""
        try:
            response = http.send(NAME, "POST", _api(f"/rest/socialActions/{_encode(urn)}/comments"), idempotent=False,
                                 headers=_rest_headers(tokens),
                                 json={"actor": author, "object": urn, "message": {"text": text}})
            if response.status_code != 201:
                raise _error(response, "adding the first comment")
        except PlatformError as exc:
            log.warn("linkedin first comment not added", network=NAME, error=type(exc).__name__, reason=exc.detail)
            return None
        created = http.json_object(response)
        return created.get("$URN") or response.headers.get("x-restli-id") or created.get("id")

    # --- media ------------------------------------------------------------------
    def _upload_media(self, tokens: Tokens, owner: str, content: PostContent) -> dict | None:
        images = [m for m in content.media if m.kind == "image"]
        videos = [m for m in content.media if m.kind == "video"]
        if videos:
            video = videos[0]
            media = {"id": self._upload_video(tokens, owner, video)}
            if content.options.get("title"):
                media["title"] = content.options["title"]
            return {"media": media}
        if not images:
            return None
        entries = []
        for image in images:
            entry = {"id": self._upload_image(tokens, owner, image)}
            if image.alt_text:
                entry["altText"] = image.alt_text
            entries.append(entry)
        if len(entries) == 1:
            return {"media": entries[0]}
        return {"multiImage": {"images": entries}}

    def _upload_image(self, tokens: Tokens, owner: str, image: Media) -> str:
        response = http.send(NAME, "POST", _api("/rest/images?action=initializeUpload"), idempotent=True,
                             headers=_rest_headers(tokens), json={"initializeUploadRequest": {"owner": owner}})
        value = http.json_object(response).get("value") or {}
        if response.status_code != 200:
            raise _error(response, "preparing the image upload")
        if not value.get("uploadUrl") or not value.get("image"):
            raise Transient(NAME, "LinkedIn did not give an upload address for the image; will retry.", status=200)
        put = http.send(NAME, "PUT", value["uploadUrl"], idempotent=True, content=image.chunks(UPLOAD_CHUNK),
                        headers={"Authorization": f"Bearer {tokens.access_token}", "Content-Length": str(image.size)})
        if put.status_code not in (200, 201):
            raise _error(put, "uploading the image")
        return value["image"]

    def _upload_video(self, tokens: Tokens, owner: str, video: Media) -> str:
        response = http.send(NAME, "POST", _api("/rest/videos?action=initializeUpload"), idempotent=True,
                             headers=_rest_headers(tokens),
                             json={"initializeUploadRequest": {"owner": owner, "fileSizeBytes": video.size,
                                                               "uploadCaptions": False, "uploadThumbnail": False}})
        value = http.json_object(response).get("value") or {}
        if response.status_code != 200:
            raise _error(response, "preparing the video upload")
        urn, parts = value.get("video"), value.get("uploadInstructions") or []
        expected = 0
        for part in parts:
            if part.get("firstByte") != expected or not part.get("uploadUrl"):
                raise Transient(NAME, "LinkedIn gave unusable video upload instructions; will retry.", status=200)
            expected = part["lastByte"] + 1
        if not urn or not parts or expected != video.size:
            raise Transient(NAME, "LinkedIn gave unusable video upload instructions; will retry.", status=200)

        reader = _Reader(video.chunks(UPLOAD_CHUNK))
        etags = []
        for part in parts:
            size = part["lastByte"] - part["firstByte"] + 1
            put = http.send(NAME, "PUT", part["uploadUrl"], idempotent=True, content=reader.take(size),
                            headers={"Content-Type": "application/octet-stream", "Content-Length": str(size)})
            if put.status_code not in (200, 201) or not put.headers.get("etag"):
                raise _error(put, "uploading the video")
            etags.append(put.headers["etag"].strip('"'))

        done = http.send(NAME, "POST", _api("/rest/videos?action=finalizeUpload"), idempotent=True,
                         headers=_rest_headers(tokens),
                         json={"finalizeUploadRequest": {"video": urn, "uploadToken": value.get("uploadToken") or "",
                                                         "uploadedPartIds": etags}})
        if done.status_code != 200:
            raise _error(done, "finishing the video upload")
        self._wait_for_video(tokens, urn)
        return urn

    def _wait_for_video(self, tokens: Tokens, urn: str) -> None:
        for delay in (0.0, *VIDEO_WAIT_DELAYS):
            if delay:
                _pause(delay)
            response = http.send(NAME, "GET", _api(f"/rest/videos/{_encode(urn)}"), idempotent=True,
                                 headers=_rest_headers(tokens))
            if response.status_code != 200:
                raise _error(response, "checking the video")
            status = http.json_object(response).get("status")
            if status == "AVAILABLE":
                return
            if status == "PROCESSING_FAILED":
                raise Permanent(NAME, "LinkedIn could not process the video; check it is a valid MP4.",
                                detail="PROCESSING_FAILED")
        raise Transient(NAME, "LinkedIn is still processing the video; will retry.", detail="video not AVAILABLE")

    # --- after publishing -------------------------------------------------------
    def delete(self, tokens: Tokens, post_id: str) -> None:
        response = http.send(NAME, "DELETE", _api(f"/rest/posts/{_encode(post_id)}"), idempotent=True,
                             headers={**_rest_headers(tokens), "X-RestLi-Method": "DELETE"})
        # 404: already gone (deleted on LinkedIn itself), which is what was asked.
        if response.status_code not in (200, 204, 404):
            raise _error(response, "deleting the post")

    def metrics(self, tokens: Tokens, post_id: str) -> Metrics:
        if ANALYTICS_SCOPE not in tokens.scopes:
            return Metrics()
        counts = {metric: self._metric(tokens, post_id, metric) for metric in ("REACTION", "RESHARE", "COMMENT", "IMPRESSION")}
        return Metrics(likes=counts["REACTION"], reposts=counts["RESHARE"], replies=counts["COMMENT"],
                       views=counts["IMPRESSION"])

    def _metric(self, tokens: Tokens, post_id: str, metric: str) -> int | None:
        kind = "ugc" if post_id.startswith("urn:li:ugcPost:") else "share"
        # Rest.li 2.0 structure: the union's parentheses and colon stay literal, the URN is encoded.
        url = _api(f"/rest/memberCreatorPostAnalytics?q=entity&entity=({kind}:{_encode(post_id)})"
                   f"&queryType={metric}&aggregation=TOTAL")
        response = http.send(NAME, "GET", url, idempotent=True, headers=_rest_headers(tokens))
        if response.status_code != 200:
            raise _error(response, "reading the post's statistics")
        elements = http.json_object(response).get("elements") or []
        count = elements[0].get("count") if elements and isinstance(elements[0], dict) else None
        return int(count) if isinstance(count, int | float) else None


def _pause(seconds: float) -> None:
    time.sleep(seconds)


PLATFORM = LinkedInPlatform()
