"""A loopback stand-in for TikTok's Login Kit and Content Posting API (v2), for
the endpoints postr uses.

It answers in the shapes of TikTok for Developers' references (login-kit-web,
oauth-user-access-token-management, oauth-error-handling,
content-posting-api-reference-{direct-post,upload-video,photo-post,
query-creator-info,get-video-status}, content-posting-api-media-transfer-guide,
tiktok-api-v2-get-user-info, tiktok-api-v2-video-query,
tiktok-api-v2-error-handling):

- OAuth: `consent(url)` plays the person on www.tiktok.com/v2/auth/authorize/
  (they may grant only some scopes) and returns the redirect with `code`,
  `scopes` and `state`. `POST /v2/oauth/token/` (form, client_key and
  client_secret) trades a code once, with the redirect_uri it was issued for,
  and rotates the refresh token on every refresh; `POST /v2/oauth/revoke/`
  ends the grant (empty body). Errors are {"error", "error_description",
  "log_id"}. TikTok does not document their HTTP status; integrations report
  them arriving with 200, and so does the fake.
- API answers carry {"data", "error": {"code", "message", "log_id"}}; bearer
  tokens and scopes are checked per endpoint (401 access_token_invalid /
  scope_not_authorized; a user/info field whose scope is missing is 400
  scope_permission_missed). creator_info answers a posting cap with HTTP 200
  and the error code, as documented ("intentional").
- Posting: direct video init (privacy_level among the creator's options,
  caption up to 2,200 UTF-16 units, documented post_info fields only), inbox
  video init (source_info only; at most 5 pending inbox uploads a day), photo
  init (PULL_FROM_URL, 1-35 images, title 90 / description 4,000). Each
  FILE_UPLOAD is held to the chunk rules (total = floor(size / chunk), chunks
  of 5-64 MB, the last up to 128 MB, under 5 MB whole, over 64 MB chunked,
  1-1000 chunks) and the PUTs to its upload_url to the transfer schema
  (sequential Content-Range, Content-Length, a video Content-Type; 206 per
  chunk, 201 at the end, 416 out of step, 403 once expired). The bytes are
  never kept: each upload keeps a running SHA-256 and a count, and the
  recorded request drops its body, so a test can send hundreds of megabytes.
  PULL_FROM_URL addresses must be https under `verified_prefixes`.
- `POST /v2/post/publish/status/fetch/`: PROCESSING_UPLOAD with
  uploaded_bytes while a file comes in, then the steps of `processing` (one
  per status call) and at "DONE" the natural end: PUBLISH_COMPLETE (a
  public post gets `publicaly_available_post_id`, a private one none) or
  SEND_TO_USER_INBOX.
- `GET /v2/user/info/`, `POST /v2/video/query/` (public videos of the caller,
  at most 20 ids).

What it does not imitate: downloading from URLs (PULL_FROM_URL is accepted on
the prefix alone), media decoding (format, frame rate and duration checks:
script them with `processing`), moderation delays, per-minute rate limits and
daily caps beyond the inbox's 5 (script them with `fail_next` or
`creator_error`), the upload_url's one-hour expiry (`expire_upload`).
"""

import hashlib
import itertools
import re
import secrets
import time
import urllib.parse

from fakes.base import FakeServer, Reply, Request

MB = 1024 * 1024
SCOPES = {"user.info.basic", "user.info.profile", "user.info.stats", "video.list", "video.publish", "video.upload",
          "artist.certification.read", "artist.certification.update", "portability.all.single"}
USER_FIELDS = {"user.info.basic": {"open_id", "union_id", "avatar_url", "avatar_url_100", "avatar_large_url",
                                   "display_name"},
               "user.info.profile": {"bio_description", "profile_deep_link", "is_verified", "username"},
               "user.info.stats": {"follower_count", "following_count", "likes_count", "video_count"}}
VIDEO_FIELDS = {"id", "create_time", "cover_image_url", "share_url", "video_description", "duration", "height",
                "width", "title", "embed_html", "embed_link", "like_count", "comment_count", "share_count",
                "view_count"}
