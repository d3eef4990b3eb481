"""YouTube, through the YouTube Data API v3 and Google's OAuth 2.0.

What the module relies on, from Google's documentation (developers.google.com:
identity/protocols/oauth2/web-server, youtube/v3/docs, the resumable upload
guide youtube/v3/guides/using_resumable_upload_protocol, the quota and error
pages) and the API's discovery document (youtube.v3.json):

- OAuth 2.0 for web servers: the person consents at
  `accounts.google.com/o/oauth2/v2/auth` (`access_type=offline` for a refresh
  token, `prompt=consent` so Google hands one out again on a reconnect, PKCE
  S256). `POST oauth2.googleapis.com/token` (form, client id and secret in the
  body) trades the code, later the refresh token, for an access token of about
  an hour. Refresh tokens do not rotate: a refresh answers without
  `refresh_token`, and the one we hold stays good until it is revoked (or, for
  an app still in "Testing", seven days pass). A code exchanged without consent
  being asked again may come back without a refresh token too.
  `POST oauth2.googleapis.com/revoke` with `token=` revokes the whole grant
  (revoking the refresh token ends its access tokens); 200, or 400
  `invalid_token` for a token already dead. Token errors are
  {"error", "error_description"}: `invalid_grant` (code spent, refresh token
  revoked or expired), `invalid_client` (our credentials).
- One scope, `youtube.force-ssl`. Per the discovery document every call here
  accepts it: videos.insert, thumbnails.set, videos.delete, videos.list,
  channels.list, commentThreads.insert. commentThreads.insert accepts nothing
  else, and videos.delete does not accept `youtube.upload`, so force-ssl (or
  the broader `youtube`) must be in any working set; once it is, adding
  `youtube.upload` or `youtube.readonly` grants nothing more, and asking for one
  scope leaves Google's consent screen no box a person could untick.
- Uploads are resumable: `POST /upload/youtube/v3/videos?uploadType=resumable
  &part=snippet,status` with the video resource as JSON and
  `X-Upload-Content-Length`/`X-Upload-Content-Type`; the session address comes
  back in `Location`. The file goes up in PUTs of `Content-Range: bytes
  a-b/total`, every chunk but the last a multiple of 256 KiB; each answers
  308 (Resume Incomplete) with `Range: bytes=0-n` of what the server holds,
  the last 201 with the video. After a broken connection or a 500/502/503/504,
  an empty PUT with `Content-Range: bytes */total` asks how far the server got
  (308 and its Range; no Range: nothing; or the completed upload's answer) and
  the upload continues from there. 404 means the session expired. The video
  exists only once the last byte is in.
- Video metadata: title required, at most 100 characters and no < or >;
  description at most 5,000 bytes, no < or >; tags at most 500 characters all
  together, commas between tags counting and a tag with a space counting its
  two quotes; privacyStatus public, unlisted or private; publishAt only with
  private (a time in the past publishes at once); categoryId; a creator
  declares "made for kids" with status.selfDeclaredMadeForKids. Files up to
  256 GB or 12 hours, whichever is less, in the formats YouTube lists (MOV,
  MPEG-1/2, MPEG-4/MP4, MPG, AVI, WMV, MPEG-PS, FLV, 3GPP, WebM; ProRes, DNxHR,
  CineForm and HEVC travel inside those). Videos over 15 minutes and custom
  thumbnails need a verified channel; channels.list `status.longUploadsStatus`
  is "allowed" once it is. Videos from an API project Google has not audited
  are locked private (YouTube's rule since July 2020).
- Shorts: the API has no flag. A video that is square or vertical and at most
  3 minutes long is a Short; "#Shorts" in the title or description is
  optional. `options["short"] = True` asks validate() to check exactly that.
- Thumbnails: `POST /upload/youtube/v3/thumbnails/set?videoId=`, JPEG or PNG up
  to 2 MB (the discovery document's maxSize, 2,097,152 bytes); 403 `forbidden`
  when the channel may not use custom thumbnails.
- First comment: `POST /youtube/v3/commentThreads?part=snippet` with
  snippet.channelId, videoId, topLevelComment.snippet.textOriginal.
- `DELETE /youtube/v3/videos?id=` answers 204. `GET /youtube/v3/videos
  ?part=statistics&id=` gives viewCount, likeCount, commentCount as decimal
  strings (absent when hidden or turned off); `id` takes a comma-separated
  list, one item per video found (a missing one is just absent), for one
  quota unit. dislikeCount is private to the
  owner since 2021 and not used; YouTube has no reposts.
- Errors are {"error": {"code", "message", "errors": [{"reason", "domain",
  "message"}], "status"}}. 401 authError: the token; 401
  youtubeSignupRequired: the Google account has no channel. 403 quotaExceeded
  (domain youtube.quota): postr's project used its daily quota, which resets
  at midnight Pacific Time. 403 rateLimitExceeded/userRateLimitExceeded, 429:
  slow down. 400 uploadLimitExceeded: the channel uploaded as much as YouTube
  allows for now. 403 insufficientPermissions: a scope is missing.
"""

