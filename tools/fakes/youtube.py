"""A loopback stand-in for Google's OAuth 2.0 endpoints and the parts of the
YouTube Data API v3 postr uses, answering in the shapes Google documents
(developers.google.com/identity/protocols/oauth2/web-server, youtube/v3/docs,
the resumable upload guide, the error pages, and the discovery document).

- OAuth: `consent(url)` plays the person pressing "Allow" on
  accounts.google.com and returns the redirect (`code`, `state`). `POST /token`
  takes the client id and secret in the form (or HTTP Basic), checks the
  code's redirect_uri and S256 verifier, and issues hour-long access tokens; a
  refresh token comes with `access_type=offline` on a first consent or with
  `prompt=consent`, and does not rotate. `POST /revoke` (`token` in the form or
  the query) ends the whole grant; an unknown token is 400 `invalid_token`.
  Errors: {"error", "error_description"} (`invalid_grant`, `invalid_client`).
- API calls need a live bearer token (else 401 authError) and one of the
  scopes the discovery document lists for the method (else 403
  insufficientPermissions). Error bodies are {"error": {"code", "message",
  "errors": [{"message", "domain", "reason"}], "status"}}.
- `GET /youtube/v3/channels?mine=true` with `part` filtering (no channel:
  no items). `POST /upload/youtube/v3/videos?uploadType=resumable` checks
  X-Upload-Content-Length/Type and the metadata (invalidTitle,
  invalidDescription, invalidTags, invalidPublishAt, invalidCategoryId,
  uploadLimitExceeded, youtubeSignupRequired) and answers 200 with the
  session in `Location`. PUTs to the session take `Content-Range: bytes a-b/n`
  chunks (308 + `Range: bytes=0-k`; 201 + the video at the end) or the status
  query `bytes */n` (308, with no Range when nothing is held, or the completed
  upload's answer again); an unknown session is 404. The received file is
  hashed (`sha256`) and, unless `store_bytes` is off, kept.
- Thumbnails (`POST /upload/youtube/v3/thumbnails/set`, 403 forbidden unless
  the channel's longUploadsStatus is "allowed"), `DELETE /youtube/v3/videos`
  (204), `GET /youtube/v3/videos?part=statistics&id=a,b,...` (one item per
  video it has, in the order asked; an id it does not have is simply absent
  from "items", no error), `POST
  /youtube/v3/commentThreads` (403 commentsDisabled on made-for-kids videos).

Scripted failures for the upload: `chunk_script[n]` / `query_script[n]` act
on the n-th data PUT / status query of any session (1-based): a `Reply` to
answer instead (nothing of that chunk kept), a `Keep(k)` that keeps only the
first k bytes of the chunk and answers as usual, or a `Drop(keep)` that keeps
the first `keep` bytes of the chunk (None: all of it, completing the upload if
it was the last) and then closes the connection without answering.

Where it falls short (the stand-in's own choices, not Google's documented
behaviour): a chunk must start exactly at the held offset and every chunk
but the last must be a multiple of 256 KiB (else 400 badContent, wording
ours); no media decoding, so formats, durations and image contents are not
checked; a chunk is either kept whole or cut where a script says; sessions do
not expire on their own (`expire_sessions()`); quotas and rate limits only
when scripted with `fail_next`; videos.list takes any number of ids (Google's
reference gives no bound and no error for too many, so none is made up here).
"""

import base64
import hashlib
import itertools
import re
import secrets
import sys
import time
import urllib.parse
from dataclasses import dataclass

from fakes.base import FakeServer, Reply, Request

AUTH = "https://www.googleapis.com/auth/"
FORCE_SSL, UPLOAD, YOUTUBE, READONLY, PARTNER = (AUTH + s for s in (
    "youtube.force-ssl", "youtube.upload", "youtube", "youtube.readonly", "youtubepartner"))
