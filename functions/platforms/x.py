"""X (formerly Twitter), through the X API v2.

What the module relies on, from X's documentation (docs.x.com) and its OpenAPI
specification (api.x.com/2/openapi.json):
- OAuth 2.0 Authorization Code with PKCE (S256): the user consents at
  `x.com/i/oauth2/authorize`; `POST /2/oauth2/token` (form-encoded) trades the
  code, and later the refresh token, for tokens. A confidential client sends
  HTTP Basic with its client id and secret; a public client puts `client_id`
  in the form. Access tokens last two hours; `offline.access` adds a refresh
  token, which rotates on every refresh. `POST /2/oauth2/revoke` revokes one
  token. Token errors are {"error", "error_description"}.
- Scopes, per the specification's security of each endpoint we call:
  `tweet.read tweet.write users.read` (create and delete posts),
  `tweet.read users.read` (read a post's metrics, the profile), `media.write`
  (media upload), `offline.access` (stay connected). Nothing else.
- Media go through the v2 chunked upload: `POST /2/media/upload/initialize`
  (JSON: media_type, total_bytes, media_category), `POST /2/media/upload/{id}/
  append` (multipart: segment_index 0-999, media), `POST /2/media/upload/{id}/
  finalize`, then `GET /2/media/upload?command=STATUS&media_id=` while
  `processing_info.state` is pending or in_progress, waiting `check_after_secs`.
  Alt text is `POST /2/media/metadata` {"id", "metadata": {"alt_text":
  {"text"}}}, up to 1000 characters, for images and GIFs (X takes none for video).
- A post is `POST /2/tweets` {"text", "media": {"media_ids"}, "reply":
  {"in_reply_to_tweet_id"}, "reply_settings"}; up to 4 images, or 1 GIF, or
  1 video. Images JPEG/PNG/WebP up to 5 MB, GIFs 15 MB, video MP4/MOV up to
  8 GB and 0.5 s-20 min, aspect ratio 1:3 to 3:1 (media best practices,
  accounts without Premium). Self-serve API access allows one $cashtag a post.
- `DELETE /2/tweets/{id}` answers {"data": {"deleted": true}};
  `GET /2/tweets/{id}?tweet.fields=public_metrics` gives like_count,
  retweet_count, quote_count, reply_count, bookmark_count, impression_count;
  `GET /2/tweets?ids=a,b,...` (1 to 100 ids of 1-19 digits) gives the same
  objects as a list in "data" (matched back by id), and each post it cannot give
  (deleted, protected) as an entry of "errors" naming the id in "value"
  (Not Found Error, type .../resource-not-found), all in one 200.
- Errors are problem details {"title", "detail", "type", "status"} (400s add
  "errors": [{"message"}]); a lookup of a missing post answers 200 with only
  "errors". 429 carries `x-rate-limit-reset` (epoch seconds), and posting
  limits also `x-user-limit-24hour-*` / `x-app-limit-24hour-*`.

Length is counted by platforms.x_text (twitter-text's weighted length).
Reposts are `retweet_count` alone: quotes are posts of their own, counted apart
by X (and by Bluesky), so adding `quote_count` would mix two things.
"""

import base64
import datetime as _dt
import re
import time
import urllib.parse
from collections.abc import Callable, Iterator

from firebase_functions.params import StringParam

from platforms import http
from platforms.base import (AppCredentials, Media, Metrics, Platform, PostContent, Problem, Profile, Published, Tokens,
                            split_post_ids)
from platforms.errors import AuthExpired, OutcomeUnknown, Permanent, PlatformError, RateLimited, Transient

X_API_URL = StringParam("X_API_URL", default="https://api.x.com")
X_AUTH_URL = StringParam("X_AUTH_URL", default="https://x.com/i/oauth2/authorize")

NAME = "x"
SCOPES = ("tweet.read", "tweet.write", "users.read", "media.write", "offline.access")

