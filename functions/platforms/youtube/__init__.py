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

What YouTube takes for a video is checked in platforms.youtube.video, the
resumable upload is platforms.youtube.upload, the token endpoints
platforms.youtube.auth and requests and errors platforms.youtube.api.
"""

import datetime as _dt
import time
from collections.abc import Callable

from firebase_functions.params import StringParam

from kernel import settings
from platforms import http, oauth
from platforms.base import (AppCredentials, Media, Metrics, Platform, PostContent, Problem, Profile, Published, Tokens,
                            split_post_ids)
from platforms.errors import AuthExpired, OutcomeUnknown, Permanent, PlatformError
from platforms.youtube import api, auth, upload, video
from platforms.youtube.api import NAME

YOUTUBE_AUTH_URL = StringParam("YOUTUBE_AUTH_URL", default="https://accounts.google.com/o/oauth2/v2/auth")

SCOPES = (auth.FORCE_SSL,)
# Video ids in one videos.list request. The reference documents a comma-separated
# list without a bound; 50 is the most client libraries report working
# (sns-sdks/python-youtube#38), so postr stays within it.
MAX_LIST_IDS = 50


class YouTubePlatform(Platform):
    name = NAME
    display_name = "YouTube"
    client_id = settings.OAUTH_CLIENT_IDS["youtube"]
    client_secret = settings.OAUTH_CLIENT_SECRETS["youtube"]
    refresh_ahead = _dt.timedelta(minutes=15)  # Google access tokens live 1 hour
    max_concurrent_publishes = 3  # video uploads share the instance's bandwidth
    uses_pkce = True
    scopes = SCOPES
    revokes = True
    supports_threads = False
    supports_first_comment = True
    supports_video = True
    metrics_batch = MAX_LIST_IDS

    def __init__(self, sleep: Callable[[float], None] = time.sleep, chunk_bytes: int = upload.CHUNK_BYTES):
        if chunk_bytes <= 0 or chunk_bytes % upload.CHUNK_UNIT:
            raise ValueError("YouTube upload chunks must be a multiple of 256 KiB.")
        self._sleep = sleep  # between attempts to resume an interrupted upload
        self._chunk = chunk_bytes

    # --- OAuth ------------------------------------------------------------------
    def authorization_url(self, app: AppCredentials, *, state: str, redirect_uri: str,
                          code_challenge: str | None = None) -> str:
        if not code_challenge:
            raise ValueError("Google sign-in here uses PKCE: a code challenge (S256) is needed.")
        # access_type=offline for a refresh token; prompt=consent so Google
        # hands one out again on a reconnect.
        return oauth.authorization_url(YOUTUBE_AUTH_URL.value, client_id=app.client_id, redirect_uri=redirect_uri,
                                       state=state, scopes=self.scopes, code_challenge=code_challenge,
                                       access_type="offline", prompt="consent")

    def exchange_code(self, app: AppCredentials, *, code: str, redirect_uri: str,
                      code_verifier: str | None = None) -> Tokens:
        if not code_verifier:
            raise ValueError("Google sign-in here uses PKCE: the code verifier is needed.")
        form = {"code": code, "client_id": app.client_id, "client_secret": app.client_secret or "",
                "redirect_uri": redirect_uri, "grant_type": "authorization_code", "code_verifier": code_verifier}
        # A code works once: an answer lost on the way may have spent it.
        body = auth.token_call(form, idempotent=False, refreshing=False)
        tokens = auth.tokens(body, requested=self.scopes)
        auth.check_granted(tokens)
        return tokens

    def refresh(self, app: AppCredentials, tokens: Tokens) -> Tokens:
        if not tokens.refresh_token:
            raise AuthExpired(NAME, "Your YouTube connection has expired; reconnect your YouTube account.")
        form = {"client_id": app.client_id, "client_secret": app.client_secret or "",
                "grant_type": "refresh_token", "refresh_token": tokens.refresh_token}
        # Google's refresh tokens do not rotate, so asking again after a lost answer is safe.
        body = auth.token_call(form, idempotent=True, refreshing=True)
        return auth.tokens(body, held=tokens)

    def revoke(self, app: AppCredentials, tokens: Tokens) -> bool:
        return auth.revoke(tokens)

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
                    if key not in video.OPTIONS]
        problems += video.check_title(options.get("title"))
        problems += video.check_description(video.description(content))
        problems += video.check_tags(options.get("tags"))
        problems += video.check_status(options)
        problems += video.check_video(content.media, short=options.get("short"))
        if options.get("thumbnail") is not None:
            problems += video.check_thumbnail(options["thumbnail"])
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
        self.refuse(self.validate(content), "video")
        auth.check_scopes(tokens, content)
        file, options = content.media[0], content.options
        thumbnail = options.get("thumbnail")
        long_video = (file.duration_s or 0) > video.UNVERIFIED_MAX_SECONDS
        if thumbnail is not None or long_video:
            self._require_verified(tokens, thumbnail is not None, long_video)

        session = upload.start(tokens, file, video.video_resource(content), options.get("notify_subscribers"))
        created = upload.send_file(tokens, session, file, chunk=self._chunk, sleep=self._sleep)
        video_id = str(created.get("id") or "")
        if not video.VIDEO_ID.fullmatch(video_id):
            raise OutcomeUnknown(NAME, "YouTube finished the upload without naming the video; it may be on YouTube.",
                                 detail=api.summary(created))
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
        return Published(post_id=video_id, url=video.video_url(video_id, short=options.get("short") is True),
                         comment_id=comment_id)

    def set_thumbnail(self, tokens: Tokens, video_id: str, image: Media) -> None:
        """Upload `image` as the custom thumbnail of one of the channel's videos."""
        video.check_video_id(video_id)
        problems = video.check_thumbnail(image)
        if problems:
            raise Permanent(NAME, " ".join(p.message for p in problems), detail="thumbnail")
        data = bytearray()  # at most 2 MB, so held whole
        for piece in image.chunks(video.MAX_THUMBNAIL_BYTES):
            data += piece
            if len(data) > video.MAX_THUMBNAIL_BYTES:
                raise Permanent(NAME, "The thumbnail is larger than 2 MB; YouTube takes thumbnails up to 2 MB.",
                                detail="thumbnail")
        response = api.send("POST", "/upload/youtube/v3/thumbnails/set", tokens, idempotent=True,
                            params={"videoId": video_id, "uploadType": "media"}, content=bytes(data),
                            headers={"Content-Type": image.mime_type})
        if response.status_code == 403 and "forbidden" in api.reasons(body := http.json_object(response)):
            raise Permanent(NAME, (
                "YouTube did not accept the custom thumbnail: custom thumbnails need a verified channel in good "
                "standing (verify it at youtube.com/verify). The video itself is on YouTube."),
                status=403, detail=api.summary(body))
        api.read(response, "set the video's thumbnail")

    def delete(self, tokens: Tokens, post_id: str) -> None:
        video.check_video_id(post_id)
        response = api.send("DELETE", "/youtube/v3/videos", tokens, idempotent=True, params={"id": post_id})
        if response.status_code == 404:
            return  # already gone: what deleting wanted
        api.read(response, "delete the video")

    def metrics(self, tokens: Tokens, post_id: str) -> Metrics:
        video.check_video_id(post_id)
        body = api.call("GET", "/youtube/v3/videos", tokens, action="read the video's numbers",
                        params={"part": "statistics", "id": post_id})
        items = body.get("items") or []
        if not items:
            raise _gone(api.summary(body))
        return _metrics(items[0])

    def metrics_many(self, tokens: Tokens, post_ids: list[str]) -> dict[str, Metrics | Permanent]:
        wanted, out = split_post_ids(post_ids, video.check_video_id, MAX_LIST_IDS, "YouTube")
        if not wanted:
            return out
        # One request costs one quota unit however many ids it carries.
        body = api.call("GET", "/youtube/v3/videos", tokens, action="read the videos' numbers",
                        params={"part": "statistics", "id": ",".join(wanted)})
        # A video YouTube does not have (or will not show) is simply not among the items.
        found = {item.get("id"): item for item in body.get("items") or [] if isinstance(item, dict)}
        for video_id in wanted:
            item = found.get(video_id)
            out[video_id] = _metrics(item) if item else _gone("not among the videos.list items")
        return out

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
        created = api.call("POST", "/youtube/v3/commentThreads", tokens, action="post the first comment",
                           idempotent=False, params={"part": "snippet"}, json=body)
        return str(created.get("id") or "") or None

    def _my_channel(self, tokens: Tokens, part: str, *, action: str) -> dict:
        body = api.call("GET", "/youtube/v3/channels", tokens, action=action, params={"part": part, "mine": "true"})
        items = body.get("items") or []
        if not items or not items[0].get("id"):
            raise Permanent(NAME, "This Google account has no YouTube channel yet; create one on YouTube, then "
                                  "connect it again.", detail=api.summary(body) or "no channel")
        return items[0]


def _metrics(item: dict) -> Metrics:
    """A video resource's statistics, the same whichever request returned it."""
    stats = item.get("statistics") or {}
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


PLATFORM = YouTubePlatform()
