"""A loopback stand-in for the Instagram API with Instagram Login, for contract tests.

It serves both hosts the module talks to (point INSTAGRAM_OAUTH_URL and
INSTAGRAM_API_URL at it) and imitates what Meta documents:
- api.instagram.com: `POST /oauth/access_token` (form: client_id,
  client_secret, grant_type=authorization_code, redirect_uri, code) answering
  `{"data": [{"access_token", "user_id", "permissions"}]}` as Business Login's
  page shows it (`code_answer="flat"`: the flat object also seen in practice);
  its errors are `{"error_type", "code", "error_message"}`.
- graph.instagram.com: `GET /access_token?grant_type=ig_exchange_token`,
  `GET /refresh_access_token?grant_type=ig_refresh_token` (`{"access_token",
  "token_type", "expires_in"}`); `GET /v25.0/me?fields=...` (user_id,
  username, name, profile_picture_url, followers_count, id).
- Containers: `POST /v25.0/{ig-id}/media` (image_url [+ alt_text], REELS with
  video_url [+ share_to_feed], carousel children with is_carousel_item and
  VIDEO for videos, CAROUSEL with 2-10 children; no caption on children,
  reels not in carousels, bare VIDEO refused since November 2023);
  `GET /v25.0/{container-id}?fields=status_code,status` (IN_PROGRESS,
  FINISHED, ERROR with "Error: Media upload has failed with error code
  <subcode>", EXPIRED, PUBLISHED); `POST /v25.0/{ig-id}/media_publish` with
  creation_id (a container not FINISHED: code 9007 / subcode 2207027; once
  published it cannot be published again).
- `GET /v25.0/{media-id}?fields=permalink`, `POST /v25.0/{media-id}/comments`
  (message -> `{"id"}`), `GET /v25.0/{media-id}/insights?metric=...`
  (`values[0].value`, period lifetime; a removed metric such as impressions
  is a code 100 error; a metric without data is left out; too few viewers:
  (#10) Not enough viewers for the media to show insights). `DELETE` on a
  media is refused as Graph refuses an operation a node does not support.
- Graph error bodies `{"error": {"message", "type", "code", "error_subcode",
  "is_transient", "fbtrace_id"}}`. Like the Graph API it reads parameters
  from the query string, a form body or a JSON body, and the token from
  `access_token` or an `Authorization: Bearer` header.

Where it falls short: Meta does not document the error for a used or wrong
authorization code beyond the shape, so the message is the one seen in
practice; it checks structure (required fields, children, ownership,
permissions), not media bytes, caption length or rate limits (tests script
those answers with `fail_next`); videos follow a script the test sets
(`video_states`), images and carousels are ready at once; it downloads
nothing, does not enforce the 24-hour age a token needs before a refresh, and
accepts every listed insight metric for every kind of post (Meta's sets differ
between feed posts, reels and stories).
"""

import secrets

from fakes.base import Reply, Request
from fakes.meta_graph import (
    LONG_LIVED_SECONDS as LONG_LIVED_SECONDS,  # tests read it from here, as before
    ContainerHost,
    graph_args as _args,
    graph_error,
)

V = r"/v25\.0"
MEDIA_METRICS = ("views", "reach", "likes", "comments", "shares", "saved", "total_interactions",
                 "follows", "profile_visits", "profile_activity", "ig_reels_avg_watch_time",
                 "ig_reels_video_view_total_time")
REMOVED_METRICS = ("impressions", "plays", "video_views", "clips_replays_count",
                   "ig_reels_aggregated_all_plays_count")
ALL_SCOPES = ("instagram_business_basic", "instagram_business_content_publish",
              "instagram_business_manage_comments", "instagram_business_manage_insights")


