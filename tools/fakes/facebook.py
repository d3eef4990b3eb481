"""A loopback stand-in for Meta's Graph API as Facebook Pages use it, for contract tests.

It imitates what Meta documents:
- Facebook Login: `GET /{v}/oauth/access_token` with a code (-> a short-lived
  user token) or with `grant_type=fb_exchange_token` (-> a long-lived one,
  `expires_in` 5183944 as in Meta's example); `GET /{v}/me?fields=id,permissions`
  ({"permission", "status"} items); `DELETE /{v}/{user-id}/permissions` with the
  user token or the app token `{app-id}|{app-secret}` (-> {"success": true};
  every token of that person for the app stops working).
- Pages: `GET /{v}/me/accounts` (id, name, tasks, picture {"data": {"url"}},
  access_token: a Page token; cursor paging with `limit`/`after` and `next`);
  `GET /{v}/{page-id}?fields=...` (username, followers_count, fan_count...).
- Publishing with a Page token: `POST /{v}/{page-id}/feed` (message, link,
  `attached_media[n]={"media_fbid": ...}` of unpublished photos),
  `POST /{v}/{page-id}/photos` (url or a multipart `source`; caption,
  alt_text_custom, published) answering {"id", "post_id"} or {"id"};
  `POST /{v}/{object-id}/comments`; `DELETE /{v}/{object-id}`.
- Videos: the Resumable Upload API with a user token (`POST /{v}/{app-id}/uploads`
  -> {"id": "upload:<id>?sig=<sig>"}; `POST /{v}/upload:<id>` with
  `Authorization: OAuth <token>` and a `file_offset` header -> {"h": handle} once
  the file is whole; `GET /{v}/upload:<id>` -> {"id", "file_offset"}), then
  `POST /graph-video/{v}/{page-id}/videos` with `fbuploader_video_file_chunk`
  or `file_url`. The video host is served under the `/graph-video` prefix: point
  FACEBOOK_VIDEO_API_URL at `<url>/graph-video`, and a video sent to the plain
  Graph host finds no route.
- Reads: `permalink_url` (a full address for posts, a path on facebook.com for
  videos, as the Graph API gives them), `reactions.summary(total_count)`,
  `comments.summary(total_count)`, `shares` ({"count"}, absent while nobody
  shared); `GET /{v}/{post-id}/insights?metric=post_media_view` (lifetime
  `values[0].value`; an empty list for a Page under 100 likes, where Meta
  keeps no insights; an invalid-metric error for the deprecated
  post_impressions*); `GET /{v}/{video-id}/video_insights?metric=total_video_views`.
- Graph error bodies {"error": {"message", "type", "code", "error_subcode",
  "is_transient", "fbtrace_id"}}; parameters read from the query string, a
  form body or a multipart body alike.

Where it falls short: Meta documents the answer to a whole-file upload only;
for a piece that leaves the file incomplete the fake answers with the status
shape {"id", "file_offset"} (the module reads neither). Error messages for a bad
code, a page token used on another Page, a missing permission or a wrong
`file_offset` are plausible Graph wording with the documented codes, not
captured answers. It checks structure, ownership and granted permissions, not
media bytes, text length or rate limits (tests script those with `fail_next`);
it downloads nothing from `url`/`file_url`.
"""

import base64
import functools
import hashlib
import io
import itertools
import json
import secrets
from dataclasses import dataclass, field

from fakes import meta_graph
from fakes.base import FakeServer, Reply, Request
from fakes.meta_graph import graph_error, invalid_token as _invalid_token

V = r"/v27\.0"
VERSION = "v27.0"
ALL_PERMISSIONS = ("pages_show_list", "pages_manage_posts", "pages_read_engagement", "pages_manage_engagement",
                   "read_insights")
ALL_TASKS = ("ANALYZE", "ADVERTISE", "MODERATE", "CREATE_CONTENT", "MANAGE")
UPLOAD_TYPES = {"application/pdf", "image/jpeg", "image/jpg", "image/png", "video/mp4"}
POST_METRICS = {"post_media_view", "post_total_media_view_unique", "post_clicks", "post_reactions_by_type_total"}
VIDEO_METRICS = {"total_video_views", "total_video_impressions"}