import datetime as _dt
import re
import time
import urllib.parse
from collections.abc import Callable

import httpx
from firebase_functions.params import StringParam

from platforms import http
from platforms.base import (AppCredentials, Media, Metrics, Platform, PostContent, Problem, Profile, Published, Tokens,
                            split_post_ids)
from platforms.errors import AuthExpired, OutcomeUnknown, Permanent, PlatformError, RateLimited, Transient

YOUTUBE_API_URL = StringParam("YOUTUBE_API_URL", default="https://www.googleapis.com")
YOUTUBE_AUTH_URL = StringParam("YOUTUBE_AUTH_URL", default="https://accounts.google.com/o/oauth2/v2/auth")
YOUTUBE_OAUTH_URL = StringParam("YOUTUBE_OAUTH_URL", default="https://oauth2.googleapis.com")

NAME = "youtube"
_AUTH = "https://www.googleapis.com/auth/"
FORCE_SSL = _AUTH + "youtube.force-ssl"
SCOPES = (FORCE_SSL,)
# What each call accepts (discovery document), to say what is missing before sending.
UPLOAD_SCOPES = {FORCE_SSL, _AUTH + "youtube.upload", _AUTH + "youtube", _AUTH + "youtubepartner"}
COMMENT_SCOPES = {FORCE_SSL}

MAX_TITLE = 100
MAX_DESCRIPTION_BYTES = 5000
MAX_TAGS = 500
PRIVACY = ("public", "unlisted", "private")
DEFAULT_PRIVACY = "public"
KiB, MB = 1024, 1024 * 1024
MAX_VIDEO_BYTES = 274877906944  # 256 GB, the discovery document's maxSize
MAX_VIDEO_SECONDS = 12 * 3600
UNVERIFIED_MAX_SECONDS = 15 * 60
MAX_SHORT_SECONDS = 180
VIDEO_TYPES = {"video/mp4": "MP4", "video/quicktime": "MOV", "video/mpeg": "MPEG", "video/x-msvideo": "AVI",
               "video/x-ms-wmv": "WMV", "video/x-flv": "FLV", "video/3gpp": "3GPP", "video/webm": "WebM"}
THUMBNAIL_TYPES = {"image/jpeg": "JPEG", "image/png": "PNG"}
MAX_THUMBNAIL_BYTES = 2097152
OPTIONS = {"title", "tags", "category_id", "privacy", "publish_at", "made_for_kids", "notify_subscribers",
           "short", "thumbnail"}

# Every chunk but the last must be a multiple of 256 KiB; 8 MiB keeps a
# function's memory small and the number of requests modest.
CHUNK_UNIT = 256 * KiB
CHUNK_BYTES = 32 * CHUNK_UNIT
# Interruptions in a row (without the server gaining bytes) before giving up;
# the waits between them double: 1, 2, 4, 8, 16 seconds.
MAX_RESUMES = 5
RESUMABLE_STATUSES = (500, 502, 503, 504)

_VIDEO_ID = re.compile(r"[A-Za-z0-9_-]{11}")
# Video ids in one videos.list request. The reference documents a comma-separated
# list without a bound; 50 is the most client libraries report working
# (sns-sdks/python-youtube#38), so postr stays within it.
MAX_LIST_IDS = 50
_RANGE = re.compile(r"bytes=0-(\d+)")
_TAG = re.compile(r"<[^>]*>")


