"""A loopback LinkedIn for contract tests: OAuth token endpoint, OpenID userinfo,
the versioned REST Posts, Images, Videos, Comments and member post analytics
APIs, answering with the shapes LinkedIn documents.

What it imitates, and how far:
- `POST /oauth/v2/accessToken` (authorization_code, refresh_token) with
  `{"error", "error_description"}` failures; refresh tokens only when made with
  `partner=True` (LinkedIn gives them to approved partners only).
- Every `/rest/` call needs a known bearer token (else 401
  `INVALID_ACCESS_TOKEN`), `LinkedIn-Version: YYYYMM` and
  `X-Restli-Protocol-Version: 2.0.0` (else 400; LinkedIn's exact wording for a
  missing header is not documented, so the message here is ours), and the
  scope the endpoint documents (else 403 `ACCESS_DENIED`).
- Post commentary is read as little text: an unescaped reserved character
  other than a hashtag's `#` ends the text there, as LinkedIn silently does;
  `rendered` keeps what members would see.
- The same commentary posted twice by one author is a 422 DUPLICATE_POST.
- Commentary longer than 3,000 characters is a 422; counted on the visible
  text in UTF-16 units (an assumption: LinkedIn does not say how it counts).
- Uploads: images through one PUT; videos in byte ranges of `video_part_size`,
  each answered with an ETag, then finalizeUpload; a video reports PROCESSING
  `video_processing_checks` times before AVAILABLE.

Where it falls short: no image/video decoding (sizes and formats are not
checked here), no real rate limits (script them with `fail_next`), analytics
counts are whatever a test sets in `analytics`.
"""

import itertools
import re
import urllib.parse
from dataclasses import dataclass, field

from fakes import processing
from fakes.base import FakeServer, Reply, Request

_RESERVED = set("\\|{}@[]()<>#*_~")
_HASHTAG = re.compile(r"#[^\W\d_][^\W_]*")


def _err(status: int, message: str, code: str | None = None, service: int | None = None, **extra) -> Reply:
    body = {"status": status, "message": message}
    if code:
        body["code"] = code
    if service is not None:
        body["serviceErrorCode"] = service
    body.update(extra)
    return Reply(status, body)


def render_little(commentary: str) -> str:
    """The text a member would see: escapes resolved, cut at the first
    unescaped reserved character that does not open a hashtag."""
    out, i = [], 0
    while i < len(commentary):
        ch = commentary[i]
        if ch == "\\" and i + 1 < len(commentary) and commentary[i + 1] in _RESERVED:
            out.append(commentary[i + 1])
            i += 2
            continue
        if ch == "#":
            tag = _HASHTAG.match(commentary, i)
            if tag:
                out.append(tag.group())
                i = tag.end()
                continue
        if ch in _RESERVED:
            break
        out.append(ch)
        i += 1
    return "".join(out)


@dataclass
class Member:
    sub: str
    name: str
    given_name: str
    family_name: str
    picture: str | None = None
    email: str | None = None


@dataclass
class Grant:
    sub: str
    scopes: list[str]
    refresh_token: str | None = None


@dataclass
class Video:
    owner: str
    size: int
    parts: dict[str, tuple[int, int]] = field(default_factory=dict)
    received: dict[str, bytes] = field(default_factory=dict)
    finalized: bool = False
    checks: int = 0