@dataclass
class Upload:
    id: str
    sig: str
    app_id: str
    user_id: str
    length: int
    file_type: str
    received: int = 0
    data: bytearray = field(default_factory=bytearray)
    sha256: "hashlib._Hash" = field(default_factory=hashlib.sha256)
    handle: str | None = None


class FacebookFake(FakeServer):
    LONG_LIVED_SECONDS = 5183944  # Meta's example answer
    SHORT_LIVED_SECONDS = 5400

    def setup(self):
        self._ids = itertools.count(100000000000001)
        self.apps: dict[str, tuple[str, set[str]]] = {}  # client_id -> (secret, redirect URIs)
        self.codes: dict[str, tuple[str, str, str]] = {}  # code -> (client_id, redirect_uri, user_id)
        self.tokens: dict[str, dict] = {}  # token -> {kind, user_id, page_id, app_id, expired}
        self.users: dict[str, dict] = {}
        self.pages: dict[str, dict] = {}
        self.photos: dict[str, dict] = {}
        self.posts: dict[str, dict] = {}
        self.videos: dict[str, dict] = {}
        self.uploads: dict[str, Upload] = {}
        # The most Pages /me/accounts returns per request, whatever `limit` asks.
        self.max_page_size = 100
        # Keep uploaded bytes (to compare) or only their hash (large files).
        self.keep_upload_bytes = True
        # Upload POSTs (1-based, over the fake's life) that go wrong. Broken ones
        # keep only their first N bytes and answer 503 (the connection broke
        # mid-piece); lost answers keep every byte and answer 503 (it broke after).
        self.break_upload_posts: dict[int, int] = {}
        self.lose_upload_answers: set[int] = set()
        self._upload_posts = 0

        self.route("GET", rf"{V}/oauth/access_token", self.access_token)
        self.route("GET", rf"{V}/me/accounts", self.accounts)
        self.route("GET", rf"{V}/me", self.me)
        self.route("DELETE", rf"{V}/(me|\d+)/permissions", self.revoke)
        self.route("POST", rf"{V}/(\d+)/uploads", self.start_upload)
        self.route("POST", rf"{V}/upload:([^/]+)", self.transfer)
        self.route("GET", rf"{V}/upload:([^/]+)", self.upload_status)
        self.route("POST", rf"{V}/(\d+)/feed", self.create_post)
        self.route("POST", rf"{V}/(\d+)/photos", self.create_photo)
        self.route("POST", rf"/graph-video{V}/(\d+)/videos", self.create_video)
        self.route("POST", rf"{V}/(\d+(?:_\d+)?)/comments", self.create_comment)
        self.route("GET", rf"{V}/(\d+_\d+)/insights", self.post_insights)
        self.route("GET", rf"{V}/(\d+)/video_insights", self.video_insights)
        self.route("GET", rf"{V}/(\d+(?:_\d+)?)", self.read_object)
        self.route("DELETE", rf"{V}/(\d+(?:_\d+)?)", self.delete_object)

    # --- what tests set up ---------------------------------------------------------
    def add_app(self, client_id: str, secret: str, redirect_uri: str) -> None:
        self.apps[client_id] = (secret, {redirect_uri})

    def add_user(self, name: str = "Postr Tester", granted=ALL_PERMISSIONS, declined=()) -> str:
        user_id = str(next(self._ids))
        self.users[user_id] = {"id": user_id, "name": name, "granted": set(granted), "declined": set(declined),
                               "pages": []}
        return user_id

    def add_page(self, name: str = "Postr Bakery", *, managers: dict[str, tuple[str, ...]] | None = None,
                 username: str | None = "postrbakery", followers: int | None = 1520, fans: int | None = 1490,
                 picture: str | None = "https://scontent.example/page.jpg") -> str:
        """A Page; `managers` maps user ids to their tasks on it (and grants it to postr)."""
        page_id = str(next(self._ids))
        self.pages[page_id] = {"id": page_id, "name": name, "username": username, "followers_count": followers,
                               "fan_count": fans, "picture": picture, "roles": {}}
        for user_id, tasks in (managers or {}).items():
            self.pages[page_id]["roles"][user_id] = tuple(tasks)
            self.users[user_id]["pages"].append(page_id)
        return page_id

    def issue_code(self, client_id: str, redirect_uri: str, user_id: str) -> str:
        code = "AQD" + secrets.token_urlsafe(24)
        self.codes[code] = (client_id, redirect_uri, user_id)
        return code

    def issue_token(self, user_id: str, *, app_id: str, kind: str = "long", page_id: str | None = None) -> str:
        token = "EAA" + secrets.token_urlsafe(24)
        self.tokens[token] = {"kind": kind, "user_id": user_id, "page_id": page_id, "app_id": app_id,
                              "expired": False}
        return token

    def page_token(self, user_id: str, page_id: str, app_id: str) -> str:
        """The Page token /me/accounts hands this person for this Page."""
        for token, held in self.tokens.items():
            if held["kind"] == "page" and (held["user_id"], held["page_id"], held["app_id"]) == \
                    (user_id, page_id, app_id) and not held["expired"]:
                return token
        return self.issue_token(user_id, app_id=app_id, kind="page", page_id=page_id)

    def publish_post(self, page_id: str, message: str = "hello") -> str:
        """A post already on the Page (to delete or read metrics of)."""
        return self._new_post(page_id, {"message": message})

    def add_video(self, page_id: str, description: str = "") -> str:
        video_id = str(next(self._ids))
        self.videos[video_id] = {"id": video_id, "page_id": page_id, "description": description, "title": None,
                                 "source": "test", "reactions": 0, "comments": [], "views": 0}
        return video_id

    # --- OAuth ---------------------------------------------------------------------
    def access_token(self, req: Request) -> Reply:
        a = _args(req)
        app = self.apps.get(a.get("client_id", ""))
        if app is None or a.get("client_secret") != app[0]:
            return _error(400, "Error validating client secret.", code=1, type_="OAuthException")
        if a.get("grant_type") == "fb_exchange_token":
            held = self.tokens.get(a.get("fb_exchange_token", ""))
            if held is None or held["kind"] not in ("short", "long") or held["app_id"] != a["client_id"]:
                return _invalid_token()
            if held["expired"]:
                return _expired_token()
            token = self.issue_token(held["user_id"], app_id=a["client_id"])
            return Reply(200, {"access_token": token, "token_type": "bearer", "expires_in": self.LONG_LIVED_SECONDS})
        if "grant_type" in a:
            return _error(400, "Unsupported grant_type.", code=100, type_="OAuthException")
        issued = self.codes.pop(a.get("code", ""), None)
        if issued is None:
            return _error(400, "This authorization code has been used.", code=100, subcode=36009,
                          type_="OAuthException")
        if issued[0] != a["client_id"] or issued[1] != a.get("redirect_uri"):
            return _error(400, "Error validating verification code. Please make sure your redirect_uri is identical "
                               "to the one you used in the OAuth dialog request", code=100, subcode=36008,
                          type_="OAuthException")
        token = self.issue_token(issued[2], app_id=a["client_id"], kind="short")
        return Reply(200, {"access_token": token, "token_type": "bearer", "expires_in": self.SHORT_LIVED_SECONDS})

    def me(self, req: Request) -> Reply:
        held, refusal = self._caller(req)
        if refusal:
            return refusal
        wanted = _fields(req)
        if held["kind"] == "page":
            page = self.pages[held["page_id"]]
            return Reply(200, {"id": page["id"], **({"name": page["name"]} if "name" in wanted else {})})
        user = self.users[held["user_id"]]
        out = {"id": user["id"]}
        if "name" in wanted:
            out["name"] = user["name"]
        if "permissions" in wanted:
            out["permissions"] = {"data": [{"permission": p, "status": "granted"} for p in sorted(user["granted"])]
                                  + [{"permission": p, "status": "declined"} for p in sorted(user["declined"])]}
        return Reply(200, out)

    def revoke(self, req: Request) -> Reply:
        who = req.match.group(1)
        token = _args(req).get("access_token", "")
        app_id = None
        if "|" in token:  # an app token: {app-id}|{app-secret}
            app_id, _, secret = token.partition("|")
            if self.apps.get(app_id, ("",))[0] != secret or not secret:
                return _invalid_token()
            if who == "me":
                return _error(400, "An active access token must be used to query information about the current "
                                   "user.", code=2500, type_="OAuthException")
            user_id = who
        else:
            held, refusal = self._caller(req)
            if refusal:
                return refusal
            if held["kind"] == "page" or who not in ("me", held["user_id"]):
                return _error(400, "(#200) Permissions error", code=200, type_="OAuthException")
            user_id, app_id = held["user_id"], held["app_id"]
        if user_id not in self.users:
            return _error(400, f"Unsupported delete request. Object with ID '{user_id}' does not exist.", code=100,
                          subcode=33)
        self.users[user_id]["granted"] = set()
        for held in self.tokens.values():
            if held["user_id"] == user_id and held["app_id"] == app_id:
                held["expired"] = "revoked"
        return Reply(200, {"success": True})

    # --- Pages ---------------------------------------------------------------------
    def accounts(self, req: Request) -> Reply:
        held, refusal = self._caller(req, kind="user", needs="pages_show_list")
        if refusal:
            return refusal
        user = self.users[held["user_id"]]
        wanted = _fields(req) or {"id", "name", "access_token", "category", "tasks"}
        size = min(int(req.arg("limit") or 25), self.max_page_size)
        start = int(base64.b64decode(req.arg("after")).decode()) + 1 if req.arg("after") else 0
        ids = user["pages"][start:start + size]
        data = []
        for page_id in ids:
            page = self.pages[page_id]
            item = {"id": page_id}
            if "name" in wanted:
                item["name"] = page["name"]
            if "tasks" in wanted:
                item["tasks"] = list(page["roles"][user["id"]])
            if "picture" in wanted and page["picture"]:
                item["picture"] = {"data": {"height": 50, "is_silhouette": False, "url": page["picture"],
                                            "width": 50}}
            if "access_token" in wanted:
                item["access_token"] = self.page_token(user["id"], page_id, held["app_id"])
            data.append(item)
        body = {"data": data}
        if ids:
            end = start + len(ids) - 1
            body["paging"] = {"cursors": {"before": _cursor(start), "after": _cursor(end)}}
            if end + 1 < len(user["pages"]):
                body["paging"]["next"] = (f"{self.url}/{VERSION}/me/accounts?limit={size}&after={_cursor(end)}"
                                          f"&access_token={_args(req)['access_token']}")
        return Reply(200, body)

    # --- uploads --------------------------------------------------------------------
    def start_upload(self, req: Request) -> Reply:
        held, refusal = self._caller(req, kind="user")
        if refusal:
            return refusal
        app_id = req.match.group(1)
        if held["app_id"] != app_id:
            return _error(400, "(#100) The upload session must belong to the app of the access token.", code=100)
        a = _args(req)
        if a.get("file_type") not in UPLOAD_TYPES:
            return _error(400, "(#100) Param file_type must be one of {application/pdf, image/jpeg, image/jpg, "
                               "image/png, video/mp4}", code=100)
        if not str(a.get("file_length", "")).isdigit() or int(a["file_length"]) <= 0:
            return _error(400, "(#100) Param file_length must be a positive integer", code=100)
        upload = Upload(id=base64.urlsafe_b64encode(f"1:attachment:{secrets.token_hex(8)}".encode()).decode(),
                        sig=secrets.token_urlsafe(12), app_id=app_id, user_id=held["user_id"],
                        length=int(a["file_length"]), file_type=a["file_type"])
        self.uploads[upload.id] = upload
        return Reply(200, {"id": f"upload:{upload.id}?sig={upload.sig}"})

    def transfer(self, req: Request) -> Reply:
        upload, refusal = self._upload_for(req)
        if refusal:
            return refusal
        self._upload_posts += 1
        offset = req.headers.get("file_offset", "")
        if not offset.isdigit() or int(offset) != upload.received:
            return _error(400, f"(#100) file_offset {offset or 'missing'} does not match the {upload.received} bytes "
                               "received", code=100)
        if upload.received + len(req.body) > upload.length:
            return _error(400, "(#100) More bytes than file_length", code=100)
        kept = req.body[:self.break_upload_posts.get(self._upload_posts, len(req.body))]
        upload.received += len(kept)
        upload.sha256.update(kept)
        if self.keep_upload_bytes:
            upload.data += kept
        else:
            req.body = b""  # nor in the request log: large files stay out of memory
        if self._upload_posts in self.lose_upload_answers or len(kept) < len(req.body):
            return _error(503, "Service temporarily unavailable", code=2, transient=True)
        if upload.received < upload.length:
            return Reply(200, {"id": f"upload:{upload.id}?sig={upload.sig}", "file_offset": upload.received})
        upload.handle = "2:" + base64.b64encode(secrets.token_bytes(24)).decode()
        return Reply(200, {"h": upload.handle})

    def upload_status(self, req: Request) -> Reply:
        upload, refusal = self._upload_for(req)
        if refusal:
            return refusal
        return Reply(200, {"id": f"upload:{upload.id}?sig={upload.sig}", "file_offset": upload.received})

    def _upload_for(self, req: Request) -> tuple[Upload | None, Reply | None]:
        header = req.headers.get("authorization", "")
        if not header.startswith("OAuth "):
            return None, _error(400, "An access token is required to request this resource.", code=104,
                                type_="OAuthException")
        held = self.tokens.get(header[len("OAuth "):])
        if held is None:
            return None, _invalid_token()
        if held["expired"]:
            return None, _expired_token()
        upload = self.uploads.get(req.match.group(1))
        if upload is None or req.arg("sig") != upload.sig or held["user_id"] != upload.user_id:
            return None, _error(400, "(#100) Invalid upload session", code=100)
        return upload, None

    # --- publishing ---------------------------------------------------------------------
    def create_post(self, req: Request) -> Reply:
        page_id, refusal = self._page_caller(req, needs="pages_manage_posts")
        if refusal:
            return refusal
        a = _args(req)
        attached = []
        for key in sorted((k for k in a if k.startswith("attached_media[")), key=lambda k: int(k[15:-1])):
            try:
                fbid = json.loads(a[key])["media_fbid"]
            except (ValueError, KeyError, TypeError):
                return _error(400, f"(#100) param {key} must be a JSON object with media_fbid", code=100)
            photo = self.photos.get(str(fbid))
            if photo is None or photo["page_id"] != page_id or photo["published"] or photo["post_id"]:
                return _error(400, f"(#100) media_fbid {fbid} is not an unpublished photo of this Page", code=100)
            attached.append(str(fbid))
        if not a.get("message") and not a.get("link") and not attached:
            return _error(400, "(#100) The post is empty. Please enter a message to share.", code=100)
        post_id = self._new_post(page_id, {"message": a.get("message"), "link": a.get("link"), "photos": attached})
        for fbid in attached:
            self.photos[fbid]["post_id"] = post_id
        return Reply(200, {"id": post_id})

    def create_photo(self, req: Request) -> Reply:
        page_id, refusal = self._page_caller(req, needs="pages_manage_posts")
        if refusal:
            return refusal
        a, files = _args(req), _files(req)
        if not a.get("url") and "source" not in files:
            return _error(400, "(#324) Requires upload file", code=324)
        source = files.get("source")
        if source is not None and len(source[1]) >= 4 * 1024 * 1024:
            return _error(400, "Your photos couldn't be uploaded. Photos should be less than 4 MB and saved as JPG, "
                               "PNG, GIF, TIFF, HEIF or WebP files.", code=100)
        photo_id = str(next(self._ids))
        published = a.get("published", "true") != "false"
        self.photos[photo_id] = {"id": photo_id, "page_id": page_id, "url": a.get("url"),
                                 "bytes": source[1] if source else None, "filename": source[0] if source else None,
                                 "content_type": source[2] if source else None, "caption": a.get("caption"),
                                 "alt_text_custom": a.get("alt_text_custom"), "published": published, "post_id": None}
        if not published:
            return Reply(200, {"id": photo_id})
        post_id = self._new_post(page_id, {"message": a.get("caption"), "photos": [photo_id]})
        self.photos[photo_id]["post_id"] = post_id
        return Reply(200, {"id": photo_id, "post_id": post_id})

    def create_video(self, req: Request) -> Reply:
        page_id, refusal = self._page_caller(req, needs="pages_manage_posts")
        if refusal:
            return refusal
        a = _args(req)
        handle, file_url = a.get("fbuploader_video_file_chunk"), a.get("file_url")
        upload = None
        if handle:
            upload = next((u for u in self.uploads.values() if u.handle == handle), None)
            held = self.tokens[a["access_token"]]
            if upload is None or upload.app_id != held["app_id"] or upload.received != upload.length:
                return _error(400, "(#100) Invalid file handle", code=100)
        elif not file_url:
            return _error(400, "(#100) A video file is required: fbuploader_video_file_chunk or file_url", code=100)
        video_id = str(next(self._ids))
        self.videos[video_id] = {"id": video_id, "page_id": page_id, "description": a.get("description"),
                                 "title": a.get("title"), "source": "upload" if upload else "file_url",
                                 "upload": upload.id if upload else None, "file_url": file_url, "reactions": 0,
                                 "comments": [], "views": 0}
        return Reply(200, {"id": video_id})

    def create_comment(self, req: Request) -> Reply:
        page_id, refusal = self._page_caller(req, needs="pages_manage_engagement", object_id=req.match.group(1))
        if refusal:
            return refusal
        target = self.posts.get(req.match.group(1)) or self.videos.get(req.match.group(1))
        message = _args(req).get("message")
        if not message:
            return _error(400, "(#100) Missing message or attachment", code=100)
        comment_id = f"{req.match.group(1).split('_')[-1]}_{next(self._ids)}"
        target["comments"].append({"id": comment_id, "message": message, "from": page_id})
        return Reply(200, {"id": comment_id})

    # --- reads ----------------------------------------------------------------------
    def read_object(self, req: Request) -> Reply:
        object_id = req.match.group(1)
        wanted = _fields(req) or {"id"}
        if object_id in self.pages:
            page_id, refusal = self._page_caller(req, needs="pages_read_engagement", object_id=object_id)
            if refusal:
                return refusal
            page = self.pages[object_id]
            allowed = {"id", "name", "username", "picture", "followers_count", "fan_count", "link"}
            if not wanted <= allowed:
                return _unknown_field(wanted - allowed, "Page")
            out = {"id": object_id}
            for name in wanted - {"id", "picture", "link"}:
                if page.get(name) is not None:
                    out[name] = page[name]
            if "picture" in wanted and page["picture"]:
                out["picture"] = {"data": {"height": 50, "is_silhouette": False, "url": page["picture"], "width": 50}}
            if "link" in wanted:
                out["link"] = f"https://www.facebook.com/{page['username'] or object_id}"
            return Reply(200, out)
        page_id, refusal = self._page_caller(req, needs="pages_read_engagement", object_id=object_id)
        if refusal:
            return refusal
        if object_id in self.videos:
            video = self.videos[object_id]
            allowed = {"id", "description", "title", "permalink_url", "reactions", "comments"}
            if not wanted <= allowed:
                return _unknown_field(wanted - allowed, "Video")
            page = self.pages[video["page_id"]]
            out = {"id": object_id,
                   "permalink_url": f"/{page['username'] or page['id']}/videos/{object_id}/",
                   "description": video["description"], "title": video["title"]}
            out = {k: v for k, v in out.items() if k in wanted or k == "id"}
            return Reply(200, out | _engagement(video, wanted))
        post = self.posts[object_id]
        allowed = {"id", "message", "created_time", "permalink_url", "reactions", "comments", "shares"}
        if not wanted <= allowed:
            return _unknown_field(wanted - allowed, "Post")
        out = {"id": object_id}
        if "message" in wanted and post["message"]:
            out["message"] = post["message"]
        if "permalink_url" in wanted:
            out["permalink_url"] = f"https://www.facebook.com/{object_id.replace('_', '/posts/')}"
        if "shares" in wanted and post["shares"]:
            out["shares"] = {"count": post["shares"]}
        return Reply(200, out | _engagement(post, wanted))

    def post_insights(self, req: Request) -> Reply:
        page_id, refusal = self._page_caller(req, needs="read_insights", object_id=req.match.group(1))
        if refusal:
            return refusal
        post = self.posts[req.match.group(1)]
        metrics = [m for m in (req.arg("metric") or "").split(",") if m]
        if not metrics:
            return _error(400, "(#100) No metric was specified to be fetched.", code=3001, subcode=1504028)
        bad = [m for m in metrics if m not in POST_METRICS]
        if bad:
            return _error(400, f"(#100) The value must be a valid insights metric: {bad[0]}", code=100)
        if (self.pages[page_id]["fan_count"] or 0) < 100:
            return Reply(200, {"data": []})  # Meta keeps insights only for Pages with 100 or more likes
        data = [{"name": m, "period": "lifetime", "values": [{"value": post["insights"].get(m, 0)}],
                 "title": m, "description": f"Lifetime {m}", "id": f"{post['id']}/insights/{m}/lifetime"}
                for m in metrics]
        return Reply(200, {"data": data})

    def video_insights(self, req: Request) -> Reply:
        page_id, refusal = self._page_caller(req, needs="read_insights", object_id=req.match.group(1))
        if refusal:
            return refusal
        video = self.videos[req.match.group(1)]
        metrics = [m for m in (req.arg("metric") or "").split(",") if m]
        bad = [m for m in metrics if m not in VIDEO_METRICS]
        if not metrics or bad:
            return _error(400, "(#100) The value must be a valid insights metric", code=100)
        data = [{"name": m, "period": "lifetime", "values": [{"value": video["views"]}], "title": m,
                 "id": f"{video['id']}/video_insights/{m}/lifetime"} for m in metrics]
        return Reply(200, {"data": data})

    def delete_object(self, req: Request) -> Reply:
        page_id, refusal = self._page_caller(req, needs="pages_manage_posts", object_id=req.match.group(1))
        if refusal:
            return refusal
        self.posts.pop(req.match.group(1), None)
        self.videos.pop(req.match.group(1), None)
        return Reply(200, {"success": True})

    # --- internals ----------------------------------------------------------------------
    def _caller(self, req: Request, *, kind: str | None = None, needs: str | None = None):
        token = _args(req).get("access_token")
        if not token:
            return None, _error(400, "An access token is required to request this resource.", code=104,
                                type_="OAuthException")
        held = self.tokens.get(token)
        if held is None:
            return None, _invalid_token()
        if held["expired"] == "revoked":
            return None, _error(400, "Error validating access token: The user has not authorized application.",
                                code=190, subcode=458, type_="OAuthException")
        if held["expired"]:
            return None, _expired_token()
        if kind == "user" and held["kind"] == "page":
            return None, _error(400, "(#100) This endpoint requires a user access token", code=100)
        if needs and needs not in self.users[held["user_id"]]["granted"]:
            return None, _error(403, f"(#200) Requires {needs} permission to manage the object", code=200,
                                type_="OAuthException")
        return held, None

    def _page_caller(self, req: Request, *, needs: str, object_id: str | None = None):
        """The Page a Page token speaks for, if it may act on this Page or object."""
        held, refusal = self._caller(req, needs=needs)
        if refusal:
            return None, refusal
        target = object_id if object_id is not None else req.match.group(1)
        owner = self._owner(target)
        if owner is None:
            return None, _error(400, f"Unsupported request. Object with ID '{target}' does not exist, cannot be "
                                     "loaded due to missing permissions, or does not support this operation.",
                                code=100, subcode=33)
        if held["kind"] != "page" or held["page_id"] != owner:
            return None, _error(403, "(#200) The user hasn't authorized the application to perform this action",
                                code=200, type_="OAuthException")
        if held["user_id"] not in self.pages[owner]["roles"]:
            return None, _error(400, "Error validating access token: The session is invalid because the user is no "
                                     "longer a Page admin.", code=190, subcode=492, type_="OAuthException")
        return owner, None

    def _owner(self, object_id: str) -> str | None:
        if object_id in self.pages:
            return object_id
        if object_id in self.posts:
            return self.posts[object_id]["page_id"]
        if object_id in self.videos:
            return self.videos[object_id]["page_id"]
        return None

    def _new_post(self, page_id: str, fields: dict) -> str:
        post_id = f"{page_id}_{next(self._ids)}"
        self.posts[post_id] = {"id": post_id, "page_id": page_id, "message": fields.get("message"),
                               "link": fields.get("link"), "photos": list(fields.get("photos") or []),
                               "reactions": 0, "comments": [], "shares": None, "insights": {}}
        return post_id