class YouTubePlatform(Platform):
    name = NAME
    display_name = "YouTube"
    uses_pkce = True
    scopes = SCOPES
    revokes = True
    supports_threads = False
    supports_first_comment = True
    supports_video = True
    metrics_batch = MAX_LIST_IDS

    def __init__(self, sleep: Callable[[float], None] = time.sleep, chunk_bytes: int = CHUNK_BYTES):
        if chunk_bytes <= 0 or chunk_bytes % CHUNK_UNIT:
            raise ValueError("YouTube upload chunks must be a multiple of 256 KiB.")
        self._sleep = sleep  # between attempts to resume an interrupted upload
        self._chunk = chunk_bytes

    # --- OAuth ------------------------------------------------------------------
    def authorization_url(self, app: AppCredentials, *, state: str, redirect_uri: str,
                          code_challenge: str | None = None) -> str:
        if not code_challenge:
            raise ValueError("Google sign-in here uses PKCE: a code challenge (S256) is needed.")
        query = urllib.parse.urlencode({
            "client_id": app.client_id,
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "scope": " ".join(self.scopes),
            "access_type": "offline",
            "prompt": "consent",
            "state": state,
            "code_challenge": code_challenge,
            "code_challenge_method": "S256",
        }, quote_via=urllib.parse.quote)
        return f"{YOUTUBE_AUTH_URL.value}?{query}"

    def exchange_code(self, app: AppCredentials, *, code: str, redirect_uri: str,
                      code_verifier: str | None = None) -> Tokens:
        if not code_verifier:
            raise ValueError("Google sign-in here uses PKCE: the code verifier is needed.")
        form = {"code": code, "client_id": app.client_id, "client_secret": app.client_secret or "",
                "redirect_uri": redirect_uri, "grant_type": "authorization_code", "code_verifier": code_verifier}
        # A code works once: an answer lost on the way may have spent it.
        body = self._token_call("/token", form, idempotent=False, refreshing=False)
        tokens = _tokens(body, previous=None)
        if tokens.scopes and not set(tokens.scopes) & {FORCE_SSL, _AUTH + "youtube"}:
            raise Permanent(NAME, "postr needs permission to see, upload and delete your YouTube videos and "
                                  "comments; connect your YouTube account again and allow it.",
                            detail="granted: " + " ".join(tokens.scopes))
        return tokens

    def refresh(self, app: AppCredentials, tokens: Tokens) -> Tokens:
        if not tokens.refresh_token:
            raise AuthExpired(NAME, "Your YouTube connection has expired; reconnect your YouTube account.")
        form = {"client_id": app.client_id, "client_secret": app.client_secret or "",
                "grant_type": "refresh_token", "refresh_token": tokens.refresh_token}
        # Google's refresh tokens do not rotate, so asking again after a lost answer is safe.
        body = self._token_call("/token", form, idempotent=True, refreshing=True)
        return _tokens(body, previous=tokens)

    def revoke(self, app: AppCredentials, tokens: Tokens) -> bool:
        # Revoking the refresh token ends the grant with its access tokens. In
        # the form body, not the query string Google's samples use, so the
        # token stays out of URLs (and their logs).
        token = tokens.refresh_token or tokens.access_token
        response = http.send(NAME, "POST", f"{YOUTUBE_OAUTH_URL.value}/revoke", idempotent=True, data={"token": token})
        if response.status_code == 200:
            return True
        body = _body(response)
        if response.status_code == 400 and body.get("error") == "invalid_token":
            return True  # already expired or revoked: as good as revoked
        raise _token_error(response, body, refreshing=True)

    # --- account ----------------------------------------------------------------
    def profile(self, tokens: Tokens) -> Profile:
        channel = self._my_channel(tokens, "snippet,statistics", action="read your YouTube channel")
        snippet = channel.get("snippet") or {}
        stats = channel.get("statistics") or {}
        thumbs = snippet.get("thumbnails") or {}
        avatar = next((thumbs[k]["url"] for k in ("high", "medium", "default")
                       if isinstance(thumbs.get(k), dict) and thumbs[k].get("url")), None)
        followers = None if stats.get("hiddenSubscriberCount") else _count(stats.get("subscriberCount"))
        title = snippet.get("title") or ""
        return Profile(account_id=channel["id"], handle=snippet.get("customUrl") or title, display_name=title,
                       avatar_url=avatar, followers_count=followers)

    # --- posts ------------------------------------------------------------------
    def validate(self, content: PostContent) -> list[Problem]:
        options = content.options
        problems = [Problem(f"options.{key}", f"YouTube has no option '{key}'.") for key in options
                    if key not in OPTIONS]
        problems += _check_title(options.get("title"))
        problems += _check_description(_description(content))
        problems += _check_tags(options.get("tags"))
        problems += _check_status(options)
        problems += _check_video(content.media, short=options.get("short"))
        if options.get("thumbnail") is not None:
            problems += _check_thumbnail(options["thumbnail"])
        if content.thread:
            problems.append(Problem("thread", "YouTube has no threads: publish one video per post."))
        if content.first_comment is not None:
            if not isinstance(content.first_comment, str) or not content.first_comment.strip():
                problems.append(Problem("first_comment", "The first comment is empty."))
            elif options.get("made_for_kids") is True:
                problems.append(Problem("first_comment", (
                    "YouTube turns comments off on videos made for kids, so this one cannot have a first comment.")))
        return problems

    def publish(self, tokens: Tokens, content: PostContent) -> Published:
        problems = self.validate(content)
        if problems:
            raise Permanent(NAME, "This video cannot go to YouTube: " + " ".join(p.message for p in problems),
                            detail="; ".join(p.field for p in problems))
        _check_scopes(tokens, content)
        video, options = content.media[0], content.options
        thumbnail = options.get("thumbnail")
        long_video = (video.duration_s or 0) > UNVERIFIED_MAX_SECONDS
        if thumbnail is not None or long_video:
            self._require_verified(tokens, thumbnail is not None, long_video)

        session = self._start_upload(tokens, video, _video_resource(content), options.get("notify_subscribers"))
        created = self._send_file(tokens, session, video)
        video_id = str(created.get("id") or "")
        if not _VIDEO_ID.fullmatch(video_id):
            raise OutcomeUnknown(NAME, "YouTube finished the upload without naming the video; it may be on YouTube.",
                                 detail=_summary(created))
        # The video is on YouTube from here on: whatever fails next, its id
        # must come back, or a retry would upload it twice.
        comment_id = None
        try:
            if thumbnail is not None:
                self.set_thumbnail(tokens, video_id, thumbnail)
            if content.first_comment:
                channel_id = (created.get("snippet") or {}).get("channelId") or ""
                comment_id = self._comment(tokens, channel_id, video_id, content.first_comment)
        except PlatformError as exc:
            from kernel import log

            log.warn("youtube publish: video up, a follow-up step failed", videoId=video_id,
                     error=type(exc).__name__, status=exc.status, reason=exc.message)
        return Published(post_id=video_id, url=_video_url(video_id, short=options.get("short") is True),
                         comment_id=comment_id)

    def set_thumbnail(self, tokens: Tokens, video_id: str, image: Media) -> None:
        """Upload `image` as the custom thumbnail of one of the channel's videos."""
        _check_video_id(video_id)
        problems = _check_thumbnail(image)
        if problems:
            raise Permanent(NAME, " ".join(p.message for p in problems), detail="thumbnail")
        data = bytearray()  # at most 2 MB, so held whole
        for piece in image.chunks(MAX_THUMBNAIL_BYTES):
            data += piece
            if len(data) > MAX_THUMBNAIL_BYTES:
                raise Permanent(NAME, "The thumbnail is larger than 2 MB; YouTube takes thumbnails up to 2 MB.",
                                detail="thumbnail")
        response = self._send("POST", "/upload/youtube/v3/thumbnails/set", tokens, idempotent=True,
                              params={"videoId": video_id, "uploadType": "media"}, content=bytes(data),
                              headers={"Content-Type": image.mime_type})
        if response.status_code == 403 and "forbidden" in _reasons(_body(response)):
            raise Permanent(NAME, (
                "YouTube did not accept the custom thumbnail: custom thumbnails need a verified channel in good "
                "standing (verify it at youtube.com/verify). The video itself is on YouTube."),
                status=403, detail=_summary(_body(response)))
        _read(response, "set the video's thumbnail")

    def delete(self, tokens: Tokens, post_id: str) -> None:
        _check_video_id(post_id)
        response = self._send("DELETE", "/youtube/v3/videos", tokens, idempotent=True, params={"id": post_id})
        if response.status_code == 404:
            return  # already gone: what deleting wanted
        _read(response, "delete the video")

    def metrics(self, tokens: Tokens, post_id: str) -> Metrics:
        _check_video_id(post_id)
        body = self._api("GET", "/youtube/v3/videos", tokens, action="read the video's numbers",
                         params={"part": "statistics", "id": post_id})
        items = body.get("items") or []
        if not items:
            raise _gone(_summary(body))
        return _metrics(items[0])

    def metrics_many(self, tokens: Tokens, post_ids: list[str]) -> dict[str, Metrics | Permanent]:
        wanted, out = split_post_ids(post_ids, _check_video_id, MAX_LIST_IDS, "YouTube")
        if not wanted:
            return out
        # One request costs one quota unit however many ids it carries.
        body = self._api("GET", "/youtube/v3/videos", tokens, action="read the videos' numbers",
                         params={"part": "statistics", "id": ",".join(wanted)})
        # A video YouTube does not have (or will not show) is simply not among the items.
        found = {item.get("id"): item for item in body.get("items") or [] if isinstance(item, dict)}
        for video_id in wanted:
            item = found.get(video_id)
            out[video_id] = _metrics(item) if item else _gone("not among the videos.list items")
        return out

    # --- upload -----------------------------------------------------------------
    def _start_upload(self, tokens: Tokens, video: Media, resource: dict, notify: bool | None) -> str:
        params = {"uploadType": "resumable", "part": "snippet,status"}
        if notify is False:
            params["notifySubscribers"] = "false"
        headers = {"Content-Type": "application/json; charset=UTF-8", "X-Upload-Content-Length": str(video.size),
                   "X-Upload-Content-Type": video.mime_type}
        # Opening a session publishes nothing, so it may be repeated.
        response = self._send("POST", "/upload/youtube/v3/videos", tokens, idempotent=True, params=params,
                              json=resource, headers=headers)
        _read(response, "start the upload")
        session = response.headers.get("location", "")
        if not session:
            raise Transient(NAME, "YouTube did not open an upload session; postr will retry.",
                            status=response.status_code, detail="no Location")
        if not _same_service(session):
            raise Permanent(NAME, "YouTube answered with an upload address postr does not trust; nothing was sent.",
                            detail=f"upload session at {urllib.parse.urlsplit(session).netloc or 'nowhere'}")
        return session

    def _send_file(self, tokens: Tokens, session: str, video: Media) -> dict:
        """PUT the file in chunks; after an interruption ask the server what it
        holds and go on from there. Returns the created video resource."""
        total = video.size
        source = _Source(video, self._chunk)
        offset, failures = 0, 0
        asking = False  # the next request asks for the server's offset instead of sending bytes
        maybe_complete = False  # the last byte went out and no answer said otherwise
        while True:
            if asking or offset >= total:
                response = self._put(session, tokens, b"", {"Content-Range": f"bytes */{total}"})
            else:
                piece = source.read(offset)
                if offset + len(piece) < total and len(piece) < self._chunk:
                    raise Permanent(NAME, f"The file ended after {offset + len(piece)} of the {total} bytes "
                                          "announced; upload it again.", detail="short file")
                if offset + len(piece) > total:
                    raise Permanent(NAME, f"The file is longer than the {total} bytes announced; upload it again.",
                                    detail="long file")
                end = offset + len(piece) - 1
                response = self._put(session, tokens, piece, {"Content-Range": f"bytes {offset}-{end}/{total}",
                                                              "Content-Type": video.mime_type})
                if response is None and end + 1 == total:
                    maybe_complete = True
            if response is None or response.status_code in RESUMABLE_STATUSES:
                failures += 1
                if failures > MAX_RESUMES:
                    if maybe_complete:
                        raise OutcomeUnknown(NAME, "YouTube did not confirm the end of the upload; the video may "
                                                   "be on YouTube.", detail=f"{failures} interruptions")
                    raise Transient(NAME, "The upload to YouTube kept being interrupted; postr will retry.",
                                    detail=f"{failures} interruptions at byte {offset}")
                self._sleep(float(2 ** (failures - 1)))
                asking = True
                continue
            if response.status_code in (200, 201):
                return _body(response)
            if response.status_code == 308:
                held = _held(response)
                if held > offset:
                    failures = 0
                elif held >= total:  # all bytes held, yet not finished: ask again, within the limit
                    failures += 1
                    if failures > MAX_RESUMES:
                        raise OutcomeUnknown(NAME, "YouTube holds the whole file but did not confirm the video; "
                                                   "it may be on YouTube.", detail="308 with every byte")
                    self._sleep(float(2 ** (failures - 1)))
                offset, asking, maybe_complete = held, False, False
                continue
            if response.status_code == 404:
                raise Transient(NAME, "YouTube's upload session expired; postr will start the upload again.",
                                status=404, detail=_summary(_body(response)))
            raise _error(response, "upload the video")

    def _put(self, session: str, tokens: Tokens, data: bytes, headers: dict) -> httpx.Response | None:
        """One PUT to the upload session; None when no answer came back."""
        # The chunk goes as a one-shot stream, not as bytes: httpx's request
        # and response refer to each other, so bytes given to it would stay in
        # memory until the garbage collector runs, a chunk per request.
        headers = {"Authorization": f"Bearer {tokens.access_token}", "Content-Length": str(len(data)), **headers}
        try:
            return http.send(NAME, "PUT", session, idempotent=True, content=_once(data), headers=headers)
        except (Transient, OutcomeUnknown, httpx.TransportError):
            return None

    def _require_verified(self, tokens: Tokens, thumbnail: bool, long_video: bool) -> None:
        status = self._my_channel(tokens, "status", action="check the channel").get("status") or {}
        if status.get("longUploadsStatus") == "allowed":
            return
        wants = " and ".join(w for w, on in (("a custom thumbnail", thumbnail),
                                             ("a video longer than 15 minutes", long_video)) if on)
        raise Permanent(NAME, (f"YouTube allows {wants} only on a verified channel; verify yours at "
                               "youtube.com/verify, then publish again. Nothing was uploaded."),
                        detail=f"longUploadsStatus={status.get('longUploadsStatus')}")

    def _comment(self, tokens: Tokens, channel_id: str, video_id: str, text: str) -> str | None:
        body = {"snippet": {"channelId": channel_id, "videoId": video_id,
                            "topLevelComment": {"snippet": {"textOriginal": text}}}}
        # Not idempotent: a comment whose answer is lost may be there.
        created = self._api("POST", "/youtube/v3/commentThreads", tokens, action="post the first comment",
                            idempotent=False, params={"part": "snippet"}, json=body)
        return str(created.get("id") or "") or None

    def _my_channel(self, tokens: Tokens, part: str, *, action: str) -> dict:
        body = self._api("GET", "/youtube/v3/channels", tokens, action=action, params={"part": part, "mine": "true"})
        items = body.get("items") or []
        if not items or not items[0].get("id"):
            raise Permanent(NAME, "This Google account has no YouTube channel yet; create one on YouTube, then "
                                  "connect it again.", detail=_summary(body) or "no channel")
        return items[0]

    # --- HTTP -------------------------------------------------------------------
    def _send(self, method: str, path: str, tokens: Tokens, *, idempotent: bool, headers: dict | None = None,
              **kwargs) -> httpx.Response:
        headers = {"Authorization": f"Bearer {tokens.access_token}", **(headers or {})}
        return http.send(NAME, method, f"{YOUTUBE_API_URL.value}{path}", idempotent=idempotent, headers=headers,
                         **kwargs)

    def _api(self, method: str, path: str, tokens: Tokens, *, action: str, idempotent: bool = True,
             **kwargs) -> dict:
        return _read(self._send(method, path, tokens, idempotent=idempotent, **kwargs), action)

    def _token_call(self, path: str, form: dict, *, idempotent: bool, refreshing: bool) -> dict:
        response = http.send(NAME, "POST", f"{YOUTUBE_OAUTH_URL.value}{path}", idempotent=idempotent, data=form)
        body = _body(response)
        if response.status_code >= 400:
            raise _token_error(response, body, refreshing=refreshing)
        return body