# Scopes each method accepts, from the discovery document.
INSERT_SCOPES = {FORCE_SSL, UPLOAD, YOUTUBE, PARTNER}
THUMBNAIL_SCOPES = {FORCE_SSL, UPLOAD, YOUTUBE, PARTNER}
DELETE_SCOPES = {FORCE_SSL, YOUTUBE, PARTNER}
LIST_SCOPES = {FORCE_SSL, YOUTUBE, READONLY, PARTNER}
COMMENT_SCOPES = {FORCE_SSL}

UNIT = 256 * 1024
ASSIGNABLE_CATEGORIES = {"1", "2", "10", "15", "17", "19", "20", "22", "23", "24", "25", "26", "27", "28", "29"}
_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+)")
_QUERY = re.compile(r"bytes \*/(\d+)")


@dataclass
class Drop:
    """Close the connection without an answer, after keeping `keep` bytes of the chunk (None: all)."""

    keep: int | None = None


@dataclass
class Keep:
    """Answer as usual, having kept only the first `bytes` of the chunk (Google
    may persist less than a chunk carried; its 308 Range says how much)."""

    bytes: int


class _Dropped(Exception):
    pass


def google_error(code: int, reason: str, message: str, domain: str = "youtube.video", status: str = "") -> Reply:
    statuses = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
                429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}
    return Reply(code, {"error": {"code": code, "message": message,
                                  "errors": [{"message": message, "domain": domain, "reason": reason}],
                                  "status": status or statuses.get(code, "UNKNOWN")}})


def quota_exceeded() -> Reply:
    message = ('The request cannot be completed because you have exceeded your '
               '<a href="/youtube/v3/getting-started#quota">quota</a>.')
    return google_error(403, "quotaExceeded", message, "youtube.quota")


def oauth_error(status: int, error: str, description: str) -> Reply:
    return Reply(status, {"error": error, "error_description": description})


UNAUTHENTICATED = google_error(
    401, "authError", "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie "
    "or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/"
    "devconsole-project.", "global")
INSUFFICIENT = google_error(403, "insufficientPermissions", "Request had insufficient authentication scopes.",
                            "global")