PRIVACY = {"PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "FOLLOWER_OF_CREATOR", "SELF_ONLY"}
VIDEO_POST_INFO = {"privacy_level": str, "title": str, "disable_duet": bool, "disable_stitch": bool,
                   "disable_comment": bool, "video_cover_timestamp_ms": int, "brand_content_toggle": bool,
                   "brand_organic_toggle": bool, "is_aigc": bool}
PHOTO_POST_INFO = {"title": str, "description": str, "privacy_level": str, "disable_comment": bool,
                   "auto_add_music": bool, "brand_content_toggle": bool, "brand_organic_toggle": bool}
UPLOAD_TYPES = {"video/mp4", "video/quicktime", "video/webm"}
_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+)")


def api_error(status: int, code: str, message: str) -> Reply:
    return Reply(status, {"data": {}, "error": {"code": code, "message": message, "log_id": _log_id()}})


def ok(data: dict) -> Reply:
    return Reply(200, {"data": data, "error": {"code": "ok", "message": "", "log_id": _log_id()}})


def oauth_error(error: str, description: str) -> Reply:
    return Reply(200, {"error": error, "error_description": description, "log_id": _log_id()})


def _log_id() -> str:
    return time.strftime("%Y%m%d%H%M%S") + secrets.token_hex(9).upper()


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