PLATFORM = YouTubePlatform()


# --- tokens ---------------------------------------------------------------------------

def _tokens(body: dict, previous: Tokens | None) -> Tokens:
    from kernel import clock

    access = body.get("access_token")
    if not access:
        raise Permanent(NAME, "Google did not return a token; connect your YouTube account again.",
                        detail=_summary(body))
    expires_in = body.get("expires_in")
    scope = body.get("scope")
    return Tokens(
        access_token=access,
        # Absent on a refresh (Google's do not rotate) and on a consent that
        # was not asked again: keep what we hold.
        refresh_token=body.get("refresh_token") or (previous.refresh_token if previous else None),
        expires_at=clock.now() + _dt.timedelta(seconds=int(expires_in)) if expires_in else None,
        # What Google says was granted (a person may untick scopes on the
        # consent screen); an answer without `scope` granted what was asked,
        # or on a refresh what the connection holds (RFC 6749 §5.1, §6).
        scopes=scope.split() if isinstance(scope, str) else list(previous.scopes if previous else SCOPES),
        extra=dict(previous.extra) if previous else {},
    )


def _token_error(response: httpx.Response, body: dict, *, refreshing: bool) -> PlatformError:
    status, error = response.status_code, body.get("error")
    kw = {"status": status, "detail": _summary(body) or f"HTTP {status}"}
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