class InstagramFake(ContainerHost):
    grant_prefix = "ig"
    token_prefix = "IGAA"
    all_scopes = ALL_SCOPES
    bearer = True
    unsupported_type = "GraphMethodException"

    def setup(self):
        super().setup()
        self.codes: dict[str, tuple[str, str, str, tuple[str, ...]]] = {}  # code -> (client, redirect, user, scopes)
        self.media: dict[str, dict] = {}
        self.comments: dict[str, dict] = {}
        self.code_answer = "data"  # or "flat"
        # An answer for the next media_publish given after the post went out (a
        # server that published, then failed to say so).
        self.error_after_publish: Reply | None = None

        self.route("POST", r"/oauth/access_token", self.exchange_code)
        self.route("GET", V + r"/me", self.me)
        self.route("POST", V + r"/(\w+)/media", self.create_container)
        self.route("POST", V + r"/(\w+)/media_publish", self.publish)
        self.route("POST", V + r"/(\d+)/comments", self.comment)
        self.route("GET", V + r"/(\d+)/insights", self.insights)
        self.route("GET", V + r"/(\d+)", self.read_object)
        self.route("DELETE", V + r"/(\d+)", self.delete)

    # --- what tests set up ---------------------------------------------------------
    def add_user(self, username: str = "postr.studio", name: str | None = "Postr Studio", followers: int | None = 1280,
                 picture: str | None = "https://scontent.cdninstagram.example/p.jpg") -> str:
        user_id = str(next(self._ids))
        self.users[user_id] = {"user_id": user_id, "id": str(next(self._ids)), "username": username, "name": name,
                               "profile_picture_url": picture, "followers_count": followers}
        return user_id

    def issue_code(self, client_id: str, redirect_uri: str, user_id: str,
                   scopes: tuple[str, ...] = ALL_SCOPES) -> str:
        code = "AQD" + secrets.token_urlsafe(12)
        self.codes[code] = (client_id, redirect_uri, user_id, scopes)
        return code

    def publish_media(self, user_id: str, media_type: str = "IMAGE", product: str = "FEED") -> str:
        """A post that already exists on Instagram (to read metrics of)."""
        return self._new_media(user_id, {"image_url": "https://example.com/a.jpg"}, media_type, product)

    # --- api.instagram.com -----------------------------------------------------------
    def exchange_code(self, req: Request) -> Reply:
        a = _args(req)
        app = self.apps.get(a.get("client_id", ""))
        if app is None:
            return _oauth_error("Invalid platform app")
        if a.get("client_secret") != app[0]:
            return _oauth_error("Error validating client secret.")
        if a.get("grant_type") != "authorization_code":
            return _oauth_error("Invalid grant_type")
        issued = self.codes.pop(a.get("code", ""), None)
        if issued is None or issued[0] != a["client_id"]:
            return _oauth_error("Matching code was not found or was already used")
        if issued[1] != a.get("redirect_uri"):
            return _oauth_error("Error validating verification code. Please make sure your redirect_uri is "
                                "identical to the one you used in the OAuth dialog request")
        user_id, scopes = issued[2], issued[3]
        token = self.issue_token(user_id, scopes, kind="short")
        short = {"access_token": token, "user_id": self.users[user_id]["id"], "permissions": ",".join(scopes)}
        return Reply(200, short if self.code_answer == "flat" else {"data": [short]})

    # --- profile ---------------------------------------------------------------------
    def me(self, req: Request) -> Reply:
        who, refusal = self._caller(req, needs="instagram_business_basic")
        if refusal:
            return refusal
        user = self.users[who]
        wanted = (req.arg("fields") or "id").split(",")
        unknown = set(wanted) - set(user)
        if unknown:
            return _error(400, f"Tried accessing nonexisting field ({unknown.pop()}) on node type (User)", code=100)
        return Reply(200, {k: user[k] for k in wanted if user.get(k) is not None} | {"id": user["id"]})

    # --- publishing ---------------------------------------------------------------------
    def create_container(self, req: Request) -> Reply:
        who, refusal = self._caller(req, needs="instagram_business_content_publish")
        if refusal:
            return refusal
        if req.match.group(1) not in (who, "me"):
            return self.unsupported("post", req.match.group(1))
        a = {k: v for k, v in _args(req).items() if k != "access_token"}
        kind = a.get("media_type")
        item = _true(a.get("is_carousel_item"))
        if item and "caption" in a:
            return _error(400, "The parameter caption is not supported on carousel items.", code=100)
        if kind == "CAROUSEL":
            children = [c for c in str(a.get("children", "")).split(",") if c]
            if not 2 <= len(children) <= 10:
                return _error(400, "Invalid parameter", code=100, subcode=2207028,
                              user_msg="Your post won't work as a carousel. Carousels need at least 2 photos/videos "
                                       "and no more than 10 photos/videos.")
            for child in children:
                held = self.containers.get(child)
                if held is None or held.owner != who or not _true(held.fields.get("is_carousel_item")):
                    return _error(400, f"Invalid carousel child {child}.", code=100)
        elif kind == "REELS":
            if item:
                return _error(400, "Reels cannot appear in carousels.", code=100)
            if not a.get("video_url"):
                return _error(400, "The parameter video_url is required.", code=100)
        elif kind == "VIDEO":
            if not item:
                return _error(400, "The VIDEO media type is no longer supported; use REELS.", code=100)
            if not a.get("video_url"):
                return _error(400, "The parameter video_url is required.", code=100)
        elif kind is None:
            if not a.get("image_url"):
                return _error(400, "The parameter image_url is required.", code=100)
        else:
            return _error(400, "Invalid parameter", code=100, subcode=2207023,
                          user_msg=f"The media type {kind} is unknown.")
        if "alt_text" in a and kind is not None:
            return _error(400, "The parameter alt_text is supported on images only.", code=100)
        return self.new_container(who, a, video=kind in ("REELS", "VIDEO"))

    def publish(self, req: Request) -> Reply:
        who, refusal = self._caller(req, needs="instagram_business_content_publish")
        if refusal:
            return refusal
        if req.match.group(1) not in (who, "me"):
            return self.unsupported("post", req.match.group(1))
        container = self.containers.get(str(_args(req).get("creation_id", "")))
        if container is None or container.owner != who:
            return _error(400, "The parameter creation_id is invalid.", code=100)
        if container.status == "EXPIRED":
            return _error(400, "Invalid parameter", code=24, subcode=2207008,
                          user_msg=f"The media builder with creation id = {container.id} does not exist or has "
                                   "been expired.")
        if container.status != "FINISHED":
            return _error(400, "Media ID is not available", code=9007, subcode=2207027,
                          user_msg="The media is not ready for publishing, please wait for a moment")
        container.status = "PUBLISHED"
        fields = container.fields
        if fields.get("media_type") == "CAROUSEL":
            media_type, product = "CAROUSEL_ALBUM", "FEED"
        elif fields.get("media_type") == "REELS":
            media_type, product = "VIDEO", "REELS"
        else:
            media_type, product = "IMAGE", "FEED"
        media_id = self._new_media(who, fields, media_type, product, container.id)
        if self.error_after_publish is not None:
            reply, self.error_after_publish = self.error_after_publish, None
            return reply
        return Reply(200, {"id": media_id})

    def comment(self, req: Request) -> Reply:
        who, refusal = self._caller(req, needs="instagram_business_manage_comments")
        if refusal:
            return refusal
        media = self.media.get(req.match.group(1))
        if media is None or media["owner"] != who:
            return self.unsupported("post", req.match.group(1))
        message = _args(req).get("message")
        if not message:
            return _error(400, "The parameter message is required.", code=100)
        comment_id = str(next(self._ids))
        self.comments[comment_id] = {"id": comment_id, "media_id": media["id"], "text": message, "owner": who}
        return Reply(200, {"id": comment_id})

    def insights(self, req: Request) -> Reply:
        who, refusal = self._caller(req, needs="instagram_business_manage_insights")
        if refusal:
            return refusal
        media = self.media.get(req.match.group(1))
        if media is None or media["owner"] != who:
            return self.unsupported("get", req.match.group(1))
        metrics = [m for m in (req.arg("metric") or "").split(",") if m]
        for metric in metrics:
            if metric in REMOVED_METRICS or metric not in MEDIA_METRICS:
                return _error(400, "(#100) metric[0] must be one of the following values: "
                                   + ", ".join(MEDIA_METRICS), code=100)
        if not metrics:
            return _error(400, "(#100) The parameter metric is required.", code=100)
        if media["too_few_viewers"]:
            return _error(400, "(#10) Not enough viewers for the media to show insights", code=10)
        data = [{"name": m, "period": "lifetime", "values": [{"value": media["insights"][m]}], "title": m.title(),
                 "description": f"The number of {m} of the media.", "id": f"{media['id']}/insights/{m}/lifetime"}
                for m in metrics if media["insights"].get(m) is not None]
        return Reply(200, {"data": data})

    def delete(self, req: Request) -> Reply:
        who, refusal = self._caller(req)
        if refusal:
            return refusal
        return self.unsupported("delete", req.match.group(1))

    # --- internals ----------------------------------------------------------------------
    def status_fields(self, status: str, said: object) -> dict:
        # An ERROR's `status` carries the publishing subcode in its words.
        words = f"Error: Media upload has failed with error code {said}" if status == "ERROR" else status
        return {"status_code": status, "status": words}

    def published(self, object_id: str) -> dict | None:
        return self.media.get(object_id)

    def denied(self) -> Reply:
        return _error(403, "(#10) Application does not have permission for this action", code=10)

    def _new_media(self, owner: str, fields: dict, media_type: str, product: str,
                   container_id: str | None = None) -> str:
        media_id = str(next(self._ids))
        shortcode = secrets.token_urlsafe(8)
        kind = "reel" if product == "REELS" else "p"
        self.media[media_id] = {
            "id": media_id, "owner": owner, "container": container_id, "media_type": media_type,
            "media_product_type": product, "caption": fields.get("caption"), "shortcode": shortcode,
            "permalink": f"https://www.instagram.com/{kind}/{shortcode}/",
            "insights": {m: 0 for m in MEDIA_METRICS}, "too_few_viewers": False,
        }
        return media_id


def _true(value) -> bool:
    return value is True or str(value).lower() == "true"


_error = graph_error


def _oauth_error(message: str) -> Reply:
    return Reply(400, {"error_type": "OAuthException", "code": 400, "error_message": message})
