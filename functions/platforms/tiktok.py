"""TikTok, through Login Kit for Web and the Content Posting API (API v2).

What the module relies on, from TikTok for Developers (developers.tiktok.com/doc/
login-kit-web, oauth-user-access-token-management, content-posting-api-*,
tiktok-api-v2-get-user-info, tiktok-api-v2-video-query, tiktok-api-v2-error-handling):
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
- Scopes, one per need: user.info.basic (open_id, avatar, display name),
  user.info.profile (username: the handle), user.info.stats (follower_count),
  video.publish (Direct Post, creator info, post status), video.upload (send
  to the inbox), video.list (a post's counts, /v2/video/query/).
- Every v2 answer carries {"error": {"code", "message", "log_id"}}, "ok" on
  success; creator_info answers a posting cap with HTTP 200 and an error code.
- Direct Post: `POST /v2/post/publish/creator_info/query/` (privacy_level_options,
  comment/duet/stitch_disabled, max_video_post_duration_sec), then
  `/v2/post/publish/video/init/` {post_info, source_info}. Inbox:
  `/v2/post/publish/inbox/video/init/` {source_info}. Photos:
  `/v2/post/publish/content/init/` {media_type: PHOTO, post_mode, post_info,
  source_info: PULL_FROM_URL, photo_images, photo_cover_index}.
- FILE_UPLOAD: init returns an upload_url (valid one hour); the file goes up
  in sequential PUTs with Content-Range; chunks of 5 to 64 MB, the last one
  holding the trailing bytes (up to 128 MB), total_chunk_count = floor(size /
  chunk_size), 1 to 1000 chunks, files under 5 MB whole. 206 per chunk, 201
  once all arrived (TikTok then posts); 5xx: send the chunk again; 416: the
  range is out of step with what TikTok holds. PULL_FROM_URL: TikTok fetches
  an https URL under a prefix verified for postr's app.
- `POST /v2/post/publish/status/fetch/` {publish_id}: PROCESSING_UPLOAD,
  PROCESSING_DOWNLOAD, SEND_TO_USER_INBOX, PUBLISH_COMPLETE or FAILED with a
  fail_reason; `publicaly_available_post_id` (TikTok's spelling) comes only
  once a public post passed moderation (usually within a minute, sometimes
  hours); `uploaded_bytes`; 30 requests a minute per token.
- Rate limits are per token over a one-minute sliding window (429,
  rate_limit_exceeded); posting caps are per creator per 24 hours.
- There is no endpoint to delete a post or to comment.

`Published.post_id` is TikTok's public video id when TikTok gave it while
postr waited, else the publish_id (private posts never get a public id;
public ones may wait on moderation). `metrics` takes either.
"""

import datetime as _dt
import re
import time
import urllib.parse
from collections.abc import Callable, Iterator

from firebase_functions.params import StringParam

from platforms import http, tiktok_rules as rules
from platforms.base import AppCredentials, Media, Metrics, Platform, PostContent, Problem, Profile, Published, Tokens
from platforms.errors import AuthExpired, OutcomeUnknown, Permanent, PlatformError, RateLimited, Transient

TIKTOK_API_URL = StringParam("TIKTOK_API_URL", default="https://open.tiktokapis.com")
TIKTOK_AUTH_URL = StringParam("TIKTOK_AUTH_URL", default="https://www.tiktok.com/v2/auth/authorize/")

NAME = "tiktok"
SCOPES = ("user.info.basic", "user.info.profile", "user.info.stats", "video.publish", "video.upload", "video.list")
# user/info fields, by the scope that unlocks them.
PROFILE_FIELDS = {"user.info.basic": ("open_id", "union_id", "avatar_url", "display_name"),
                  "user.info.profile": ("username",), "user.info.stats": ("follower_count",)}
VIDEO_FIELDS = "id,like_count,comment_count,share_count,view_count"