MAX_STATE = 500
MAX_IMAGES = 4
MAX_ALT_TEXT = 1000
MAX_CASHTAGS = 1
MB = 1024 * 1024
IMAGE_TYPES = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WebP"}
GIF_TYPE = "image/gif"
VIDEO_TYPES = {"video/mp4": "MP4", "video/quicktime": "MOV"}
MAX_IMAGE_BYTES = 5 * MB
MAX_GIF_BYTES = 15 * MB
MAX_VIDEO_BYTES = 8 * 1024 * MB
MIN_VIDEO_SECONDS, MAX_VIDEO_SECONDS = 0.5, 20 * 60
MIN_VIDEO_RATIO, MAX_VIDEO_RATIO = 1 / 3, 3.0
REPLY_SETTINGS = ("following", "mentionedUsers", "subscribers", "verified")
# GET /2/tweets takes 1 to 100 ids (the specification's maxItems for `ids`).
MAX_LOOKUP_IDS = 100

# X's sample code sends 4 MB segments (APPEND takes at most 5 MB) and an upload
# has at most 1000 segments; larger files get larger segments.
CHUNK_BYTES = 4 * MB
MAX_SEGMENTS = 1000
# How long one publish waits for X to process a video before handing back a
# Transient error (the task retries later).
MAX_PROCESSING_WAIT = 300.0

_POST_ID = re.compile(r"[0-9]{1,19}")