def _check_scopes(tokens: Tokens, content: PostContent) -> None:
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


# --- the video resource -----------------------------------------------------------------

def _description(content: PostContent) -> str:
    text = content.text or ""
    if content.link and content.link not in text:
        text = f"{text}\n\n{content.link}" if text else content.link
    return text


def _video_resource(content: PostContent) -> dict:
    options = content.options
    snippet: dict = {"title": options["title"], "description": _description(content)}
    if options.get("tags"):
        snippet["tags"] = list(options["tags"])
    if options.get("category_id") is not None:
        snippet["categoryId"] = str(options["category_id"])
    status: dict = {"privacyStatus": options.get("privacy") or DEFAULT_PRIVACY}
    if options.get("publish_at") is not None:
        status["publishAt"] = _publish_at(options["publish_at"]).astimezone(_dt.timezone.utc) \
            .strftime("%Y-%m-%dT%H:%M:%SZ")
    if options.get("made_for_kids") is not None:
        status["selfDeclaredMadeForKids"] = options["made_for_kids"]
    return {"snippet": snippet, "status": status}


def _video_url(video_id: str, *, short: bool) -> str:
    return f"https://www.youtube.com/shorts/{video_id}" if short else f"https://www.youtube.com/watch?v={video_id}"


def _publish_at(value) -> _dt.datetime | None:
    if isinstance(value, str):
        try:
            value = _dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    if isinstance(value, _dt.datetime) and value.tzinfo is not None:
        return value
    return None