class TikTokFake(FakeServer):
    def __init__(self, client_key: str = "postr-client-key", client_secret: str = "postr-client-secret"):
        self.client_key = client_key
        self.client_secret = client_secret
        self.users = {"open-id-1": {"open_id": "open-id-1", "union_id": "union-id-1",
                                    "avatar_url": "https://p16-sign.tiktokcdn-us.com/avatar-1.jpeg",
                                    "avatar_url_100": "https://p16-sign.tiktokcdn-us.com/avatar-1-100.jpeg",
                                    "avatar_large_url": "https://p16-sign.tiktokcdn-us.com/avatar-1-large.jpeg",
                                    "display_name": "Postr Tester", "bio_description": "", "is_verified": False,
                                    "profile_deep_link": "https://vm.tiktok.com/ZMtester/",
                                    "username": "postr.tester", "follower_count": 4821, "following_count": 12,
                                    "likes_count": 30500, "video_count": 41}}
        # What creator_info/query answers (TikTok's example, with the user's names).
        self.creator = {"creator_avatar_url": "https://p16-sign.tiktokcdn-us.com/avatar-1.jpeg",
                        "creator_username": "postr.tester", "creator_nickname": "Postr Tester",
                        "privacy_level_options": ["PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY"],
                        "comment_disabled": False, "duet_disabled": False, "stitch_disabled": True,
                        "max_video_post_duration_sec": 300}
        # A posting cap creator_info reports with HTTP 200 (and init with 403):
        # spam_risk_too_many_posts, spam_risk_user_banned_from_posting, reached_active_user_cap.
        self.creator_error: str | None = None
        self.verified_prefixes = ["https://media.postr.test/"]
        self.pending_inbox_limit = 5
        # Seconds to hold the answer to the Nth accepted PUT (1-based), after
        # taking its bytes: an answer lost on the way back.
        self.upload_answer_delays: dict[int, float] = {}
        # Status steps after the media arrived, one per status call; "DONE" is the natural end.
        self.processing: list[dict] | None = None
        self.codes: dict[str, dict] = {}
        self.access_tokens: dict[str, dict] = {}
        self.refresh_tokens: dict[str, dict] = {}
        self.publishes: dict[str, dict] = {}
        self.videos: dict[str, dict] = {}
        self._ids = itertools.count(7434560000000000001)
        super().__init__()

    def setup(self) -> None:
        self.route("POST", r"/v2/oauth/token/", self.token)
        self.route("POST", r"/v2/oauth/revoke/", self.revoke)
        self.route("GET", r"/v2/user/info/", self.user_info)
        self.route("POST", r"/v2/post/publish/creator_info/query/", self.creator_info)
        self.route("POST", r"/v2/post/publish/video/init/", self.direct_video_init)
        self.route("POST", r"/v2/post/publish/inbox/video/init/", self.inbox_video_init)
        self.route("POST", r"/v2/post/publish/content/init/", self.content_init)
        self.route("PUT", r"/upload/", self.upload)
        self.route("POST", r"/v2/post/publish/status/fetch/", self.status_fetch)
        self.route("POST", r"/v2/video/query/", self.video_query)

    def _dispatch(self, req: Request) -> Reply:
        reply = super()._dispatch(req)
        if req.method == "PUT":
            req.body = b""  # uploads are counted and hashed, never kept
        return reply

    # --- what a test does outside the API ------------------------------------------------
    def consent(self, authorize_url: str, open_id: str = "open-id-1", granted: list[str] | None = None) -> str:
        """The person approves on TikTok's page (maybe only some scopes); returns TikTok's redirect."""
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(authorize_url).query))
        assert query.get("client_key") == self.client_key, "unknown client_key"
        assert query.get("response_type") == "code", "authorize needs response_type=code"
        assert query.get("redirect_uri", "").startswith("https://"), "redirect URIs must be https"
        assert query.get("state"), "authorize needs a state"
        asked = query.get("scope", "").split(",")
        assert asked and set(asked) <= SCOPES, f"unknown scopes in {asked}"
        scopes = [s for s in asked if granted is None or s in granted]
        code = secrets.token_urlsafe(24)
        self.codes[code] = {"redirect_uri": query["redirect_uri"], "scopes": scopes, "open_id": open_id}
        back = {"code": code, "scopes": ",".join(scopes), "state": query["state"]}
        return f"{query['redirect_uri']}?{urllib.parse.urlencode(back)}"

    def grant(self, scopes=("user.info.basic", "user.info.profile", "user.info.stats", "video.publish",
                            "video.upload", "video.list"), open_id: str = "open-id-1") -> dict:
        """Tokens as if the person had connected (for tests that start connected)."""
        return self._issue({"scopes": list(scopes), "open_id": open_id})

    def expire(self, access_token: str) -> None:
        self.access_tokens[access_token]["expires"] = 0

    def expire_upload(self, publish_id: str) -> None:
        self.publishes[publish_id]["upload_expired"] = True

    # --- OAuth -----------------------------------------------------------------------------
    def _issue(self, grant: dict) -> dict:
        access, refresh = "act." + secrets.token_urlsafe(32), "rft." + secrets.token_urlsafe(32)
        self.access_tokens[access] = {**grant, "expires": time.time() + 86400, "refresh": refresh}
        self.refresh_tokens[refresh] = grant
        return {"access_token": access, "expires_in": 86400, "open_id": grant["open_id"],
                "refresh_expires_in": 31536000, "refresh_token": refresh, "scope": ",".join(grant["scopes"]),
                "token_type": "Bearer"}

    def _client_ok(self, form: dict) -> bool:
        return form.get("client_key") == self.client_key and form.get("client_secret") == self.client_secret

    def token(self, req: Request) -> Reply:
        if not req.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            return oauth_error("invalid_request", "The request parameters are malformed.")
        form = req.form
        if not self._client_ok(form):
            return oauth_error("invalid_client", "Client key or secret is invalid.")
        if form.get("grant_type") == "authorization_code":
            code = self.codes.pop(form.get("code", ""), None)
            if code is None:
                return oauth_error("invalid_grant", "Authorization code is expired.")
            if code["redirect_uri"] != form.get("redirect_uri"):
                return oauth_error("invalid_request", "Redirect_uri is not matched with the uri when requesting "
                                                      "code.")
            return Reply(200, self._issue({"scopes": code["scopes"], "open_id": code["open_id"]}))
        if form.get("grant_type") == "refresh_token":
            grant = self.refresh_tokens.pop(form.get("refresh_token", ""), None)
            if grant is None:
                return oauth_error("invalid_grant", "Refresh token is invalid or expired.")
            return Reply(200, self._issue(grant))
        return oauth_error("unsupported_grant_type", "The grant type is not supported.")

    def revoke(self, req: Request) -> Reply:
        form = req.form
        if not self._client_ok(form):
            return oauth_error("invalid_client", "Client key or secret is invalid.")
        grant = self.access_tokens.get(form.get("token", ""))
        if grant is None or grant["expires"] < time.time():
            return oauth_error("invalid_grant", "Access token is invalid or expired.")
        for access, other in list(self.access_tokens.items()):
            if other["open_id"] == grant["open_id"]:
                del self.access_tokens[access]
        for refresh, other in list(self.refresh_tokens.items()):
            if other["open_id"] == grant["open_id"]:
                del self.refresh_tokens[refresh]
        return Reply(200, b"")

    # --- API -------------------------------------------------------------------------------
    def _caller(self, req: Request, *scopes: str) -> tuple[dict | None, Reply | None]:
        """The grant behind the bearer token, which must hold one of `scopes`."""
        header = req.headers.get("authorization", "")
        grant = self.access_tokens.get(header[7:]) if header.startswith("Bearer ") else None
        if not grant or grant["expires"] < time.time():
            return None, api_error(401, "access_token_invalid", "The access token is invalid or not found in the "
                                                                "request.")
        if scopes and not set(scopes) & set(grant["scopes"]):
            return None, api_error(401, "scope_not_authorized", f"The user did not authorize the scope required "
                                                                f"for completing this request ({'/'.join(scopes)}).")
        return grant, None

    def _json_body(self, req: Request) -> tuple[dict | None, Reply | None]:
        if not req.headers.get("content-type", "").startswith("application/json"):
            return None, api_error(400, "invalid_params", "Content-Type must be application/json.")
        try:
            body = req.json
        except ValueError:
            return None, api_error(400, "invalid_params", "The request body is not JSON.")
        return (body, None) if isinstance(body, dict) else (None, api_error(400, "invalid_params", "Bad body."))

    def _authorized_json(self, req: Request, *scopes: str) -> tuple[dict | None, dict | None, Reply | None]:
        grant, refusal = self._caller(req, *scopes)
        body, refusal = (None, refusal) if refusal else self._json_body(req)
        return grant, body, refusal

    def user_info(self, req: Request) -> Reply:
        grant, refusal = self._caller(req)
        if refusal:
            return refusal
        fields = [f for f in (req.arg("fields") or "").split(",") if f]
        known = set().union(*USER_FIELDS.values())
        if not fields or set(fields) - known:
            return api_error(400, "invalid_params", "fields is missing or has unknown fields.")
        for scope, names in USER_FIELDS.items():
            if set(fields) & names and scope not in grant["scopes"]:
                return api_error(400, "scope_permission_missed", f"Some fields need the {scope} scope.")
        user = self.users[grant["open_id"]]
        return ok({"user": {f: user[f] for f in fields if f in user}})

    def creator_info(self, req: Request) -> Reply:
        grant, refusal = self._caller(req, "video.publish")
        if refusal:
            return refusal
        if self.creator_error:
            return api_error(200, self.creator_error, "The creator cannot make more posts at this moment.")
        return ok(dict(self.creator))

    def _post_info_error(self, info, fields: dict, max_title: int, title_key: str) -> Reply | None:
        if not isinstance(info, dict):
            return api_error(400, "invalid_param", "post_info is required.")
        for key, value in info.items():
            if key not in fields or not isinstance(value, fields[key]) or (fields[key] is int and
                                                                            isinstance(value, bool)):
                return api_error(400, "invalid_param", f"post_info.{key} is not valid.")
        if utf16_length(info.get(title_key, "")) > max_title:
            return api_error(400, "invalid_param", f"post_info.{title_key} is too long.")
        return None

    def _privacy_error(self, info: dict) -> Reply | None:
        if info.get("privacy_level") not in self.creator["privacy_level_options"]:
            return api_error(403, "privacy_level_option_mismatch", "privacy_level is not specified or not among the "
                                                                   "options from the privacy_level_options.")
        if info.get("brand_content_toggle") and info["privacy_level"] == "SELF_ONLY":
            return api_error(400, "invalid_param", "Branded content cannot be private.")
        return None

    def direct_video_init(self, req: Request) -> Reply:
        grant, body, refusal = self._authorized_json(req, "video.publish")
        if refusal:
            return refusal
        if self.creator_error:
            return api_error(403, self.creator_error, "The creator cannot make more posts at this moment.")
        if set(body) - {"post_info", "source_info"}:
            return api_error(400, "invalid_param", "Unknown fields in the request.")
        info = body.get("post_info")
        refusal = (self._post_info_error(info, VIDEO_POST_INFO, 2200, "title") or self._privacy_error(info))
        if refusal:
            return refusal
        return self._start_video(grant, "DIRECT_POST", info, body.get("source_info"))

    def inbox_video_init(self, req: Request) -> Reply:
        grant, body, refusal = self._authorized_json(req, "video.upload")
        if refusal:
            return refusal
        if set(body) != {"source_info"}:
            return api_error(400, "invalid_param", "The upload takes source_info only.")
        day_ago = time.time() - 86400
        pending = [p for p in self.publishes.values() if p["open_id"] == grant["open_id"] and
                   p["mode"] == "MEDIA_UPLOAD" and p["created"] > day_ago]
        if len(pending) >= self.pending_inbox_limit:
            return api_error(403, "spam_risk_too_many_pending_share", "There may be at most 5 pending shares "
                                                                      "within any 24-hour period.")
        return self._start_video(grant, "MEDIA_UPLOAD", None, body.get("source_info"))

    def _start_video(self, grant: dict, mode: str, info: dict | None, source) -> Reply:
        if not isinstance(source, dict):
            return api_error(400, "invalid_param", "source_info is required.")
        kind = source.get("source")
        if kind == "PULL_FROM_URL":
            if set(source) != {"source", "video_url"}:
                return api_error(400, "invalid_param", "PULL_FROM_URL takes video_url.")
            refusal = self._url_error(source["video_url"])
            if refusal:
                return refusal
            publish = self._new_publish(grant, mode, "VIDEO", kind, info)
            return ok({"publish_id": publish["id"]})
        if kind != "FILE_UPLOAD" or set(source) != {"source", "video_size", "chunk_size", "total_chunk_count"}:
            return api_error(400, "invalid_param", "source_info is not valid.")
        problem = chunk_rule_problem(source["video_size"], source["chunk_size"], source["total_chunk_count"])
        if problem:
            return api_error(400, "invalid_param", problem)
        publish = self._new_publish(grant, mode, "VIDEO", kind, info, size=source["video_size"],
                                    chunk=source["chunk_size"], chunks=source["total_chunk_count"])
        return ok({"publish_id": publish["id"],
                   "upload_url": f"{self.url}/upload/?upload_id={publish['upload_id']}&upload_token="
                                 f"{publish['upload_token']}"})

    def content_init(self, req: Request) -> Reply:
        body, refusal = self._json_body(req)
        if refusal:
            return refusal
        mode = body.get("post_mode")
        if mode not in ("DIRECT_POST", "MEDIA_UPLOAD"):
            return api_error(400, "invalid_param", "post_mode is DIRECT_POST or MEDIA_UPLOAD.")
        grant, refusal = self._caller(req, "video.publish" if mode == "DIRECT_POST" else "video.upload")
        if refusal:
            return refusal
        if set(body) - {"media_type", "post_mode", "post_info", "source_info", "is_aigc"} or \
                body.get("media_type") != "PHOTO":
            return api_error(400, "invalid_param", "media_type must be PHOTO.")
        info = body.get("post_info")
        refusal = (self._post_info_error(info, PHOTO_POST_INFO, 4000, "description")
                   or self._post_info_error(info, PHOTO_POST_INFO, 90, "title"))
        if refusal:
            return refusal
        if mode == "DIRECT_POST":
            refusal = self._privacy_error(info)
            if refusal:
                return refusal
        source = body.get("source_info") or {}
        images = source.get("photo_images")
        if source.get("source") != "PULL_FROM_URL" or not isinstance(images, list) or not 1 <= len(images) <= 35:
            return api_error(400, "invalid_param", "photo_images must hold 1 to 35 URLs pulled from verified "
                                                   "prefixes.")
        cover = source.get("photo_cover_index")
        if not isinstance(cover, int) or not 0 <= cover < len(images):
            return api_error(400, "invalid_param", "photo_cover_index is required and must index photo_images.")
        for url in images:
            refusal = self._url_error(url)
            if refusal:
                return refusal
        publish = self._new_publish(grant, mode, "PHOTO", "PULL_FROM_URL", info)
        return ok({"publish_id": publish["id"]})

    def _url_error(self, url) -> Reply | None:
        if not isinstance(url, str) or not url.startswith("https://"):
            return api_error(400, "invalid_param", "The URL must be https.")
        if not any(url.startswith(prefix) for prefix in self.verified_prefixes):
            return api_error(403, "url_ownership_unverified", "To use PULL_FROM_URL, the developer must verify the "
                                                              "ownership of the URL prefix or domain.")
        return None

    def _new_publish(self, grant: dict, mode: str, media: str, source: str, info: dict | None, *, size: int = 0,
                     chunk: int = 0, chunks: int = 0) -> dict:
        number = next(self._ids)
        kind = {"VIDEO": "v", "PHOTO": "p"}[media]
        prefix = f"{kind}_{'pub' if mode == 'DIRECT_POST' else 'inbox'}_{'file' if source == 'FILE_UPLOAD' else 'url'}"
        publish = {"id": f"{prefix}~v2-1.{number}", "open_id": grant["open_id"], "mode": mode, "media": media,
                   "source": source, "post_info": info or {}, "size": size, "chunk": chunk, "chunks": chunks,
                   "received": 0, "pieces": 0, "sha256": hashlib.sha256(), "upload_id": str(number),
                   "upload_token": secrets.token_urlsafe(12), "upload_expired": False, "created": time.time(),
                   "arrived": source != "FILE_UPLOAD", "script": None, "video_id": None}
        self.publishes[publish["id"]] = publish
        return publish

    def upload(self, req: Request) -> Reply:
        publish = next((p for p in self.publishes.values() if p["upload_id"] == req.arg("upload_id")
                        and p["upload_token"] == req.arg("upload_token")), None)
        if publish is None or publish["source"] != "FILE_UPLOAD":
            return Reply(404, b"")
        if publish["upload_expired"]:
            return Reply(403, b"")
        match = _RANGE.fullmatch(req.headers.get("content-range", ""))
        length = len(req.body)
        if req.headers.get("content-type") not in UPLOAD_TYPES or not match or \
                int(req.headers.get("content-length") or -1) != length:
            return Reply(400, b"")
        first, last, total = (int(g) for g in match.groups())
        progress = {"Content-Range": f"bytes 0-{publish['received'] - 1}/{publish['size']}"}
        if total != publish["size"] or last - first + 1 != length:
            return Reply(400, b"")
        if first != publish["received"] or publish["arrived"]:
            return Reply(416, b"", headers=progress)
        index = first // publish["chunk"]
        final = index == publish["chunks"] - 1
        expected = publish["size"] - first if final else publish["chunk"]
        if first % publish["chunk"] or length != expected:
            return Reply(400, b"")
        publish["sha256"].update(req.body)
        publish["received"] += length
        publish["pieces"] += 1
        progress = {"Content-Range": f"bytes 0-{publish['received'] - 1}/{publish['size']}"}
        delay = self.upload_answer_delays.pop(sum(p["pieces"] for p in self.publishes.values()), 0.0)
        if final:
            publish["arrived"] = True
        return Reply(201 if final else 206, b"", headers=progress, delay=delay)

    def status_fetch(self, req: Request) -> Reply:
        grant, body, refusal = self._authorized_json(req, "video.publish", "video.upload")
        if refusal:
            return refusal
        publish = self.publishes.get(str(body.get("publish_id")))
        if publish is None:
            return api_error(400, "invalid_publish_id", "The publish_id does not exist.")
        if publish["open_id"] != grant["open_id"]:
            return api_error(400, "token_not_authorized_for_specified_publish_id",
                             "The access_token does not have authorization for this publish.")
        return ok(self._step(publish))

    def _step(self, publish: dict) -> dict:
        if not publish["arrived"]:
            return {"status": "PROCESSING_UPLOAD", "uploaded_bytes": publish["received"]}
        if publish["script"] is None:
            moving = "PROCESSING_UPLOAD" if publish["source"] == "FILE_UPLOAD" else "PROCESSING_DOWNLOAD"
            publish["script"] = [dict(s) for s in (self.processing or [{"status": moving}, {"status": "DONE"}])]
        step = publish["script"].pop(0) if len(publish["script"]) > 1 else dict(publish["script"][0])
        if step.get("status") == "DONE":
            step = self._finish(publish)
        data = {"publicaly_available_post_id": [], **step}
        if publish["source"] == "FILE_UPLOAD":
            data["uploaded_bytes"] = publish["received"]
        return data

    def _finish(self, publish: dict) -> dict:
        if publish["mode"] == "MEDIA_UPLOAD":
            return {"status": "SEND_TO_USER_INBOX"}
        public = publish["post_info"].get("privacy_level") == "PUBLIC_TO_EVERYONE"
        if publish["video_id"] is None:
            video_id = str(next(self._ids))
            publish["video_id"] = video_id
            self.videos[video_id] = {"id": video_id, "open_id": publish["open_id"], "public": public,
                                     "title": publish["post_info"].get("title", ""), "like_count": 0,
                                     "comment_count": 0, "share_count": 0, "view_count": 0,
                                     "share_url": f"https://www.tiktok.com/@{self.creator['creator_username']}"
                                                  f"/video/{video_id}"}
        return {"status": "PUBLISH_COMPLETE", "publicaly_available_post_id": [int(publish["video_id"])] if public
                else []}

    def video_query(self, req: Request) -> Reply:
        grant, body, refusal = self._authorized_json(req, "video.list")
        if refusal:
            return refusal
        fields = [f for f in (req.arg("fields") or "").split(",") if f]
        ids = (body.get("filters") or {}).get("video_ids")
        if not fields or set(fields) - VIDEO_FIELDS:
            return api_error(400, "invalid_params", "fields is missing or has unknown fields.")
        if not isinstance(ids, list) or not 1 <= len(ids) <= 20:
            return api_error(400, "invalid_params", "filters.video_ids takes 1 to 20 ids.")
        videos = [v for i in ids if (v := self.videos.get(str(i))) and v["open_id"] == grant["open_id"]
                  and v["public"]]
        return ok({"videos": [{f: v[f] for f in fields if f in v} for v in videos], "cursor": 0, "has_more": False})

    # --- what a test reads back ----------------------------------------------------------
    def upload_of(self, publish_id: str) -> tuple[int, str, int]:
        """(bytes received, their SHA-256, PUTs accepted) of a FILE_UPLOAD."""
        publish = self.publishes[publish_id]
        return publish["received"], publish["sha256"].hexdigest(), publish["pieces"]


def chunk_rule_problem(size, chunk, count) -> str | None:
    """Why a FILE_UPLOAD's source_info breaks the Media Transfer Guide's chunk rules."""
    if not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in (size, chunk, count)):
        return "video_size, chunk_size and total_chunk_count must be positive integers."
    if size > 4 * 1024 * MB:
        return "The video is larger than 4 GB."
    if count != size // chunk:
        return "total_chunk_count must be video_size divided by chunk_size, rounded down."
    if not 1 <= count <= 1000:
        return "There must be 1 to 1000 chunks."
    if size < 5 * MB and chunk != size:
        return "A video under 5 MB must be uploaded whole."
    if size > 64 * MB and count < 2:
        return "A video over 64 MB must be uploaded in chunks."
    if chunk > 64 * MB or (size >= 5 * MB and chunk < 5 * MB):
        return "The chunk size is invalid."
    if size - (count - 1) * chunk > 128 * MB:
        return "The final chunk is larger than 128 MB."
    return None