def _args(req: Request) -> dict[str, str]:
    """Graph parameters: the query string, overridden by a form or multipart body."""
    out = {k: v[0] for k, v in req.query.items()}
    ctype = req.headers.get("content-type", "")
    if req.method == "POST" and req.body:
        if ctype.startswith("application/x-www-form-urlencoded"):
            out.update(req.form)
        elif ctype.startswith("multipart/form-data"):
            out.update(_multipart(req)[0])
    return out


def _files(req: Request) -> dict[str, tuple[str, bytes, str]]:
    if req.headers.get("content-type", "").startswith("multipart/form-data"):
        return _multipart(req)[1]
    return {}


def _multipart(req: Request) -> tuple[dict[str, str], dict[str, tuple[str, bytes, str]]]:
    from werkzeug.formparser import parse_form_data

    environ = {"REQUEST_METHOD": "POST", "CONTENT_TYPE": req.headers["content-type"],
               "CONTENT_LENGTH": str(len(req.body)), "wsgi.input": io.BytesIO(req.body)}
    _, form, files = parse_form_data(environ)
    return ({k: form[k] for k in form},
            {k: (f.filename, f.read(), f.mimetype) for k, f in files.items()})


def _fields(req: Request) -> set[str]:
    """Top-level field names of `fields=` (field expansion like
    `reactions.summary(total_count).limit(0)` or `picture{url}` counts as its name)."""
    raw, names, depth, current = req.arg("fields") or "", set(), 0, ""
    for ch in raw + ",":
        if ch in "({":
            depth += 1
        elif ch in ")}":
            depth -= 1
        if ch == "," and depth == 0:
            name = current.strip().split(".")[0].split("{")[0]
            if name:
                names.add(name)
            current = ""
        else:
            current += ch
    return names


def _engagement(node: dict, wanted: set[str]) -> dict:
    out = {}
    if "reactions" in wanted:
        out["reactions"] = {"data": [], "summary": {"total_count": node["reactions"], "viewer_reaction": "NONE"}}
    if "comments" in wanted:
        out["comments"] = {"data": [], "summary": {"order": "ranked", "total_count": len(node["comments"]),
                                                   "can_comment": True}}
    return out


def _cursor(index: int) -> str:
    return base64.b64encode(str(index).encode()).decode()


def _unknown_field(names: set[str], node: str) -> Reply:
    return _error(400, f"(#100) Tried accessing nonexisting field ({sorted(names)[0]}) on node type ({node})",
                  code=100)


# The fake's own refusals (a node or field it does not have) are GraphMethodException.
_error = functools.partial(graph_error, type_="GraphMethodException")


def _expired_token() -> Reply:
    return meta_graph.expired_token("Error validating access token: Session has expired on Sunday, 01-Mar-26 "
                                    "04:00:00 PST.")