# --- validation ---------------------------------------------------------------------------

def tags_length(tags: list[str]) -> int:
    """The tags' length as YouTube counts it: commas between tags count, and a
    tag with a space counts as if wrapped in quotes ("Foo Baz" is 9)."""
    return sum(len(t) + (2 if " " in t else 0) for t in tags) + max(len(tags) - 1, 0)


def _check_title(title) -> list[Problem]:
    if not isinstance(title, str) or not title.strip():
        return [Problem("options.title", "A YouTube video needs a title.")]
    problems = []
    if len(title) > MAX_TITLE:
        problems.append(Problem("options.title", f"The title is {len(title)} characters; YouTube allows {MAX_TITLE}."))
    if "<" in title or ">" in title:
        problems.append(Problem("options.title", "YouTube does not accept < or > in a title."))
    return problems


def _check_description(text: str) -> list[Problem]:
    problems = []
    size = len(text.encode("utf-8"))
    if size > MAX_DESCRIPTION_BYTES:
        problems.append(Problem("text", (
            f"The description is {size:,} bytes in UTF-8 (accented letters take 2, most emoji 4); "
            f"YouTube allows {MAX_DESCRIPTION_BYTES:,}.")))
    if "<" in text or ">" in text:
        problems.append(Problem("text", "YouTube does not accept < or > in a description."))
    return problems


def _check_tags(tags) -> list[Problem]:
    if tags is None:
        return []
    if not isinstance(tags, (list, tuple)) or not all(isinstance(t, str) and t.strip() for t in tags):
        return [Problem("options.tags", "Tags must be a list of words or phrases, none of them empty.")]
    length = tags_length(list(tags))
    if length > MAX_TAGS:
        return [Problem("options.tags", (
            f"The tags come to {length} characters as YouTube counts them (each comma between tags counts, and "
            f"a tag with a space counts 2 more for its quotes); YouTube allows {MAX_TAGS}."))]
    return []


def _check_status(options: dict) -> list[Problem]:
    problems = []
    privacy = options.get("privacy")
    if privacy is not None and privacy not in PRIVACY:
        problems.append(Problem("options.privacy", "Privacy on YouTube must be public, unlisted or private."))
    if options.get("publish_at") is not None:
        if _publish_at(options["publish_at"]) is None:
            problems.append(Problem("options.publish_at", "The publishing time must be a date and time with its "
                                                          "time zone."))
        if privacy != "private":
            problems.append(Problem("options.publish_at", (
                "A video YouTube publishes at a set time must be uploaded as private (YouTube makes it public "
                "then); set privacy to private.")))
    category = options.get("category_id")
    if category is not None and not (isinstance(category, (str, int)) and str(category).isdigit()):
        problems.append(Problem("options.category_id", "The YouTube category must be a category number, like 22."))
    for key, label in (("made_for_kids", "Made for kids"), ("notify_subscribers", "Notify subscribers"),
                       ("short", "Short")):
        if options.get(key) is not None and not isinstance(options[key], bool):
            problems.append(Problem(f"options.{key}", f"{label} must be true or false."))
    return problems