class LinkedInFake(FakeServer):
    def __init__(self, client_id: str = "li-client", client_secret: str = "li-secret", *, partner: bool = False,
                 video_part_size: int = 4 * 1024 * 1024, video_processing_checks: int = 0):
        self.client_id, self.client_secret, self.partner = client_id, client_secret, partner
        self.video_part_size = video_part_size
        self.video_processing_checks = video_processing_checks
        self.members: dict[str, Member] = {}
        self.codes: dict[str, tuple[str, str, list[str]]] = {}  # code -> (sub, redirect_uri, scopes)
        self.grants: dict[str, Grant] = {}  # access token -> grant
        self.refresh_tokens: dict[str, Grant] = {}
        self.images: dict[str, dict] = {}
        self.videos: dict[str, Video] = {}
        self.posts: dict[str, dict] = {}
        self.comments: dict[str, dict] = {}
        self.analytics: dict[str, dict[str, int]] = {}  # post urn -> {"IMPRESSION": n, ...}
        self._ids = itertools.count(7_200_000_000_000_000_001)
        super().__init__()

    # --- test helpers -----------------------------------------------------------
    def add_member(self, sub: str = "782bbtaQ", name: str = "Ada Lovelace", picture: str | None = None) -> Member:
        given, _, family = name.partition(" ")
        member = Member(sub, name, given, family, picture or f"https://media.licdn.com/dms/image/{sub}/photo")
        self.members[sub] = member
        return member

    def consent(self, sub: str, redirect_uri: str, scopes: str = "openid profile w_member_social") -> str:
        """What LinkedIn does when the member approves: a one-time code."""
        code = f"code-{next(self._ids)}"
        self.codes[code] = (sub, redirect_uri, scopes.split())
        return code

    def token_for(self, sub: str, scopes: str = "openid profile w_member_social") -> str:
        token = f"AQV-{next(self._ids)}"
        self.grants[token] = Grant(sub, scopes.split())
        return token

    def revoke_token(self, token: str) -> None:
        """The member removes the app, or the token expires."""
        self.grants.pop(token, None)

    # --- routes -------------------------------------------------------------------
    def setup(self) -> None:
        self.route("POST", r"/oauth/v2/accessToken", self.access_token)
        self.route("GET", r"/v2/userinfo", self.userinfo)
        self.route("POST", r"/rest/images", self.images_action)
        self.route("PUT", r"/dms-uploads/image/(?P<id>[^/]+)", self.image_bytes)
        self.route("POST", r"/rest/videos", self.videos_action)
        self.route("PUT", r"/dms-uploads/video/(?P<id>[^/]+)/(?P<part>[^/]+)", self.video_bytes)
        self.route("GET", r"/rest/videos/(?P<urn>[^/]+)", self.get_video)
        self.route("POST", r"/rest/posts", self.create_post)
        self.route("DELETE", r"/rest/posts/(?P<urn>[^/]+)", self.delete_post)
        self.route("POST", r"/rest/socialActions/(?P<urn>[^/]+)/comments", self.create_comment)
        self.route("GET", r"/rest/memberCreatorPostAnalytics", self.post_analytics)

    def _new_id(self) -> str:
        return str(next(self._ids))

    # --- OAuth --------------------------------------------------------------------
    def access_token(self, req: Request) -> Reply:
        form = req.form
        if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
            return Reply(401, {"error": "invalid_client", "error_description": "Client authentication failed"})
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            found = self.codes.pop(form.get("code", ""), None)
            if not found or found[1] != form.get("redirect_uri"):
                return Reply(400, {"error": "invalid_request", "error_description":
                                   "Unable to retrieve access token: appid/redirect uri/code verifier does not match "
                                   "authorization code. Or authorization code expired."})
            sub, _, scopes = found
            return Reply(200, self._issue(Grant(sub, scopes)))
        if grant_type == "refresh_token":
            grant = self.refresh_tokens.get(form.get("refresh_token", ""))
            if grant is None:
                return Reply(400, {"error": "invalid_request",
                                   "error_description": "The provided authorization grant or refresh token is invalid, "
                                                        "expired or revoked."})
            return Reply(200, self._issue(grant, refreshing=True))
        return Reply(400, {"error": "unsupported_grant_type", "error_description": "Grant type not supported"})

    def _issue(self, grant: Grant, refreshing: bool = False) -> dict:
        token = f"AQV-{next(self._ids)}"
        self.grants[token] = grant
        body = {"access_token": token, "expires_in": 5_184_000, "scope": ",".join(grant.scopes), "token_type": "Bearer"}
        if "openid" in grant.scopes and not refreshing:
            body["id_token"] = "eyJ.fake.idtoken"
        if self.partner:
            if grant.refresh_token is None:
                grant.refresh_token = f"AQX-{next(self._ids)}"
                self.refresh_tokens[grant.refresh_token] = grant
            body["refresh_token"] = grant.refresh_token
            body["refresh_token_expires_in"] = 31_536_000
        return body

    def _grant(self, req: Request) -> Grant | None:
        auth = req.headers.get("authorization", "")
        return self.grants.get(auth[7:]) if auth.startswith("Bearer ") else None

    def userinfo(self, req: Request) -> Reply:
        grant = self._grant(req)
        if grant is None:
            return _err(401, "Invalid access token", "INVALID_ACCESS_TOKEN", 65600)
        if "openid" not in grant.scopes:
            return _err(403, "Not enough permissions to access: userinfo.GET.NO_VERSION", "ACCESS_DENIED", 100)
        m = self.members[grant.sub]
        info = {"sub": m.sub, "name": m.name, "given_name": m.given_name, "family_name": m.family_name,
                "picture": m.picture, "locale": {"country": "US", "language": "en"}}
        if "email" in grant.scopes and m.email:
            info.update(email=m.email, email_verified=True)
        return Reply(200, info)

    def _rest(self, req: Request, scope: str) -> tuple[Grant | None, Reply | None]:
        """The checks every versioned call goes through, in LinkedIn's order."""
        grant = self._grant(req)
        if grant is None:
            return None, _err(401, "Invalid access token", "INVALID_ACCESS_TOKEN", 65600)
        if not re.fullmatch(r"20\d{4}", req.headers.get("linkedin-version", "")):
            return None, _err(400, "A valid LinkedIn-Version header (YYYYMM) is required.", "VERSION_MISSING")
        if req.headers.get("x-restli-protocol-version") != "2.0.0":
            return None, _err(400, "X-Restli-Protocol-Version: 2.0.0 is required.")
        if scope not in grant.scopes:
            return None, _err(403, f"Not enough permissions to access: {req.path}", "ACCESS_DENIED", 100)
        return grant, None

    # --- images -------------------------------------------------------------------
    def images_action(self, req: Request) -> Reply:
        grant, refusal = self._rest(req, "w_member_social")
        if refusal:
            return refusal
        if req.arg("action") != "initializeUpload":
            return _err(400, "Unsupported action")
        owner = (req.json or {}).get("initializeUploadRequest", {}).get("owner")
        if owner != f"urn:li:person:{grant.sub}":
            return _err(403, "Caller is not the owner of the image", "ACCESS_DENIED", 100)
        key = self._new_id()
        urn = f"urn:li:image:D4E10AQ{key}"
        self.images[urn] = {"owner": owner, "status": "WAITING_UPLOAD", "bytes": b"", "key": key}
        return Reply(200, {"value": {"uploadUrlExpiresAt": 1_900_000_000_000,
                                     "uploadUrl": f"{self.url}/dms-uploads/image/{key}", "image": urn}})

    def image_bytes(self, req: Request) -> Reply:
        if self._grant(req) is None:
            return _err(401, "Invalid access token", "INVALID_ACCESS_TOKEN", 65600)
        for image in self.images.values():
            if image["key"] == req.match["id"]:
                image.update(bytes=req.body, status="AVAILABLE")
                return Reply(201, b"")
        return Reply(404, b"")

    # --- videos -------------------------------------------------------------------
    def videos_action(self, req: Request) -> Reply:
        grant, refusal = self._rest(req, "w_member_social")
        if refusal:
            return refusal
        action, body = req.arg("action"), req.json or {}
        if action == "initializeUpload":
            ask = body.get("initializeUploadRequest", {})
            if ask.get("owner") != f"urn:li:person:{grant.sub}":
                return _err(403, "Accessing this video resource is forbidden. Please check your permissions for this "
                                 "resource")
            size = int(ask.get("fileSizeBytes") or 0)
            key = self._new_id()
            urn = f"urn:li:video:C5F10AQ{key}"
            video = Video(ask["owner"], size)
            instructions = []
            for n, first in enumerate(range(0, size, self.video_part_size)):
                last = min(first + self.video_part_size, size) - 1
                video.parts[str(n)] = (first, last)
                instructions.append({"uploadUrl": f"{self.url}/dms-uploads/video/{key}/{n}",
                                     "firstByte": first, "lastByte": last})
            self.videos[urn] = video
            return Reply(200, {"value": {"uploadUrlsExpireAt": 1_900_000_000_000, "video": urn,
                                         "uploadInstructions": instructions, "uploadToken": ""}})
        if action == "finalizeUpload":
            ask = body.get("finalizeUploadRequest", {})
            video = self.videos.get(ask.get("video"))
            if video is None:
                return _err(404, "Video not found")
            expected = [f"/ambry-video/signedId/{ask['video']}/{n}" for n in video.parts]
            if ask.get("uploadedPartIds") != expected or len(video.received) != len(video.parts):
                return _err(400, "Uploaded part ids do not match the upload")
            video.finalized = True
            return Reply(200, {})
        return _err(400, "Unsupported action")

    def video_bytes(self, req: Request) -> Reply:
        for urn, video in self.videos.items():
            if urn.endswith(req.match["id"]) and req.match["part"] in video.parts:
                first, last = video.parts[req.match["part"]]
                if len(req.body) != last - first + 1:
                    return Reply(400, b"")
                video.received[req.match["part"]] = req.body
                return Reply(200, b"", headers={"ETag": f"/ambry-video/signedId/{urn}/{req.match['part']}"})
        return Reply(404, b"")

    def get_video(self, req: Request) -> Reply:
        _, refusal = self._rest(req, "w_member_social")
        if refusal:
            return refusal
        urn = urllib.parse.unquote(req.match["urn"])
        video = self.videos.get(urn)
        if video is None:
            return _err(404, "Video not found")
        status = processing.status(video, arrived=video.finalized, slow_checks=self.video_processing_checks,
                                   waiting="WAITING_UPLOAD", processing="PROCESSING", done="AVAILABLE")
        return Reply(200, {"id": urn, "owner": video.owner, "status": status})

    def video_data(self, urn: str) -> bytes:
        video = self.videos[urn]
        return b"".join(video.received[n] for n in video.parts)

    # --- posts --------------------------------------------------------------------
    def create_post(self, req: Request) -> Reply:
        grant, refusal = self._rest(req, "w_member_social")
        if refusal:
            return refusal
        body = req.json or {}
        missing = [f for f in ("author", "commentary", "visibility", "distribution", "lifecycleState") if f not in body]
        if missing:
            return Reply(422, {"message": "".join(f"ERROR :: /{f} :: field is required but not found and has no "
                                                  f"default value\n" for f in missing), "status": 422})
        if body["author"] != f"urn:li:person:{grant.sub}":
            return _err(403, "Not enough permissions to post as this author", "ACCESS_DENIED", 100)
        if len(render_little(body["commentary"]).encode("utf-16-le")) // 2 > 3000:
            return Reply(422, {"message": "ERROR :: /commentary :: length exceeds the maximum of 3000", "status": 422})
        content = body.get("content") or {}
        problem = self._check_content(body["author"], content)
        if problem:
            return Reply(422, {"message": problem, "status": 422})
        for urn, post in self.posts.items():
            if post["author"] == body["author"] and post["commentary"] == body["commentary"] and not post["deleted"]:
                return Reply(422, {"errorDetailType": "com.linkedin.common.error.BadRequest",
                                   "message": "com.linkedin.content.common.exception.BadRequestResponseException: "
                                              f"Content is a duplicate of {urn}",
                                   "errorDetails": {"inputErrors": [{"description": "Duplicate post is detected",
                                                                     "input": {}, "code": "DUPLICATE_POST"}]},
                                   "status": 422})
        kind = "ugcPost" if "media" in content and content["media"]["id"].startswith("urn:li:video:") else "share"
        urn = f"urn:li:{kind}:{self._new_id()}"
        self.posts[urn] = {**body, "rendered": render_little(body["commentary"]), "deleted": False}
        return Reply(201, b"", headers={"x-restli-id": urn})

    def _check_content(self, author: str, content: dict) -> str | None:
        refs = []
        if "media" in content:
            refs = [content["media"]]
        elif "multiImage" in content:
            refs = content["multiImage"].get("images") or []
            if not 2 <= len(refs) <= 20:
                return "ERROR :: /content/multiImage/images :: a MultiImage post has 2 to 20 images"
        for ref in refs:
            media_id = ref.get("id", "")
            if len(ref.get("altText") or "") > 4086:
                return "ERROR :: /content/media/altText :: length exceeds 4086"
            asset = self.images.get(media_id) if media_id.startswith("urn:li:image:") else None
            video = self.videos.get(media_id) if media_id.startswith("urn:li:video:") else None
            if asset is not None and (asset["owner"] != author or asset["status"] != "AVAILABLE"):
                return f"ERROR :: /content :: image {media_id} is not available to this author"
            if video is not None and (video.owner != author or not video.finalized):
                return f"ERROR :: /content :: video {media_id} is not available to this author"
            if asset is None and video is None:
                return f"ERROR :: /content :: unknown media {media_id}"
        return None

    def delete_post(self, req: Request) -> Reply:
        grant, refusal = self._rest(req, "w_member_social")
        if refusal:
            return refusal
        if req.headers.get("x-restli-method", "").upper() != "DELETE":
            return _err(400, "X-RestLi-Method: DELETE is required")
        post = self.posts.get(urllib.parse.unquote(req.match["urn"]))
        if post is None:
            return _err(404, "Post not found")
        if post["author"] != f"urn:li:person:{grant.sub}":
            return _err(403, "Not enough permissions to delete this post", "ACCESS_DENIED", 100)
        post["deleted"] = True  # idempotent: a second delete is a 204 too
        return Reply(204, b"")

    # --- comments -----------------------------------------------------------------
    def create_comment(self, req: Request) -> Reply:
        grant, refusal = self._rest(req, "w_member_social")
        if refusal:
            return refusal
        target = urllib.parse.unquote(req.match["urn"])
        post = self.posts.get(target)
        if post is None or post["deleted"]:
            return _err(404, "Post not found")
        body = req.json or {}
        if body.get("actor") != f"urn:li:person:{grant.sub}" or not (body.get("message") or {}).get("text"):
            return Reply(422, {"message": "ERROR :: /actor or /message :: invalid", "status": 422})
        comment_id = self._new_id()
        urn = f"urn:li:comment:({target},{comment_id})"
        comment = {"actor": body["actor"], "object": body.get("object", target), "message": body["message"],
                   "id": comment_id, "$URN": urn, "created": {"actor": body["actor"], "time": 1_760_000_000_000}}
        self.comments[urn] = comment
        return Reply(201, comment)

    # --- analytics ----------------------------------------------------------------
    def post_analytics(self, req: Request) -> Reply:
        _, refusal = self._rest(req, "r_member_postAnalytics")
        if refusal:
            return refusal
        entity = re.fullmatch(r"\((share|ugc):(urn:li:(?:share|ugcPost):\d+)\)", req.arg("entity") or "")
        if req.arg("q") != "entity" or not entity or req.arg("aggregation") not in ("TOTAL", "DAILY"):
            return _err(400, "Invalid query parameters")
        counts = self.analytics.get(entity.group(2), {})
        metric = req.arg("queryType")
        elements = []
        if metric in counts:
            elements.append({"count": counts[metric], "metricType": metric,
                             "targetEntity": {entity.group(1): entity.group(2)}})
        return Reply(200, {"paging": {"start": 0, "count": 10, "links": []}, "elements": elements})