class XPlatform(Platform):
    name = NAME
    display_name = "X"
    uses_pkce = True
    scopes = SCOPES
    revokes = True
    supports_threads = True
    supports_first_comment = True
    supports_video = True
    metrics_batch = MAX_LOOKUP_IDS

    def __init__(self, sleep: Callable[[float], None] = time.sleep):
        self._sleep = sleep  # between STATUS checks of a processing video

    # --- OAuth ------------------------------------------------------------------
    def authorization_url(self, app: AppCredentials, *, state: str, redirect_uri: str,
                          code_challenge: str | None = None) -> str:
        if not code_challenge:
            raise ValueError("X needs a PKCE code challenge (S256).")
        if len(state) > MAX_STATE:
            raise ValueError(f"X takes a state of at most {MAX_STATE} characters.")
        query = urllib.parse.urlencode({
            "response_type": "code",
            "client_id": app.client_id,
            "redirect_uri": redirect_uri,
            "scope": " ".join(self.scopes),
            "state": state,
            "code_challenge": code_challenge,
            "code_challenge_method": "S256",
        }, quote_via=urllib.parse.quote)
        return f"{X_AUTH_URL.value}?{query}"

    def exchange_code(self, app: AppCredentials, *, code: str, redirect_uri: str,
                      code_verifier: str | None = None) -> Tokens:
        if not code_verifier:
            raise ValueError("X needs the PKCE code verifier.")
        form = {"code": code, "grant_type": "authorization_code", "redirect_uri": redirect_uri,
                "code_verifier": code_verifier}
        body = self._token_call(app, "/2/oauth2/token", form, refused=lambda d: Permanent(
            NAME, "X did not accept the sign-in (it expired or was already used); connect your X account again.",
            status=400, detail=d))
        return _tokens(body, previous=None)

    def refresh(self, app: AppCredentials, tokens: Tokens) -> Tokens:
        if not tokens.refresh_token:
            raise AuthExpired(NAME, "Your X connection has expired; reconnect your X account.")
        form = {"refresh_token": tokens.refresh_token, "grant_type": "refresh_token"}
        body = self._token_call(app, "/2/oauth2/token", form, refused=lambda d: AuthExpired(
            NAME, "X no longer accepts this connection (it was revoked or expired); reconnect your X account.",
            status=400, detail=d))
        return _tokens(body, previous=tokens)

    def revoke(self, app: AppCredentials, tokens: Tokens) -> bool:
        # Both tokens: revoking the access token alone would leave the refresh
        # token able to mint new ones. A token X already considers invalid is
        # as good as revoked.
        for token in (tokens.refresh_token, tokens.access_token):
            if token:
                self._token_call(app, "/2/oauth2/revoke", {"token": token}, refused=None)
        return True

    # --- account ----------------------------------------------------------------
    def profile(self, tokens: Tokens) -> Profile:
        body = self._api("GET", "/2/users/me", tokens, action="read your X profile",
                         params={"user.fields": "profile_image_url,public_metrics"})
        user = body.get("data") or {}
        if not user.get("id"):
            raise Permanent(NAME, "X did not return your profile.", detail=_summary(body))
        followers = (user.get("public_metrics") or {}).get("followers_count")
        return Profile(account_id=user["id"], handle=user.get("username", ""),
                       display_name=user.get("name", ""), avatar_url=user.get("profile_image_url"),
                       followers_count=followers if isinstance(followers, int) else None)

    # --- posts ------------------------------------------------------------------
    def validate(self, content: PostContent) -> list[Problem]:
        problems = _check_part(content, "", "The post")
        for key, value in content.options.items():
            if key != "reply_settings":
                problems.append(Problem(f"options.{key}", f"X has no option '{key}'."))
            elif value not in REPLY_SETTINGS:
                problems.append(Problem("options.reply_settings",
                                        f"Who can reply on X must be one of: {', '.join(REPLY_SETTINGS)}."))
        for i, part in enumerate(content.thread):
            where = f"thread[{i}]."
            problems += _check_part(part, where, f"Part {i + 2} of the thread")
            if part.thread:
                problems.append(Problem(f"{where}thread", "A part of an X thread cannot start a thread of its own."))
            if part.first_comment:
                problems.append(Problem(f"{where}first_comment",
                                        "Only the first post of an X thread can have a first comment."))
            if part.options:
                problems.append(Problem(f"{where}options", "Options apply to the first post of an X thread only."))
        if content.first_comment:
            problems += _check_text(content.first_comment, "first_comment", "The first comment", has_media=False)
        return problems

    def publish(self, tokens: Tokens, content: PostContent) -> Published:
        problems = self.validate(content)
        if problems:
            raise Permanent(NAME, "This post cannot go to X: " + " ".join(p.message for p in problems),
                            detail="; ".join(p.field for p in problems))
        parts = [content, *content.thread]
        # Every file goes up before anything is posted, so a media failure
        # leaves nothing half-published.
        media_ids = [[self._upload(tokens, m) for m in part.media] for part in parts]
        root = self._create(tokens, parts[0], media_ids[0], reply_to=None,
                            reply_settings=content.options.get("reply_settings"))
        # Once the first post is out it must be reported, or a retry would post
        # it twice: a later failure ends the chain and the ids so far return.
        part_ids: list[str] = []
        comment_id = None
        try:
            previous = root
            for part, ids in zip(parts[1:], media_ids[1:]):
                previous = self._create(tokens, part, ids, reply_to=previous)
                part_ids.append(previous)
            if content.first_comment:
                comment_id = self._create(tokens, PostContent(text=content.first_comment), [], reply_to=root)
        except PlatformError as exc:
            from kernel import log

            log.warn("x publish stopped after the first post", post_id=root, error=type(exc).__name__,
                     status=exc.status, parts_published=len(part_ids), parts_wanted=len(parts) - 1)
        return Published(post_id=root, url=_post_url(root), part_ids=tuple(part_ids), comment_id=comment_id)

    def delete(self, tokens: Tokens, post_id: str) -> None:
        _check_post_id(post_id)
        response = self._send("DELETE", f"/2/tweets/{post_id}", tokens, idempotent=True)
        if response.status_code == 404:
            return  # already gone: what deleting wanted
        body = self._read(response, "delete the post on X")
        if (body.get("data") or {}).get("deleted") is not True:
            raise Permanent(NAME, "X did not delete the post.", status=response.status_code, detail=_summary(body))

    def metrics(self, tokens: Tokens, post_id: str) -> Metrics:
        _check_post_id(post_id)
        body = self._api("GET", f"/2/tweets/{post_id}", tokens, action="read the post's numbers on X",
                         params={"tweet.fields": "public_metrics"})
        data = body.get("data")
        if not data:
            raise _gone(_summary(body))
        return _metrics(data)

    def metrics_many(self, tokens: Tokens, post_ids: list[str]) -> dict[str, Metrics | Permanent]:
        wanted, out = split_post_ids(post_ids, _check_post_id, MAX_LOOKUP_IDS, "X")
        if not wanted:
            return out
        body = self._api("GET", "/2/tweets", tokens, action="read the posts' numbers on X",
                         params={"ids": ",".join(wanted), "tweet.fields": "public_metrics"})
        found = {str(d.get("id")): d for d in body.get("data") or [] if isinstance(d, dict)}
        # A post X cannot give (deleted, protected) comes back in "errors", naming its id.
        errors = {str(e.get("value") or e.get("resource_id")): e for e in body.get("errors") or []
                  if isinstance(e, dict)}
        for post_id in wanted:
            data = found.get(post_id)
            out[post_id] = _metrics(data) if data else _gone(_summary({"errors": [errors.get(post_id) or {}]}))
        return out

    # --- media ------------------------------------------------------------------
    def _upload(self, tokens: Tokens, media: Media) -> str:
        category = _category(media)
        init = self._api("POST", "/2/media/upload/initialize", tokens, action="start a media upload to X",
                         json={"media_type": media.mime_type, "total_bytes": media.size, "media_category": category})
        media_id = str((init.get("data") or {}).get("id") or "")
        if not _POST_ID.fullmatch(media_id):
            raise Transient(NAME, "X did not start the media upload; will retry.", detail=_summary(init))
        sent = 0
        size = max(CHUNK_BYTES, -(-media.size // MAX_SEGMENTS))
        for index, segment in enumerate(_segments(media, size)):
            self._api("POST", f"/2/media/upload/{media_id}/append", tokens, action="upload media to X",
                      data={"segment_index": str(index)},
                      files={"media": ("media", segment, "application/octet-stream")})
            sent += len(segment)
        if sent != media.size:
            raise Permanent(NAME, f"The file was {sent} bytes, not the {media.size} announced; upload it again.")
        final = self._api("POST", f"/2/media/upload/{media_id}/finalize", tokens, action="finish a media upload to X")
        self._await_processing(tokens, media_id, (final.get("data") or {}).get("processing_info"))
        if media.alt_text and category != "tweet_video":
            self._api("POST", "/2/media/metadata", tokens, action="add alt text on X",
                      json={"id": media_id, "metadata": {"alt_text": {"text": media.alt_text}}})
        return media_id

    def _await_processing(self, tokens: Tokens, media_id: str, info: dict | None) -> None:
        waited = 0.0
        while info and info.get("state") in ("pending", "in_progress"):
            delay = float(info.get("check_after_secs") or 1)
            if waited + delay > MAX_PROCESSING_WAIT:
                raise Transient(NAME, "X is still processing the video; will retry.", detail=f"media {media_id}")
            self._sleep(delay)
            waited += delay
            status = self._api("GET", "/2/media/upload", tokens, action="check a media upload on X",
                               params={"command": "STATUS", "media_id": media_id})
            info = (status.get("data") or {}).get("processing_info")
        if info and info.get("state") == "failed":
            error = info.get("error") if isinstance(info.get("error"), dict) else {}
            reason = error.get("message") or error.get("name")
            raise Permanent(NAME, "X could not process the video" + (f": {reason}." if reason else "."),
                            detail=f"media {media_id}: {error}")

    def _create(self, tokens: Tokens, part: PostContent, media_ids: list[str], *, reply_to: str | None,
                reply_settings: str | None = None) -> str:
        body: dict = {}
        text = _text(part)
        if text:
            body["text"] = text
        if media_ids:
            body["media"] = {"media_ids": media_ids}
        if reply_to:
            body["reply"] = {"in_reply_to_tweet_id": reply_to}
        if reply_settings:
            body["reply_settings"] = reply_settings
        # Not idempotent: a timeout after sending is OutcomeUnknown (platforms.http).
        created = self._api("POST", "/2/tweets", tokens, action="publish on X", idempotent=False, json=body)
        post_id = str((created.get("data") or {}).get("id") or "")
        if not _POST_ID.fullmatch(post_id):
            raise OutcomeUnknown(NAME, "X answered without the post's id; it may be on X.", detail=_summary(created))
        return post_id

    # --- HTTP -------------------------------------------------------------------
    def _send(self, method: str, path: str, tokens: Tokens, *, idempotent: bool, **kwargs):
        headers = {"Authorization": f"Bearer {tokens.access_token}"}
        return http.send(NAME, method, f"{X_API_URL.value}{path}", idempotent=idempotent, headers=headers, **kwargs)

    def _api(self, method: str, path: str, tokens: Tokens, *, action: str, idempotent: bool = True,
             **kwargs) -> dict:
        # Media requests count as idempotent: repeating one publishes nothing.
        return self._read(self._send(method, path, tokens, idempotent=idempotent, **kwargs), action)

    @staticmethod
    def _read(response, action: str) -> dict:
        if response.status_code >= 400:
            raise _error(response, action)
        body = _json(response)
        return body if isinstance(body, dict) else {}

    def _token_call(self, app: AppCredentials, path: str, form: dict, *, refused) -> dict:
        headers = {}
        if app.client_secret:
            pair = f"{app.client_id}:{app.client_secret}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
        else:
            form = {**form, "client_id": app.client_id}
        # A spent authorization code or rotated refresh token cannot be sent
        # again, so a lost answer is OutcomeUnknown, not a retry. Revoking twice is harmless.
        idempotent = path.endswith("/revoke")
        response = http.send(NAME, "POST", f"{X_API_URL.value}{path}", idempotent=idempotent,
                             headers=headers, data=form)
        body = _json(response)
        body = body if isinstance(body, dict) else {}
        if response.status_code == 400:
            if refused is None:
                return body
            raise refused(_summary(body))
        if response.status_code == 401 and body.get("error") == "unauthorized_client":
            raise Permanent(NAME, "X refused postr's app credentials; this is on postr's side, not yours.",
                            status=401, detail=_summary(body))
        if response.status_code >= 400:
            raise _error(response, "connect to X")
        return body


def _tokens(body: dict, previous: Tokens | None) -> Tokens:
    from kernel import clock

    access = body.get("access_token")
    if not access:
        raise Permanent(NAME, "X did not return a token; connect your X account again.", detail=_summary(body))
    expires_in = body.get("expires_in")
    expires_at = clock.now() + _dt.timedelta(seconds=int(expires_in)) if expires_in else None
    scope = body.get("scope")
    return Tokens(
        access_token=access,
        refresh_token=body.get("refresh_token") or (previous.refresh_token if previous else None),
        expires_at=expires_at,
        # What X says was granted; an answer without `scope` granted what was
        # asked, or on a refresh what the connection holds (RFC 6749 §5.1, §6).
        scopes=scope.split() if isinstance(scope, str) else list(previous.scopes if previous else SCOPES),
        extra=dict(previous.extra) if previous else {},
    )


# --- validation --------------------------------------------------------------------

def _text(part: PostContent) -> str:
    # X has no separate link field: a link goes in the text (X shows its card).
    text = part.text or ""
    if part.link and part.link not in text:
        text = f"{text}\n\n{part.link}" if text else part.link
    return text


def _check_part(part: PostContent, where: str, label: str) -> list[Problem]:
    problems = _check_text(_text(part), f"{where}text", label, has_media=bool(part.media))
    problems += _check_media(part.media, where)
    return problems


def _check_text(text: str, field: str, label: str, *, has_media: bool) -> list[Problem]:
    from platforms import x_text

    problems = []
    if not text.strip() and not has_media:
        return [Problem(field, f"{label} needs text or media for X.")]
    length = x_text.weighted_length(text)
    if length > x_text.MAX_WEIGHTED_LENGTH:
        problems.append(Problem(field, (
            f"{label} is {length} characters as X counts them (each link 23, emoji and CJK characters 2); "
            f"X allows {x_text.MAX_WEIGHTED_LENGTH}.")))
    invalid = x_text.invalid_characters(text)
    if invalid:
        problems.append(Problem(field, f"{label} contains characters X does not accept: {', '.join(invalid)}."))
    tags = x_text.cashtags(text)
    if len(tags) > MAX_CASHTAGS:
        problems.append(Problem(field, (
            f"{label} has {len(tags)} cashtags ({', '.join('$' + t for t in tags)}); "
            f"X allows {MAX_CASHTAGS} per post from apps.")))
    return problems


def _kind(media: Media) -> str:
    if media.mime_type == GIF_TYPE:
        return "gif"
    if media.mime_type in IMAGE_TYPES:
        return "image"
    if media.mime_type in VIDEO_TYPES:
        return "video"
    return "other"


def _category(media: Media) -> str:
    return {"gif": "tweet_gif", "image": "tweet_image", "video": "tweet_video"}[_kind(media)]


def _check_media(items: list[Media], where: str) -> list[Problem]:
    problems = []
    kinds = [_kind(m) for m in items]
    images, gifs, videos = kinds.count("image"), kinds.count("gif"), kinds.count("video")
    if (gifs or videos) and len(items) > 1:
        problems.append(Problem(f"{where}media", (
            "X takes up to 4 images, or 1 GIF, or 1 video per post, not a mix; "
            f"this post has {_describe(images, gifs, videos)}.")))
    elif images > MAX_IMAGES:
        problems.append(Problem(f"{where}media", f"X takes at most {MAX_IMAGES} images per post; this post has {images}."))
    for i, (media, kind) in enumerate(zip(items, kinds)):
        field = f"{where}media[{i}]"
        n = f"Attachment {i + 1}"
        if kind == "other":
            problems.append(Problem(field, (
                f"{n} is {media.mime_type}; X takes JPEG, PNG, WebP or GIF images and MP4 or MOV video.")))
            continue
        if (kind == "video") != (media.kind == "video"):
            problems.append(Problem(field, f"{n} is marked as {media.kind} but its type is {media.mime_type}."))
        limit = {"image": MAX_IMAGE_BYTES, "gif": MAX_GIF_BYTES, "video": MAX_VIDEO_BYTES}[kind]
        if media.size <= 0:
            problems.append(Problem(field, f"{n} is empty."))
        elif media.size > limit:
            problems.append(Problem(field, (
                f"{n} is {_size(media.size)}; X takes {_PLURAL[kind]} up to {_size(limit)}.")))
        if media.chunks is None:
            problems.append(Problem(field, f"{n} has no file data to upload to X."))
        if media.alt_text is not None and len(media.alt_text) > MAX_ALT_TEXT:
            problems.append(Problem(f"{field}.alt_text", (
                f"The alt text of attachment {i + 1} is {len(media.alt_text)} characters; X allows {MAX_ALT_TEXT}.")))
        if kind == "video":
            seconds = media.duration_s
            if seconds is not None and not MIN_VIDEO_SECONDS <= seconds <= MAX_VIDEO_SECONDS:
                problems.append(Problem(field, (
                    f"{n} lasts {seconds:g} seconds; X takes videos from {MIN_VIDEO_SECONDS:g} seconds "
                    f"to {MAX_VIDEO_SECONDS // 60} minutes.")))
            if media.width and media.height:
                ratio = media.width / media.height
                if not MIN_VIDEO_RATIO <= ratio <= MAX_VIDEO_RATIO:
                    problems.append(Problem(field, (
                        f"{n} is {media.width}x{media.height}; X takes videos between 1:3 and 3:1.")))
    return problems


_PLURAL = {"image": "images", "gif": "GIFs", "video": "videos"}


def _describe(images: int, gifs: int, videos: int) -> str:
    words = [f"{n} {name}{'s' if n > 1 else ''}" for n, name in ((images, "image"), (gifs, "GIF"), (videos, "video")) if n]
    return " and ".join(words)


def _size(n: int) -> str:
    return f"{n / (1024 * MB):g} GB" if n >= 1024 * MB else f"{n / MB:.3g} MB"


def _segments(media: Media, size: int) -> Iterator[bytes]:
    """The file in `size`-byte pieces (the last shorter), whatever sizes
    `Media.chunks` yields; never more than about two pieces in memory."""
    buffer = bytearray()
    for piece in media.chunks(size):
        buffer += piece
        while len(buffer) >= size:
            yield bytes(buffer[:size])
            del buffer[:size]
    if buffer:
        yield bytes(buffer)


def _check_post_id(post_id: str) -> None:
    if not _POST_ID.fullmatch(post_id or ""):
        raise Permanent(NAME, "That is not an X post id.", detail="bad post id")


def _metrics(data: dict) -> Metrics:
    """A post object's public_metrics, the same whichever lookup returned it."""
    counts = data.get("public_metrics") or {}

    def count(key: str) -> int | None:
        value = counts.get(key)
        return value if isinstance(value, int) else None

    return Metrics(likes=count("like_count"), reposts=count("retweet_count"),
                   replies=count("reply_count"), views=count("impression_count"))


def _gone(detail: str) -> Permanent:
    return Permanent(NAME, "This post is no longer on X (deleted, or hidden from this account).", status=404,
                     detail=detail)


def _post_url(post_id: str) -> str:
    # The handle may change; this address always leads to the post.
    return f"https://x.com/i/web/status/{post_id}"


# --- errors ------------------------------------------------------------------------

def _json(response):
    try:
        return response.json()
    except ValueError:
        return None


def _summary(body) -> str:
    """X's own words for logs: problem type, title, detail and error messages
    (never parameters, which may echo the post)."""
    if not isinstance(body, dict):
        return ""
    bits = [str(body[k]) for k in ("type", "title", "detail", "error", "error_description") if body.get(k)]
    for error in body.get("errors") or []:
        if isinstance(error, dict):
            bits += [str(error[k]) for k in ("type", "title", "detail", "message") if error.get(k)]
    return "; ".join(bits)[:500]


def _reason(body) -> str:
    """X's explanation, for a person: the detail, else the title, else the first error message."""
    if not isinstance(body, dict):
        return ""
    messages = [e.get("message") or e.get("detail") for e in body.get("errors") or [] if isinstance(e, dict)]
    messages = [m for m in messages if m]
    if body.get("detail") and body.get("detail") != body.get("title"):
        extra = f" ({'; '.join(messages)})" if messages else ""
        return f"{str(body['detail']).rstrip('.')}{extra}"
    return messages[0] if messages else (body.get("title") or "")


def _error(response, action: str) -> PlatformError:
    status = response.status_code
    body = _json(response)
    kind = body.get("type", "") if isinstance(body, dict) else ""
    reason = _reason(body).rstrip(".")
    kw = {"status": status, "detail": _summary(body) or f"HTTP {status}"}
    if status == 401:
        return AuthExpired(NAME, "Your X connection has expired or was revoked; reconnect your X account.", **kw)
    if status == 429 or kind.endswith(("/usage-capped", "/rate-limit-exceeded")):
        return RateLimited(NAME, "X is limiting requests for this account right now; postr will retry later.",
                           retry_after=_retry_after(response), **kw)
    if status >= 500 or status == 408:
        return Transient(NAME, "X had a temporary problem; postr will retry.", **kw)
    if status == 403:
        if "duplicate content" in reason.lower():
            return Permanent(NAME, "X refused this post because it repeats one already on this account.", **kw)
        if kind.endswith("/client-forbidden"):
            return Permanent(NAME, "postr's X app is not allowed to do this (X developer access); "
                                   "this is on postr's side, not yours.", **kw)
        return Permanent(NAME, f"X did not allow postr to {action.removesuffix(' on X')}"
                               + (f": {reason}." if reason and reason != "Forbidden" else "."), **kw)
    if status == 404:
        return Permanent(NAME, f"X could not find what was needed to {action.removesuffix(' on X')}.", **kw)
    return Permanent(NAME, f"X refused to {action.removesuffix(' on X')}" + (f": {reason}." if reason else "."), **kw)


def _retry_after(response) -> float | None:
    """Seconds until the exhausted limit resets: Retry-After if sent, else the
    latest reset among the windows with nothing remaining (15-minute, and the
    24-hour user and app windows of posting), else x-rate-limit-reset."""
    from kernel import clock

    seconds = http.retry_after(response)
    if seconds is not None:
        return seconds
    headers = response.headers
    resets = []
    for prefix in ("x-rate-limit", "x-user-limit-24hour", "x-app-limit-24hour"):
        reset = headers.get(f"{prefix}-reset", "")
        if reset.isdigit() and headers.get(f"{prefix}-remaining") == "0":
            resets.append(int(reset))
    if not resets and headers.get("x-rate-limit-reset", "").isdigit():
        resets.append(int(headers["x-rate-limit-reset"]))
    if not resets:
        return None
    return max(0.0, max(resets) - clock.now().timestamp())


PLATFORM = XPlatform()