def _check_video(items: list[Media], *, short) -> list[Problem]:
    if len(items) != 1 or items[0].kind != "video":
        return [Problem("media", "A YouTube post is exactly one video (a thumbnail goes in options.thumbnail).")]
    video = items[0]
    problems = []
    if video.mime_type not in VIDEO_TYPES:
        problems.append(Problem("media[0]", (
            f"The video is {video.mime_type}; YouTube takes MP4, MOV, MPEG, AVI, WMV, FLV, 3GPP or WebM files.")))
    if video.size <= 0:
        problems.append(Problem("media[0]", "The video file is empty."))
    elif video.size > MAX_VIDEO_BYTES:
        problems.append(Problem("media[0]", f"The video is {_size(video.size)}; YouTube takes files up to 256 GB."))
    if video.chunks is None:
        problems.append(Problem("media[0]", "The video has no file data to upload to YouTube."))
    seconds = video.duration_s
    if seconds is not None and seconds > MAX_VIDEO_SECONDS:
        problems.append(Problem("media[0]", f"The video lasts {_duration(seconds)}; YouTube takes up to 12 hours."))
    if short is True:
        if not (video.width and video.height) or seconds is None:
            problems.append(Problem("options.short", (
                "To publish a Short, postr needs the video's width, height and length to check it qualifies.")))
        else:
            if video.width > video.height:
                problems.append(Problem("options.short", (
                    f"The video is {video.width}x{video.height}, wider than tall; a YouTube Short is square or "
                    "vertical.")))
            if seconds > MAX_SHORT_SECONDS:
                problems.append(Problem("options.short", (
                    f"The video lasts {_duration(seconds)}; a YouTube Short lasts at most 3 minutes.")))
    return problems


def _check_thumbnail(image) -> list[Problem]:
    if not isinstance(image, Media) or image.kind != "image":
        return [Problem("options.thumbnail", "The thumbnail must be an image.")]
    problems = []
    if image.mime_type not in THUMBNAIL_TYPES:
        problems.append(Problem("options.thumbnail", f"The thumbnail is {image.mime_type}; YouTube takes JPEG or "
                                                     "PNG thumbnails."))
    if image.size <= 0:
        problems.append(Problem("options.thumbnail", "The thumbnail file is empty."))
    elif image.size > MAX_THUMBNAIL_BYTES:
        problems.append(Problem("options.thumbnail", f"The thumbnail is {_size(image.size)}; YouTube takes "
                                                     "thumbnails up to 2 MB."))
    if image.chunks is None:
        problems.append(Problem("options.thumbnail", "The thumbnail has no file data to upload."))
    return problems


def _size(n: int) -> str:
    return f"{n / (1024 * MB):g} GB" if n >= 1024 * MB else f"{n / MB:.3g} MB"


def _duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m {secs:02d}s" if hours else f"{minutes}m {secs:02d}s"


def _check_video_id(video_id: str) -> None:
    if not _VIDEO_ID.fullmatch(video_id or ""):
        raise Permanent(NAME, "That is not a YouTube video id.", detail="bad video id")


# --- the file, from any offset -------------------------------------------------------------

class _Source:
    """The video from any byte offset, in pieces of at most `size` bytes,
    holding no more than one piece plus one read of Media.chunks. Going back
    before what is held reads the file again from its start."""

    def __init__(self, media: Media, size: int):
        self._media, self._size = media, size
        self._restart()

    def _restart(self) -> None:
        self._chunks = iter(self._media.chunks(self._size))
        self._start = 0  # file offset of self._held[0]
        self._held = bytearray()

    def read(self, offset: int) -> bytes:
        if offset < self._start:
            self._restart()
        while True:
            drop = min(offset - self._start, len(self._held))
            if drop:
                del self._held[:drop]
                self._start += drop
            if self._start == offset and len(self._held) >= self._size:
                break
            piece = next(self._chunks, None)
            if piece is None:
                break
            self._held += piece
        if self._start != offset:
            return b""
        with memoryview(self._held) as view:
            return bytes(view[:self._size])


def _once(data: bytes):
    yield data


def _held(response: httpx.Response) -> int:
    """Bytes the server holds, from a 308's Range (none when it has no Range)."""
    match = _RANGE.fullmatch(response.headers.get("range", "").strip())
    return int(match.group(1)) + 1 if match else 0