class YouTubeFake(FakeServer):
    def __init__(self, client_id: str = "postr-client.apps.googleusercontent.com",
                 client_secret: str = "postr-client-secret", store_bytes: bool = True):
        self.client_id, self.client_secret = client_id, client_secret
        self.store_bytes = store_bytes
        self.categories = set(ASSIGNABLE_CATEGORIES)
        self.channels: dict[str, dict] = {}
        self.account_channel: dict[str, str | None] = {}  # Google account -> its channel id
        self.add_account("110248495921238986420", "UCpostrTesterChannel0001", title="Postr Tester",
                         handle="@postrtester", subscribers=1523)
        self.codes: dict[str, dict] = {}
        self.consented: set[tuple[str, str]] = set()
        self.access_tokens: dict[str, dict] = {}
        self.refresh_tokens: dict[str, dict] = {}
        self.sessions: dict[str, dict] = {}
        self.videos: dict[str, dict] = {}
        self.comments: dict[str, dict] = {}
        self.upload_limit_reached = False
        self.chunk_script: dict[int, Reply | Keep | Drop] = {}
        self.query_script: dict[int, Reply | Drop] = {}
        self.chunks_seen = 0
        self.queries_seen = 0
        self._grants = itertools.count(1)
        super().__init__()

    def setup(self) -> None:
        self.route("POST", r"/token", self.token)
        self.route("POST", r"/revoke", self.revoke)
        self.route("GET", r"/youtube/v3/channels", self.channels_list)
        self.route("POST", r"/upload/youtube/v3/videos", self.videos_insert)
        self.route("PUT", r"/upload/youtube/v3/videos", self.upload_put)
        self.route("POST", r"/upload/youtube/v3/thumbnails/set", self.thumbnails_set)
        self.route("DELETE", r"/youtube/v3/videos", self.videos_delete)
        self.route("GET", r"/youtube/v3/videos", self.videos_list)
        self.route("POST", r"/youtube/v3/commentThreads", self.comment_threads_insert)
        report = self.server.handle_error

        def handle_error(request, client_address):
            if not isinstance(sys.exc_info()[1], _Dropped):  # a scripted drop is not an error
                report(request, client_address)

        self.server.handle_error = handle_error

    # --- what a test does outside the API -------------------------------------------
    def add_account(self, account: str, channel_id: str | None, *, title: str = "", handle: str = "",
                    subscribers: int = 0, hidden: bool = False, long_uploads: str = "allowed") -> None:
        """A Google account, with a channel unless `channel_id` is None."""
        self.account_channel[account] = channel_id
        if channel_id:
            self.channels[channel_id] = {
                "kind": "youtube#channel", "etag": secrets.token_urlsafe(8), "id": channel_id,
                "snippet": {"title": title, "description": "", "customUrl": handle,
                            "publishedAt": "2019-04-02T10:11:12Z",
                            "thumbnails": {k: {"url": f"https://yt3.ggpht.com/{channel_id}=s{n}-c-k", "width": n,
                                               "height": n}
                                           for k, n in (("default", 88), ("medium", 240), ("high", 800))},
                            "localized": {"title": title, "description": ""}, "country": "US"},
                "statistics": {"viewCount": "48211", "subscriberCount": str(subscribers),
                               "hiddenSubscriberCount": hidden, "videoCount": "37"},
                "status": {"privacyStatus": "public", "isLinked": True, "longUploadsStatus": long_uploads,
                           "madeForKids": False},
            }

    def consent(self, authorize_url: str, account: str = "110248495921238986420",
                granted: list[str] | None = None) -> str:
        """The person allows access on Google's consent screen; returns Google's redirect."""
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(authorize_url).query))
        assert query.get("response_type") == "code", "authorize needs response_type=code"
        assert query.get("client_id") == self.client_id, "unknown client_id"
        assert query.get("redirect_uri"), "authorize needs a redirect_uri"
        assert query.get("scope"), "authorize needs a scope"
        if query.get("code_challenge"):
            assert query.get("code_challenge_method") in ("S256", "plain"), "unknown code_challenge_method"
        code = secrets.token_urlsafe(24)
        key = (account, self.client_id)
        offline = query.get("access_type") == "offline"
        self.codes[code] = {"account": account, "client_id": self.client_id, "redirect_uri": query["redirect_uri"],
                            "scopes": granted if granted is not None else query["scope"].split(),
                            "challenge": query.get("code_challenge"),
                            "method": query.get("code_challenge_method", "plain"),
                            "refresh": offline and (query.get("prompt") == "consent" or key not in self.consented)}
        self.consented.add(key)
        back = {"state": query.get("state", ""), "code": code, "scope": query["scope"]}
        return f"{query['redirect_uri']}?{urllib.parse.urlencode(back)}"

    def grant(self, scopes=(FORCE_SSL,), account: str = "110248495921238986420") -> dict:
        """Tokens as if the person had connected (for tests that start connected)."""
        return self._issue({"account": account, "client_id": self.client_id, "scopes": list(scopes),
                            "grant": next(self._grants)}, refresh=True)

    def expire(self, access_token: str) -> None:
        self.access_tokens[access_token]["expires"] = 0

    def expire_sessions(self) -> None:
        self.sessions.clear()

    def channel_of(self, access_token: str) -> dict:
        return self.channels[self.account_channel[self.access_tokens[access_token]["account"]]]

    # --- OAuth ----------------------------------------------------------------------
    def _client(self, req: Request) -> str | None:
        header = req.headers.get("authorization", "")
        if header.startswith("Basic "):
            client_id, _, secret = base64.b64decode(header[6:]).decode().partition(":")
        else:
            client_id, secret = req.form.get("client_id"), req.form.get("client_secret")
        return client_id if client_id == self.client_id and secret == self.client_secret else None

    def _issue(self, grant: dict, *, refresh: bool) -> dict:
        access = "ya29." + secrets.token_urlsafe(32)
        self.access_tokens[access] = {**grant, "expires": time.time() + 3599}
        body = {"access_token": access, "expires_in": 3599, "scope": " ".join(grant["scopes"]),
                "token_type": "Bearer"}
        if refresh:
            token = "1//" + secrets.token_urlsafe(32)
            self.refresh_tokens[token] = grant
            body["refresh_token"] = token
        return body

    def token(self, req: Request) -> Reply:
        if not req.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            return oauth_error(400, "invalid_request", "Required parameter is missing: grant_type")
        if self._client(req) is None:
            return oauth_error(401, "invalid_client", "Unauthorized")
        form = req.form
        if form.get("grant_type") == "authorization_code":
            code = self.codes.pop(form.get("code", ""), None)
            verifier = form.get("code_verifier", "")
            if code and code["challenge"]:
                if code["method"] == "S256":
                    digest = hashlib.sha256(verifier.encode()).digest()
                    verified = base64.urlsafe_b64encode(digest).decode().rstrip("=") == code["challenge"]
                else:
                    verified = verifier == code["challenge"]
            else:
                verified = bool(code)
            if not code or not verified or code["redirect_uri"] != form.get("redirect_uri"):
                return oauth_error(400, "invalid_grant", "Bad Request")
            grant = {"account": code["account"], "client_id": code["client_id"], "scopes": code["scopes"],
                     "grant": next(self._grants)}
            return Reply(200, self._issue(grant, refresh=code["refresh"]))
        if form.get("grant_type") == "refresh_token":
            grant = self.refresh_tokens.get(form.get("refresh_token", ""))
            if not grant:
                return oauth_error(400, "invalid_grant", "Token has been expired or revoked.")
            return Reply(200, self._issue(grant, refresh=False))  # Google's refresh tokens do not rotate
        return oauth_error(400, "unsupported_grant_type", "Invalid grant_type: " + form.get("grant_type", ""))

    def revoke(self, req: Request) -> Reply:
        token = req.form.get("token") or req.arg("token") or ""
        grant = self.refresh_tokens.get(token) or self.access_tokens.get(token)
        if not grant:
            return oauth_error(400, "invalid_token", "Token expired or revoked")
        for store in (self.refresh_tokens, self.access_tokens):
            for key in [k for k, g in store.items() if g["grant"] == grant["grant"]]:
                del store[key]
        return Reply(200, {})

    # --- API ------------------------------------------------------------------------
    def _caller(self, req: Request, accepted: set[str]) -> tuple[dict | None, Reply | None]:
        header = req.headers.get("authorization", "")
        grant = self.access_tokens.get(header[7:]) if header.startswith("Bearer ") else None
        if not grant or grant["expires"] < time.time():
            return None, UNAUTHENTICATED
        if not accepted & set(grant["scopes"]):
            return None, INSUFFICIENT
        return grant, None

    def channels_list(self, req: Request) -> Reply:
        grant, refusal = self._caller(req, LIST_SCOPES)
        if refusal:
            return refusal
        if req.arg("mine") != "true" or not req.arg("part"):
            return google_error(400, "missingRequiredParameter", "No filter selected. Expected one of: mine, id, "
                                "forHandle, forUsername, managedByMe, categoryId", "youtube.parameter")
        parts = set(req.arg("part").split(","))
        channel_id = self.account_channel.get(grant["account"])
        items = []
        if channel_id:
            channel = self.channels[channel_id]
            items.append({k: v for k, v in channel.items() if k in ("kind", "etag", "id") or k in parts})
        return Reply(200, {"kind": "youtube#channelListResponse", "etag": secrets.token_urlsafe(8),
                           "pageInfo": {"totalResults": len(items), "resultsPerPage": 5}, "items": items})

    def videos_insert(self, req: Request) -> Reply:
        grant, refusal = self._caller(req, INSERT_SCOPES)
        if refusal:
            return refusal
        if req.arg("uploadType") != "resumable":
            return google_error(400, "badRequest", "postr's stand-in only takes resumable uploads.", "global")
        channel_id = self.account_channel.get(grant["account"])
        if not channel_id:
            return google_error(401, "youtubeSignupRequired", "Unauthorized", "youtube.header")
        size = req.headers.get("x-upload-content-length", "")
        ctype = req.headers.get("x-upload-content-type", "")
        if not size.isdigit() or not (ctype.startswith("video/") or ctype == "application/octet-stream"):
            return google_error(400, "mediaBodyRequired", "The request does not include the video content.")
        if int(size) > 274877906944:
            return google_error(400, "badRequest", "Media larger than 274877906944 bytes.", "global")
        body = req.json or {}
        refusal = self._check_metadata(body)
        if refusal:
            return refusal
        if self.upload_limit_reached:
            return google_error(400, "uploadLimitExceeded",
                                "The user has exceeded the number of videos they may upload.")
        upload_id = secrets.token_urlsafe(24)
        part = req.arg("part") or ""
        self.sessions[upload_id] = {"grant": grant, "channel": channel_id, "resource": body, "total": int(size),
                                    "type": ctype, "part": part, "held": 0, "hash": hashlib.sha256(),
                                    "data": bytearray() if self.store_bytes else None, "done": None,
                                    "notify": req.arg("notifySubscribers", "true")}
        location = (f"{self.url}/upload/youtube/v3/videos?uploadType=resumable&upload_id={upload_id}"
                    f"&part={urllib.parse.quote(part, safe=',')}")
        return Reply(200, b"", headers={"Location": location})

    def _check_metadata(self, body: dict) -> Reply | None:
        snippet, status = body.get("snippet") or {}, body.get("status") or {}
        title = snippet.get("title")
        if not isinstance(title, str) or not title.strip() or len(title) > 100 or "<" in title or ">" in title:
            return google_error(400, "invalidTitle", "The request metadata specifies an invalid or empty video "
                                                     "title.")
        description = snippet.get("description", "")
        if len(description.encode()) > 5000 or "<" in description or ">" in description:
            return google_error(400, "invalidDescription", "The request metadata specifies an invalid video "
                                                           "description.")
        tags = snippet.get("tags") or []
        if sum(len(t) + (2 if " " in t else 0) for t in tags) + max(len(tags) - 1, 0) > 500:
            return google_error(400, "invalidTags", "The request metadata specifies invalid video keywords.")
        if "categoryId" in snippet and str(snippet["categoryId"]) not in self.categories:
            return google_error(400, "invalidCategoryId", "The snippet.categoryId property specifies an invalid "
                                "category ID. Use the videoCategories.list method to retrieve supported categories.")
        if status.get("privacyStatus", "public") not in ("public", "unlisted", "private"):
            return google_error(400, "invalidVideoMetadata", "The request metadata is invalid.")
        if "publishAt" in status and status.get("privacyStatus") != "private":
            return google_error(400, "invalidPublishAt", "The request metadata specifies an invalid scheduled "
                                                         "publishing time.")
        return None

    def upload_put(self, req: Request) -> Reply:
        session = self.sessions.get(req.arg("upload_id") or "")
        data, req.body = req.body, b""  # the file is kept in the session, not in the request log
        if session is None:
            return google_error(404, "notFound", "Not Found", "global")
        header = req.headers.get("authorization", "")
        if self.access_tokens.get(header[7:] if header.startswith("Bearer ") else "") is None:
            return UNAUTHENTICATED
        content_range = req.headers.get("content-range", "")
        query = _QUERY.fullmatch(content_range)
        if query:
            self.queries_seen += 1
            scripted = self.query_script.pop(self.queries_seen, None)
            if isinstance(scripted, Drop):
                raise _Dropped()
            if scripted is not None:
                return scripted
            return self._upload_state(session)
        self.chunks_seen += 1
        scripted = self.chunk_script.pop(self.chunks_seen, None)
        if isinstance(scripted, Reply):
            return scripted
        if session["done"] is not None:
            return self._upload_state(session)
        match = _RANGE.fullmatch(content_range)
        if match:
            first, last, total = (int(g) for g in match.groups())
        elif not content_range:
            first, last, total = 0, len(data) - 1, len(data)
        else:
            return google_error(400, "badContent", "Content-Range is not valid.", "global")
        if total != session["total"] or first != session["held"] or last - first + 1 != len(data):
            return google_error(400, "badContent", f"Content-Range must continue at byte {session['held']} of "
                                f"{session['total']} and match the body.", "global")
        if last + 1 < total and len(data) % UNIT:
            return google_error(400, "badContent", "A chunk before the last must be a multiple of 256 KiB.", "global")
        if isinstance(scripted, Drop):
            kept = data if scripted.keep is None else data[:scripted.keep]
            self._keep(session, kept)
            raise _Dropped()
        self._keep(session, data[:scripted.bytes] if isinstance(scripted, Keep) else data)
        return self._upload_state(session)

    def _keep(self, session: dict, data: bytes) -> None:
        session["hash"].update(data)
        if session["data"] is not None:
            session["data"] += data
        session["held"] += len(data)
        if session["held"] == session["total"]:
            session["done"] = self._create_video(session)

    def _upload_state(self, session: dict) -> Reply:
        if session["done"] is not None:
            return Reply(201, self._render(self.videos[session["done"]], session["part"]))
        if session["held"] == 0:
            return Reply(308, b"")
        return Reply(308, b"", headers={"Range": f"bytes=0-{session['held'] - 1}"})

    def _create_video(self, session: dict) -> str:
        video_id = secrets.token_urlsafe(8)[:11]
        resource, channel = session["resource"], self.channels[session["channel"]]
        snippet, status = resource.get("snippet") or {}, resource.get("status") or {}
        self.videos[video_id] = {
            "kind": "youtube#video", "etag": secrets.token_urlsafe(8), "id": video_id,
            "snippet": {"publishedAt": "2026-03-01T12:00:00Z", "channelId": channel["id"],
                        "title": snippet["title"], "description": snippet.get("description", ""),
                        "thumbnails": {"default": {"url": f"https://i.ytimg.com/vi/{video_id}/default.jpg",
                                                   "width": 120, "height": 90}},
                        "channelTitle": channel["snippet"]["title"], "tags": snippet.get("tags", []),
                        "categoryId": str(snippet.get("categoryId", "22")), "liveBroadcastContent": "none",
                        "localized": {"title": snippet["title"], "description": snippet.get("description", "")}},
            "status": {"uploadStatus": "uploaded", "privacyStatus": status.get("privacyStatus", "public"),
                       "license": "youtube", "embeddable": True, "publicStatsViewable": True,
                       "madeForKids": bool(status.get("selfDeclaredMadeForKids")),
                       **({"publishAt": status["publishAt"]} if "publishAt" in status else {}),
                       **({"selfDeclaredMadeForKids": status["selfDeclaredMadeForKids"]}
                          if "selfDeclaredMadeForKids" in status else {})},
            "statistics": {"viewCount": "0", "likeCount": "0", "dislikeCount": "0", "favoriteCount": "0",
                           "commentCount": "0"},
            "file": {"size": session["held"], "type": session["type"], "sha256": session["hash"].hexdigest(),
                     "data": bytes(session["data"]) if session["data"] is not None else None},
            "notify_subscribers": session["notify"] != "false",
            "custom_thumbnail": None,
        }
        return video_id

    @staticmethod
    def _render(video: dict, part: str) -> dict:
        parts = set(part.split(","))
        return {k: v for k, v in video.items() if k in ("kind", "etag", "id") or k in parts}

    def thumbnails_set(self, req: Request) -> Reply:
        grant, refusal = self._caller(req, THUMBNAIL_SCOPES)
        if refusal:
            return refusal
        video = self.videos.get(req.arg("videoId") or "")
        channel_id = self.account_channel.get(grant["account"])
        if video is None:
            return google_error(404, "videoNotFound", "The video that you are trying to update cannot be found.")
        if video["snippet"]["channelId"] != channel_id or \
                self.channels[channel_id]["status"]["longUploadsStatus"] != "allowed":
            return google_error(403, "forbidden", "The authenticated user doesn't have permissions to upload and set "
                                                  "custom video thumbnails.", "youtube.thumbnail")
        if not req.body:
            return google_error(400, "mediaBodyRequired", "The request does not include the image content.",
                                "youtube.thumbnail")
        if req.headers.get("content-type") not in ("image/jpeg", "image/png", "application/octet-stream"):
            return google_error(400, "invalidImage", "The provided image content is invalid.", "youtube.thumbnail")
        video["custom_thumbnail"] = {"type": req.headers["content-type"], "data": req.body}
        url = f"https://i.ytimg.com/vi/{video['id']}/"
        return Reply(200, {"kind": "youtube#thumbnailSetResponse", "etag": secrets.token_urlsafe(8),
                           "items": [{"default": {"url": url + "default.jpg", "width": 120, "height": 90},
                                      "medium": {"url": url + "mqdefault.jpg", "width": 320, "height": 180},
                                      "high": {"url": url + "hqdefault.jpg", "width": 480, "height": 360}}]})

    def videos_delete(self, req: Request) -> Reply:
        grant, refusal = self._caller(req, DELETE_SCOPES)
        if refusal:
            return refusal
        video = self.videos.get(req.arg("id") or "")
        if video is None:
            return google_error(404, "videoNotFound", "The video that you are trying to delete cannot be found.")
        if video["snippet"]["channelId"] != self.account_channel.get(grant["account"]):
            return google_error(403, "forbidden", "The video that you are trying to delete cannot be deleted. The "
                                                  "request might not be properly authorized.")
        del self.videos[video["id"]]
        return Reply(204, b"")

    def videos_list(self, req: Request) -> Reply:
        _, refusal = self._caller(req, LIST_SCOPES)
        if refusal:
            return refusal
        ids = (req.arg("id") or "").split(",")
        items = [self._render(self.videos[i], req.arg("part") or "") for i in ids if i in self.videos]
        return Reply(200, {"kind": "youtube#videoListResponse", "etag": secrets.token_urlsafe(8), "items": items,
                           "pageInfo": {"totalResults": len(items), "resultsPerPage": len(items)}})

    def comment_threads_insert(self, req: Request) -> Reply:
        grant, refusal = self._caller(req, COMMENT_SCOPES)
        if refusal:
            return refusal
        snippet = (req.json or {}).get("snippet") or {}
        text = ((snippet.get("topLevelComment") or {}).get("snippet") or {}).get("textOriginal")
        if not snippet.get("videoId") or not snippet.get("channelId"):
            return google_error(400, "channelOrVideoIdMissing", "The comment thread must be linked to a video.",
                                "youtube.commentThread")
        if not text:
            return google_error(400, "commentTextRequired", "The comment resource that is being inserted must "
                                "specify a value for the snippet.topLevelComment.snippet.textOriginal property.",
                                "youtube.commentThread")
        video = self.videos.get(snippet["videoId"])
        if video is None:
            return google_error(404, "videoNotFound", "The specified video could not be found.",
                                "youtube.commentThread")
        if video["status"]["madeForKids"]:
            return google_error(403, "commentsDisabled", "The video identified by the videoId parameter has "
                                "disabled comments.", "youtube.commentThread")
        thread_id = "Ug" + secrets.token_urlsafe(18)
        channel = self.channels[self.account_channel[grant["account"]]]
        self.comments[thread_id] = {"videoId": video["id"], "textOriginal": text}
        video["statistics"]["commentCount"] = str(int(video["statistics"]["commentCount"]) + 1)
        return Reply(200, {"kind": "youtube#commentThread", "etag": secrets.token_urlsafe(8), "id": thread_id,
                           "snippet": {"channelId": snippet["channelId"], "videoId": video["id"],
                                       "topLevelComment": {"kind": "youtube#comment", "id": thread_id, "snippet": {
                                           "channelId": snippet["channelId"], "videoId": video["id"],
                                           "textDisplay": text, "textOriginal": text,
                                           "authorDisplayName": channel["snippet"]["title"],
                                           "authorChannelId": {"value": channel["id"]},
                                           "canRate": True, "viewerRating": "none", "likeCount": 0,
                                           "publishedAt": "2026-03-01T12:00:05Z",
                                           "updatedAt": "2026-03-01T12:00:05Z"}},
                                       "canReply": True, "totalReplyCount": 0, "isPublic": True}})