MB = rules.MB
MAX_CHUNK, MAX_CHUNKS = 64 * MB, 1000
# Files from 10 MB go up in 10 MB chunks (TikTok's own example size), so at
# most one chunk of under 20 MB (with the trailing bytes) is held at a time.
CHUNK_BYTES = 10 * MB
READ_BYTES = 1 * MB  # pieces asked of Media.chunks
CHUNK_RETRY_DELAYS = (1.0, 4.0)  # a chunk TikTok answered with 5xx is sent again, twice at most
# Waits between status checks (30 a minute allowed): about five minutes in all.
POLL_DELAYS = (2.0, 3.0, 5.0, 8.0, 12.0, 20.0, *(30.0,) * 9)
RATE_WINDOW_SECONDS = 60.0
JSON = "application/json; charset=UTF-8"


def _upload_schemes() -> tuple[str, ...]:
    # TikTok's upload addresses are https; the loopback fakes of the tests are not.
    from platforms.addresses import private_allowed

    return ("https://", "http://") if private_allowed() else ("https://",)


_VIDEO_ID = re.compile(r"[0-9]{1,20}")
_PUBLISH_ID = re.compile(r"[A-Za-z0-9_.~-]{1,64}")


class TikTokPlatform(Platform):
    name = NAME
    display_name = "TikTok"
    uses_pkce = False  # Login Kit for Web: PKCE is for mobile and desktop apps only
    scopes = SCOPES
    revokes = True
    supports_threads = False
    supports_first_comment = False
    supports_video = True

    def __init__(self, *, sleep: Callable[[float], None] = time.sleep, poll_delays: tuple[float, ...] = POLL_DELAYS):
        self._sleep = sleep
        self.poll_delays = poll_delays

    # --- OAuth ------------------------------------------------------------------
    def authorization_url(self, app: AppCredentials, *, state: str, redirect_uri: str,
                          code_challenge: str | None = None) -> str:
        query = urllib.parse.urlencode({
            "client_key": app.client_id,
            "scope": ",".join(self.scopes),
            "response_type": "code",
            "redirect_uri": redirect_uri,
            "state": state,
        })
        return f"{TIKTOK_AUTH_URL.value}?{query}"

    def exchange_code(self, app: AppCredentials, *, code: str, redirect_uri: str,
                      code_verifier: str | None = None) -> Tokens:
        body = self._token_call(app, "/v2/oauth/token/", {
            "code": code, "grant_type": "authorization_code", "redirect_uri": redirect_uri,
        }, refused=lambda d: Permanent(NAME, "TikTok did not accept the sign-in (it expired or was already used); "
                                             "connect your TikTok account again.", detail=d))
        return _tokens(body, previous=None)

    def refresh(self, app: AppCredentials, tokens: Tokens) -> Tokens:
        if not tokens.refresh_token:
            raise AuthExpired(NAME, "Your TikTok connection has expired; reconnect your TikTok account.")
        body = self._token_call(app, "/v2/oauth/token/", {
            "grant_type": "refresh_token", "refresh_token": tokens.refresh_token,
        }, refused=lambda d: AuthExpired(NAME, "TikTok no longer accepts this connection (it was revoked or "
                                               "expired); reconnect your TikTok account.", detail=d))
        return _tokens(body, previous=tokens)

    def revoke(self, app: AppCredentials, tokens: Tokens) -> bool:
        """Revoke takes an access token, which lasts a day: when TikTok no
        longer takes the one held, a fresh one from the refresh token is
        revoked instead, so postr leaves the person's app permissions. If
        neither token works, nothing is left to revoke."""
        if self._revoke(app, tokens.access_token) or not tokens.refresh_token:
            return True
        try:
            fresh = self.refresh(app, tokens)
        except AuthExpired:
            return True
        self._revoke(app, fresh.access_token)
        return True

    def _revoke(self, app: AppCredentials, access_token: str) -> bool:
        """True when TikTok revoked the token; False when it no longer knew it."""
        stale = []
        self._token_call(app, "/v2/oauth/revoke/", {"token": access_token}, refused=stale.append)
        return not stale

    # --- account ----------------------------------------------------------------
    def profile(self, tokens: Tokens) -> Profile:
        # A field whose scope the person refused would fail the whole request,
        # so only the granted ones are asked for (all of them when unknown).
        granted = [s for s in PROFILE_FIELDS if not tokens.scopes or s in tokens.scopes]
        fields = [f for s in granted for f in PROFILE_FIELDS[s]]
        data = self._api("GET", "/v2/user/info/", tokens, action="read your TikTok profile",
                         params={"fields": ",".join(fields)})
        user = data.get("user") or {}
        if not user.get("open_id"):
            raise Permanent(NAME, "TikTok did not return your profile.", detail="user/info without open_id")
        followers = user.get("follower_count")
        return Profile(account_id=str(user["open_id"]), handle=user.get("username") or "",
                       display_name=user.get("display_name") or user.get("username") or "",
                       avatar_url=user.get("avatar_url") or None,
                       followers_count=followers if isinstance(followers, int) else None)

    # --- posts ------------------------------------------------------------------
    def validate(self, content: PostContent) -> list[Problem]:
        return rules.problems(content)

    def publish(self, tokens: Tokens, content: PostContent) -> Published:
        _refuse(self.validate(content))
        mode = rules.mode(content)
        _require_scope(tokens, "video.publish" if mode == rules.DIRECT else "video.upload",
                       "post to TikTok" if mode == rules.DIRECT else "send posts to your TikTok inbox")
        creator = None
        if mode == rules.DIRECT:
            # TikTok's guidelines: read the creator's current settings before
            # each post, and stop when they do not allow it.
            creator = self._api("POST", "/v2/post/publish/creator_info/query/", tokens,
                                action="read your TikTok posting settings", headers={"Content-Type": JSON})
            _refuse(_creator_problems(content, creator))
        if rules.kind(content) == "photo":
            publish_id = self._init_photos(tokens, content, mode, creator)
        else:
            publish_id = self._send_video(tokens, content, mode, creator)
        return self._await(tokens, publish_id, content, creator)

    def delete(self, tokens: Tokens, post_id: str) -> None:
        raise Permanent(NAME, "TikTok's API cannot delete posts; delete it in the TikTok app.",
                        detail="TikTok has no delete endpoint")

    def metrics(self, tokens: Tokens, post_id: str) -> Metrics:
        """Likes, shares (as reposts), comments (as replies) and views of a
        public video. TikTok shows counts of public videos only, so a private,
        deleted or not yet public post has none, and neither has a connection
        without video.list."""
        result = self.metrics_many(tokens, [post_id])[post_id]
        if isinstance(result, Permanent):
            raise result
        return result

    # video/query takes at most 20 video ids a request.
    metrics_batch = 20

    def metrics_many(self, tokens: Tokens, post_ids: list[str]) -> dict[str, Metrics | Permanent]:
        """The numbers of up to 20 posts with one video/query (a publish id is
        first turned into its public video id, one status read each)."""
        ids = list(dict.fromkeys(post_ids))
        if len(ids) > self.metrics_batch:
            raise ValueError(f"TikTok takes at most {self.metrics_batch} video ids a request.")
        if tokens.scopes and "video.list" not in tokens.scopes:
            return {post_id: Metrics() for post_id in ids}
        out: dict[str, Metrics | Permanent] = {}
        video_of: dict[str, str] = {}
        for post_id in ids:
            try:
                video_id = self._video_id(tokens, post_id)
            except Permanent as err:
                out[post_id] = err
                continue
            if video_id is None:
                out[post_id] = Metrics()  # not public (yet): TikTok shows no counts
            else:
                video_of[post_id] = video_id
        if video_of:
            wanted = list(dict.fromkeys(video_of.values()))
            data = self._api("POST", "/v2/video/query/", tokens, action="read the posts' numbers on TikTok",
                             params={"fields": VIDEO_FIELDS}, json={"filters": {"video_ids": wanted}},
                             headers={"Content-Type": JSON})
            videos = {str(v.get("id")): v for v in data.get("videos") or []}
            for post_id, video_id in video_of.items():
                out[post_id] = _video_metrics(videos.get(video_id))
        return out

    def _video_id(self, tokens: Tokens, post_id: str) -> str | None:
        """The public video id of a post id (a video id, or a publish id TikTok
        has made public); None while it is not public."""
        if _VIDEO_ID.fullmatch(post_id or ""):
            return post_id
        if not _PUBLISH_ID.fullmatch(post_id or ""):
            raise Permanent(NAME, "That is not a TikTok post id.", detail="bad post id")
        status = self._status(tokens, post_id)
        public = status.get("publicaly_available_post_id") or []
        if status.get("status") != "PUBLISH_COMPLETE" or not public:
            return None
        return str(public[0])

    # --- sending --------------------------------------------------------------------
    def _send_video(self, tokens: Tokens, content: PostContent, mode: str, creator: dict | None) -> str:
        media = content.media[0]
        body: dict = {}
        if mode == rules.DIRECT:
            body["post_info"] = _video_post_info(content, creator or {})
            path = "/v2/post/publish/video/init/"
        else:
            path = "/v2/post/publish/inbox/video/init/"
        if rules.source(content) == rules.PULL_FROM_URL:
            body["source_info"] = {"source": rules.PULL_FROM_URL, "video_url": media.url}
            # TikTok starts fetching, then posting, once it answers: a lost
            # answer may still become a post.
            data = self._api("POST", path, tokens, action="send the video to TikTok", idempotent=False,
                             json=body, headers={"Content-Type": JSON})
            return _publish_id(data, sent=True)
        chunk_size, count = chunk_plan(media.size)
        body["source_info"] = {"source": rules.FILE_UPLOAD, "video_size": media.size, "chunk_size": chunk_size,
                               "total_chunk_count": count}
        # Nothing is posted before every byte arrives, so a lost answer here
        # leaves only an empty upload behind: safe to try again.
        data = self._api("POST", path, tokens, action="start the video upload to TikTok", json=body,
                         headers={"Content-Type": JSON})
        publish_id = _publish_id(data, sent=False)
        upload_url = data.get("upload_url")
        if not isinstance(upload_url, str) or not upload_url.startswith(_upload_schemes()):
            raise Transient(NAME, "TikTok did not give an upload address; will retry.", detail=publish_id)
        self._upload(tokens, publish_id, upload_url, media, chunk_size, count)
        return publish_id

    def _upload(self, tokens: Tokens, publish_id: str, upload_url: str, media: Media, chunk_size: int,
                count: int) -> None:
        for index, (start, pieces) in enumerate(_chunks(media, chunk_size, count)):
            end = start + sum(len(p) for p in pieces)
            final = index == count - 1
            headers = {"Content-Type": media.mime_type, "Content-Length": str(end - start),
                       "Content-Range": f"bytes {start}-{end - 1}/{media.size}"}
            for delay in (*CHUNK_RETRY_DELAYS, None):
                try:
                    # The last chunk sets the post going: a lost answer to it is
                    # OutcomeUnknown (platforms.http); earlier ones can be resent.
                    response = http.send(NAME, "PUT", upload_url, idempotent=not final, headers=headers,
                                         content=iter(pieces))
                except Transient:
                    if delay is None:
                        raise
                    self._sleep(delay)
                    if self._uploaded(tokens, publish_id) >= end:
                        break  # the chunk arrived; only its answer was lost
                    continue
                if response.status_code in (200, 201, 206):
                    break
                if response.status_code == 416 and self._uploaded(tokens, publish_id) >= end:
                    break  # an earlier try of this chunk arrived after all
                if response.status_code >= 500 and delay is not None:
                    self._sleep(delay)
                    continue
                raise _upload_error(response, index + 1, count)

    def _uploaded(self, tokens: Tokens, publish_id: str) -> int:
        value = self._status(tokens, publish_id).get("uploaded_bytes")
        return value if isinstance(value, int) else 0

    def _init_photos(self, tokens: Tokens, content: PostContent, mode: str, creator: dict | None) -> str:
        options = content.options
        post_info: dict = {"description": rules.caption(content)} if rules.caption(content) else {}
        if options.get("title"):
            post_info["title"] = options["title"]
        if mode == rules.DIRECT:
            post_info.update({
                "privacy_level": options["privacy_level"],
                "disable_comment": (not options.get("allow_comment", False)
                                    or bool((creator or {}).get("comment_disabled"))),
                "auto_add_music": options.get("auto_add_music", False),
                "brand_content_toggle": options.get("brand_content_toggle", False),
                "brand_organic_toggle": options.get("brand_organic_toggle", False),
            })
        body = {"media_type": "PHOTO", "post_mode": mode, "post_info": post_info,
                "source_info": {"source": rules.PULL_FROM_URL, "photo_images": [m.url for m in content.media],
                                "photo_cover_index": options.get("photo_cover_index", 0)}}
        if "is_aigc" in options:
            body["is_aigc"] = options["is_aigc"]
        data = self._api("POST", "/v2/post/publish/content/init/", tokens, action="send the photos to TikTok",
                         idempotent=False, json=body, headers={"Content-Type": JSON})
        return _publish_id(data, sent=True)

    def _await(self, tokens: Tokens, publish_id: str, content: PostContent, creator: dict | None) -> Published:
        """Follow the post until TikTok has it out (or in the inbox). The post
        is TikTok's from here: a failure says so and may be retried; anything
        else (still processing, a lost status answer) returns the publish_id,
        never an error that would send it twice."""
        inbox = rules.mode(content) == rules.INBOX
        public = content.options.get("privacy_level") == "PUBLIC_TO_EVERYONE"
        for delay in self.poll_delays:
            self._sleep(delay)
            try:
                data = self._status(tokens, publish_id)
            except PlatformError as exc:
                _log_unfinished(publish_id, f"status check failed: {type(exc).__name__}")
                return Published(post_id=publish_id, url=None)
            status = data.get("status")
            if status == "FAILED":
                raise _failure(data.get("fail_reason"), publish_id)
            if inbox and status in ("SEND_TO_USER_INBOX", "PUBLISH_COMPLETE"):
                return Published(post_id=publish_id, url=None)
            if status == "PUBLISH_COMPLETE":
                ids = data.get("publicaly_available_post_id") or []
                if ids:
                    return Published(post_id=str(ids[0]), url=_post_url(creator, str(ids[0])))
                if not public:
                    return Published(post_id=publish_id, url=None)  # private posts get no public id
        _log_unfinished(publish_id, "still processing")
        return Published(post_id=publish_id, url=None)

    def _status(self, tokens: Tokens, publish_id: str) -> dict:
        return self._api("POST", "/v2/post/publish/status/fetch/", tokens, action="check the post on TikTok",
                         json={"publish_id": publish_id}, headers={"Content-Type": JSON})

    # --- HTTP -------------------------------------------------------------------------
    def _api(self, method: str, path: str, tokens: Tokens, *, action: str, idempotent: bool = True,
             headers: dict | None = None, **kwargs) -> dict:
        headers = {"Authorization": f"Bearer {tokens.access_token}", **(headers or {})}
        response = http.send(NAME, method, f"{TIKTOK_API_URL.value}{path}", idempotent=idempotent,
                             headers=headers, **kwargs)
        body = _json(response)
        error = body.get("error") if isinstance(body, dict) else None
        code = error.get("code") if isinstance(error, dict) else None
        if response.status_code >= 400 or (code and code != "ok"):
            raise _api_error(response, error if isinstance(error, dict) else {}, action)
        if not isinstance(body, dict):
            if idempotent:
                raise Transient(NAME, "TikTok answered with something unreadable; will retry.",
                                status=response.status_code)
            raise OutcomeUnknown(NAME, "TikTok's answer was unreadable; the post may be on TikTok.",
                                 status=response.status_code)
        data = body.get("data")
        return data if isinstance(data, dict) else {}

    def _token_call(self, app: AppCredentials, path: str, form: dict, *, refused) -> dict:
        form = {"client_key": app.client_id, "client_secret": app.client_secret or "", **form}
        # A spent code or rotated refresh token cannot be sent again, so a lost
        # answer is OutcomeUnknown; revoking twice is harmless.
        response = http.send(NAME, "POST", f"{TIKTOK_API_URL.value}{path}", idempotent=path.endswith("/revoke/"),
                             headers={"Cache-Control": "no-cache"}, data=form)
        body = _json(response)
        body = body if isinstance(body, dict) else {}
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
            raise _api_error(response, {}, "connect your TikTok account")
        return body