def _same_service(url: str) -> bool:
    """The upload session must be at Google (or wherever the API is pointed),
    since the bearer token goes with every PUT."""
    parts, api = urllib.parse.urlsplit(url), urllib.parse.urlsplit(YOUTUBE_API_URL.value)
    if (parts.scheme, parts.netloc) == (api.scheme, api.netloc) and parts.netloc:
        return True
    return parts.scheme == "https" and (parts.hostname or "").endswith(".googleapis.com")


# --- errors ------------------------------------------------------------------------------------

def _body(response: httpx.Response) -> dict:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _read(response: httpx.Response, action: str) -> dict:
    if response.status_code >= 400:
        raise _error(response, action)
    return _body(response)


def _reasons(body: dict) -> list[str]:
    error = body.get("error")
    if not isinstance(error, dict):
        return []
    reasons = [e.get("reason") for e in error.get("errors") or [] if isinstance(e, dict)]
    reasons += [d.get("reason") for d in error.get("details") or [] if isinstance(d, dict)]
    return [r for r in reasons if isinstance(r, str)]


def _message(body: dict) -> str:
    error = body.get("error")
    message = error.get("message") if isinstance(error, dict) else None
    return _TAG.sub("", message).strip().rstrip(".") if isinstance(message, str) else ""


def _summary(body: dict) -> str:
    """Google's own words for logs: status, reasons, domains, message."""
    error = body.get("error")
    if isinstance(error, str):  # OAuth endpoints
        return f"{error}: {body.get('error_description', '')}"[:500]
    if not isinstance(error, dict):
        return ""
    bits = [str(error.get("status") or ""), ",".join(_reasons(body))]
    bits += [str(e.get("domain")) for e in error.get("errors") or [] if isinstance(e, dict) and e.get("domain")]
    bits.append(_message(body))
    return "; ".join(b for b in bits if b)[:500]


def _until_quota_reset() -> float | None:
    """Seconds until midnight Pacific Time, when YouTube's daily quota resets."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from kernel import clock

    try:
        pacific = ZoneInfo("America/Los_Angeles")
    except ZoneInfoNotFoundError:
        return None
    now = clock.now().astimezone(pacific)
    midnight = _dt.datetime.combine(now.date() + _dt.timedelta(days=1), _dt.time(0), tzinfo=pacific)
    return (midnight.astimezone(_dt.timezone.utc) - now.astimezone(_dt.timezone.utc)).total_seconds()


def _error(response: httpx.Response, action: str) -> PlatformError:
    status = response.status_code
    body = _body(response)
    reasons = set(_reasons(body))
    reason = _message(body)
    kw = {"status": status, "detail": _summary(body) or f"HTTP {status}"}
    if "youtubeSignupRequired" in reasons:
        return Permanent(NAME, "This Google account has no YouTube channel yet; create one on YouTube, then "
                               "connect it again.", **kw)
    if status == 401:
        return AuthExpired(NAME, "Your YouTube connection has expired or was revoked; reconnect your YouTube "
                                 "account.", **kw)
    if reasons & {"quotaExceeded", "dailyLimitExceeded"}:
        return RateLimited(NAME, "postr has used its YouTube allowance for today; it renews at midnight Pacific "
                                 "Time and postr will try again then.", retry_after=_until_quota_reset(), **kw)
    if status == 429 or reasons & {"rateLimitExceeded", "userRateLimitExceeded", "uploadRateLimitExceeded"}:
        return RateLimited(NAME, "YouTube is limiting requests right now; postr will retry later.",
                           retry_after=http.retry_after(response), **kw)
    if "uploadLimitExceeded" in reasons:
        return Permanent(NAME, "This channel has reached the number of videos YouTube lets it upload for now "
                               "(a limit over 24 hours); schedule the video again tomorrow.", **kw)
    if reasons & {"insufficientPermissions", "ACCESS_TOKEN_SCOPE_INSUFFICIENT"}:
        return Permanent(NAME, "This YouTube connection is missing a permission postr needs; reconnect your "
                               "YouTube account and allow what postr asks for.", **kw)
    if "accessNotConfigured" in reasons:
        return Permanent(NAME, "postr's Google project is not set up for the YouTube Data API; this is on "
                               "postr's side, not yours.", **kw)
    if "commentsDisabled" in reasons:
        return Permanent(NAME, "Comments are turned off on this video, so the first comment was not posted.", **kw)
    if status >= 500 or status == 408:
        return Transient(NAME, "YouTube had a temporary problem; postr will retry.", **kw)
    if status == 404:
        return Permanent(NAME, f"YouTube could not find what was needed to {action}.", **kw)
    return Permanent(NAME, f"YouTube refused to {action}" + (f": {reason}." if reason else "."), **kw)


def _metrics(video: dict) -> Metrics:
    """A video resource's statistics, the same whichever request returned it."""
    stats = video.get("statistics") or {}
    return Metrics(likes=_count(stats.get("likeCount")), reposts=None,
                   replies=_count(stats.get("commentCount")), views=_count(stats.get("viewCount")))


def _gone(detail: str) -> Permanent:
    return Permanent(NAME, "This video is no longer on YouTube (deleted, or not visible to this account).",
                     status=404, detail=detail)


def _count(value) -> int | None:
    """A count as YouTube sends it (a decimal string); None when absent."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None