# --- requests ----------------------------------------------------------------------------

def chunk_plan(size: int) -> tuple[int, int]:
    """(chunk_size, total_chunk_count) by TikTok's rules: under 10 MB whole (a
    file under 5 MB must be, and one chunk may be up to 64 MB); larger files in
    10 MB chunks, the last one taking the remainder (under 20 MB, within the
    128 MB TikTok allows), never more than 1000 chunks."""
    if size < CHUNK_BYTES:
        return size, 1
    chunk = min(MAX_CHUNK, max(CHUNK_BYTES, -(-size // MAX_CHUNKS)))
    return chunk, size // chunk


def _chunks(media: Media, chunk_size: int, count: int) -> Iterator[tuple[int, list[bytes]]]:
    """(offset, pieces) for each chunk, the last taking every remaining byte;
    only the chunk being sent is held (a chunk is sent again from its pieces)."""
    stream = media.chunks(min(READ_BYTES, chunk_size) or 1)
    carry = b""
    offset = 0
    for index in range(count):
        want = chunk_size if index < count - 1 else media.size - offset
        pieces, have = [], 0
        while have < want:
            piece = carry or next(stream, None)
            carry = b""
            if piece is None:
                raise Permanent(NAME, f"The file was {offset + have} bytes, not the {media.size} announced; "
                                      "upload it again.", detail="short media stream")
            if len(piece) > want - have:
                piece, carry = piece[:want - have], piece[want - have:]
            pieces.append(piece)
            have += len(piece)
        if index == count - 1 and (carry or any(stream)):
            raise Permanent(NAME, f"The file is longer than the {media.size} bytes announced; upload it again.",
                            detail="long media stream")
        yield offset, pieces
        offset += have


def _video_post_info(content: PostContent, creator: dict) -> dict:
    options = content.options
    # An interaction the account has turned off stays off (TikTok enforces it too).
    info = {
        "privacy_level": options["privacy_level"],
        "disable_comment": not options.get("allow_comment", False) or bool(creator.get("comment_disabled")),
        "disable_duet": not options.get("allow_duet", False) or bool(creator.get("duet_disabled")),
        "disable_stitch": not options.get("allow_stitch", False) or bool(creator.get("stitch_disabled")),
        "brand_content_toggle": options.get("brand_content_toggle", False),
        "brand_organic_toggle": options.get("brand_organic_toggle", False),
    }
    if rules.caption(content):
        info["title"] = rules.caption(content)
    for key in ("is_aigc", "video_cover_timestamp_ms"):
        if key in options:
            info[key] = options[key]
    return info


def _creator_problems(content: PostContent, creator: dict) -> list[Problem]:
    found = []
    allowed = [o for o in creator.get("privacy_level_options") or [] if o in rules.PRIVACY_LABELS]
    chosen = content.options.get("privacy_level")
    if chosen not in allowed:
        offered = ", ".join(f"{rules.PRIVACY_LABELS[o]} ({o})" for o in allowed) or "none"
        found.append(Problem("options.privacy_level", (
            f"Your TikTok account does not offer '{rules.PRIVACY_LABELS.get(chosen, chosen)}' right now; "
            f"choose one it offers: {offered}.")))
    longest = creator.get("max_video_post_duration_sec")
    video = content.media[0]
    if video.kind == "video" and isinstance(longest, int) and (video.duration_s or 0) > longest:
        found.append(Problem("media[0]", (
            f"The video lasts {video.duration_s:g} seconds; your TikTok account can post videos of up to "
            f"{longest} seconds.")))
    return found


def _refuse(problems: list[Problem]) -> None:
    if problems:
        raise Permanent(NAME, "This post cannot go to TikTok: " + " ".join(p.message for p in problems),
                        detail="; ".join(p.field for p in problems))


def _require_scope(tokens: Tokens, scope: str, action: str) -> None:
    if tokens.scopes and scope not in tokens.scopes:
        raise AuthExpired(NAME, f"postr does not have your permission to {action}; reconnect TikTok and allow it.",
                          detail=f"scope {scope} not granted")


def _publish_id(data: dict, *, sent: bool) -> str:
    publish_id = data.get("publish_id")
    if isinstance(publish_id, str) and _PUBLISH_ID.fullmatch(publish_id):
        return publish_id
    if sent:
        raise OutcomeUnknown(NAME, "TikTok answered without the post's id; it may be on TikTok.")
    raise Transient(NAME, "TikTok did not start the upload; will retry.")


def _post_url(creator: dict | None, video_id: str) -> str | None:
    # The form of TikTok's own share_url.
    username = (creator or {}).get("creator_username")
    return f"https://www.tiktok.com/@{username}/video/{video_id}" if username else None


def _tokens(body: dict, previous: Tokens | None) -> Tokens:
    from kernel import clock

    access = body.get("access_token")
    if not access:
        raise Permanent(NAME, "TikTok did not return a token; connect your TikTok account again.",
                        detail=_oauth_detail(body))
    expires_in = body.get("expires_in")
    scope = body.get("scope")
    extra = dict(previous.extra) if previous else {}
    if body.get("open_id"):
        extra["open_id"] = str(body["open_id"])
    return Tokens(
        access_token=access,
        refresh_token=body.get("refresh_token") or (previous.refresh_token if previous else None),
        expires_at=clock.now() + _dt.timedelta(seconds=int(expires_in)) if expires_in else None,
        # TikTok documents `scope` in every token answer: what the person
        # granted (they may refuse any). Without it the grant is unknown ([]),
        # which later calls read as "ask for everything".
        scopes=[s for s in scope.split(",") if s] if isinstance(scope, str) else list(previous.scopes if previous
                                                                                       else []),
        extra=extra,
    )


def _log_unfinished(publish_id: str, why: str) -> None:
    from kernel import log

    log.warn("tiktok post handed over before TikTok finished it", publishId=publish_id, reason=why)


# --- errors ------------------------------------------------------------------------------

def _json(response):
    try:
        return response.json()
    except ValueError:
        return None


def _oauth_detail(body: dict) -> str:
    return "; ".join(str(body[k]) for k in ("error", "error_description", "log_id") if body.get(k))[:500]


# error.code -> (class, message). {action} is what postr was doing.
_API_ERRORS = {
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


def _api_error(response, error: dict, action: str) -> PlatformError:
    status = response.status_code
    code = str(error.get("code") or "")
    reason = str(error.get("message") or "").strip().rstrip(".")
    detail = "; ".join(x for x in (code, reason, f"log_id {error['log_id']}" if error.get("log_id") else "") if x)
    kw = {"status": status, "detail": (detail or f"HTTP {status}")[:500]}
    if code in _API_ERRORS:
        cls, message = _API_ERRORS[code]
        message = message.format(action=action)
        if cls is RateLimited:
            return RateLimited(NAME, message, retry_after=http.retry_after(response), **kw)
        return cls(NAME, message, **kw)
    if code == "rate_limit_exceeded" or status == 429:
        # TikTok counts each token's calls over a one-minute sliding window.
        wait = http.retry_after(response)
        return RateLimited(NAME, "TikTok is limiting requests for this account right now; postr will retry shortly.",
                           retry_after=RATE_WINDOW_SECONDS if wait is None else wait, **kw)
    if code == "internal_error" or status >= 500 or status == 408:
        return Transient(NAME, "TikTok had a temporary problem; postr will retry.", **kw)
    if status == 401:
        return AuthExpired(NAME, _API_ERRORS["access_token_invalid"][1], **kw)
    return Permanent(NAME, f"TikTok refused to {action}" + (f": {reason}." if reason else "."), **kw)


def _upload_error(response, number: int, count: int) -> PlatformError:
    status = response.status_code
    kw = {"status": status, "detail": f"upload chunk {number}/{count}: HTTP {status}"}
    if status == 403:
        return Transient(NAME, "TikTok's upload address expired (it lasts an hour); postr will start the upload "
                               "again.", **kw)
    if status in (404, 416):
        return Transient(NAME, "TikTok lost track of the upload; postr will start it again.", **kw)
    if status >= 500:
        return Transient(NAME, "TikTok had a temporary problem receiving the video; postr will retry.", **kw)
    return Permanent(NAME, "TikTok refused the video upload.", **kw)


# fail_reason -> (class, message), from the Get Post Status reference.
_FAILURES = {
    "file_format_check_failed": (Permanent, "TikTok could not read the file: it takes MP4, WebM or MOV video (H.264, "
                                            "H.265, VP8 or VP9) and JPEG or WebP photos."),
    "duration_check_failed": (Permanent, "TikTok refused the video's length for this account."),
    "frame_rate_check_failed": (Permanent, "TikTok takes videos of 23 to 60 frames per second; export the video "
                                           "again at a frame rate in that range."),
    "picture_size_check_failed": (Permanent, "TikTok refused the picture size: videos take 360 to 4096 pixels a "
                                             "side, photos up to 1080p."),
    "internal": (Transient, "TikTok had a temporary problem processing the post; postr will retry."),
    "video_pull_failed": (Transient, "TikTok could not download the video from postr; postr will retry."),
    "photo_pull_failed": (Transient, "TikTok could not download the photos from postr; postr will retry."),
    "publish_cancelled": (Permanent, "The post was cancelled before TikTok finished it."),
    "auth_removed": (AuthExpired, "postr's access to your TikTok account was removed while posting; reconnect "
                                  "TikTok to post again."),
    "spam_risk_too_many_posts": (RateLimited, _API_ERRORS["spam_risk_too_many_posts"][1]),
    "spam_risk_user_banned_from_posting": (Permanent, "TikTok has banned this account from making new posts."),
    "spam_risk_text": (Permanent, "TikTok refused the caption as risky or spammy; change the words and post again."),
    "spam_risk": (Permanent, "TikTok's safety checks refused this post."),
}


def _failure(reason, publish_id: str) -> PlatformError:
    reason = str(reason or "unknown")
    cls, message = _FAILURES.get(reason, (Permanent, f"TikTok could not publish the post ({reason})."))
    kw = {"detail": f"publish {publish_id} FAILED: {reason}"}
    if cls is RateLimited:
        return RateLimited(NAME, message, retry_after=None, **kw)
    return cls(NAME, message, **kw)


PLATFORM = TikTokPlatform()


def _video_metrics(video: dict | None) -> Metrics:
    """A video/query entry as Metrics; a video left out (not public) has no counts."""
    if video is None:
        return Metrics()

    def count(key: str) -> int | None:
        value = video.get(key)
        return value if isinstance(value, int) else None

    return Metrics(likes=count("like_count"), reposts=count("share_count"), replies=count("comment_count"),
                   views=count("view_count"))
