"""A loopback stand-in for Meta's Threads API (graph.threads.net), for contract tests.

It imitates what Meta documents:
- OAuth: `POST /oauth/access_token` (code -> one-hour token + user_id),
  `GET /access_token?grant_type=th_exchange_token` (-> 60-day token with
  expires_in), `GET /refresh_access_token?grant_type=th_refresh_token`.
- `GET /v1.0/me?fields=...`, `GET /v1.0/{user-id}/threads_insights?metric=followers_count`
  (`total_value.value`).
- Containers: `POST /v1.0/{user-id}/threads` (TEXT, IMAGE, VIDEO, CAROUSEL;
  `is_carousel_item`, `children`, `reply_to_id`, `alt_text`, `link_attachment`),
  their status at `GET /v1.0/{container-id}?fields=status,error_message`
  (IN_PROGRESS, FINISHED, ERROR, EXPIRED, PUBLISHED), then
  `POST /v1.0/{user-id}/threads_publish` with `creation_id`.
- `GET /v1.0/{media-id}?fields=permalink`, `DELETE /v1.0/{media-id}`
  (`{"success": true, "deleted_id": ...}`), `GET /v1.0/{media-id}/insights?metric=...`
  (`values[0].value` per metric; an empty list for a REPOST_FACADE).
- Graph error bodies `{"error": {"message", "type", "code", "error_subcode",
  "is_transient", "fbtrace_id"}}`; like the Graph API it reads parameters from
  the query string or a form body alike.

Where it falls short: Meta does not document the exact error codes for a bad
authorization code, publishing an unfinished container or a reply to a missing
post; the fake answers those with Graph's generic code 100 (invalid parameter).
It checks structure (required fields, carousel size, ownership, permissions),
not media bytes, text length or rate limits; videos follow a script the test
sets (`video_states`), images and text are ready at once. It downloads nothing
from image/video URLs.
"""

import functools
import secrets

from fakes import meta_graph
from fakes.base import Reply, Request
from fakes.meta_graph import ContainerHost, graph_args as _args

METRICS = ("views", "likes", "replies", "reposts", "quotes", "shares")
ALL_SCOPES = ("threads_basic", "threads_content_publish", "threads_manage_replies", "threads_manage_insights",
              "threads_delete")


class ThreadsFake(ContainerHost):
    grant_prefix = "th"
    token_prefix = "THAA"
    all_scopes = ALL_SCOPES
    unsupported_type = "THApiException"

    def setup(self):
        super().setup()
        self.codes: dict[str, tuple[str, str, str]] = {}  # code -> (client_id, redirect_uri, user_id)
        self.posts: dict[str, dict] = {}
        # Answers for the n-th threads_publish call (1-based), for failures midway through a thread.
        self.publish_answers: dict[int, Reply] = {}
        self._publish_calls = 0

        self.route("POST", r"/oauth/access_token", self.exchange_code)
        self.route("GET", r"/v1\.0/me", self.me)
        self.route("GET", r"/v1\.0/(\w+)/threads_insights", self.user_insights)
        self.route("POST", r"/v1\.0/(\w+)/threads", self.create_container)
        self.route("POST", r"/v1\.0/(\w+)/threads_publish", self.publish)
        self.route("GET", r"/v1\.0/(\d+)/insights", self.media_insights)
        self.route("GET", r"/v1\.0/(\d+)", self.read_object)
        self.route("DELETE", r"/v1\.0/(\d+)", self.delete)

    # --- what tests set up ---------------------------------------------------------
    def add_user(self, username: str = "postr.tester", name: str = "Postr Tester", followers: int | None = 42,
                 picture: str | None = "https://scontent.example/p.jpg") -> str:
        user_id = str(next(self._ids))
        self.users[user_id] = {"id": user_id, "username": username, "name": name,
                               "threads_profile_picture_url": picture, "followers_count": followers}
        return user_id

    def issue_code(self, client_id: str, redirect_uri: str, user_id: str) -> str:
        code = "AQB" + secrets.token_urlsafe(12)
        self.codes[code] = (client_id, redirect_uri, user_id)
        return code

    def publish_post(self, user_id: str, text: str = "") -> str:
        """A post that already exists on Threads (to delete or read metrics of)."""
        return self._new_post(user_id, {"media_type": "TEXT", "text": text})

    # --- OAuth ---------------------------------------------------------------------
    def exchange_code(self, req: Request) -> Reply:
        a = _args(req)
        app = self.apps.get(a.get("client_id", ""))
        if app is None or a.get("client_secret") != app[0]:
            return _error(400, "Error validating client secret.", code=1, type_="OAuthException")
        if a.get("grant_type") != "authorization_code":
            return _error(400, "Unsupported grant_type.", code=100)
        issued = self.codes.pop(a.get("code", ""), None)
        if issued is None or issued[0] != a["client_id"] or issued[1] != a.get("redirect_uri"):
            return _error(400, "Error validating verification code. Please make sure your redirect_uri is "
                               "identical to the one you used in the OAuth dialog request", code=100,
                          type_="OAuthException")
        user_id = issued[2]
        token = self.issue_token(user_id, kind="short")
        return Reply(200, {"access_token": token, "user_id": int(user_id)})

    # --- profile ---------------------------------------------------------------------
    def me(self, req: Request) -> Reply:
        who, refusal = self._caller(req)
        if refusal:
            return refusal
        user = self.users[who]
        wanted = (req.arg("fields") or "id").split(",")
        allowed = {"id", "username", "name", "threads_profile_picture_url", "threads_biography", "is_verified"}
        if not set(wanted) <= allowed:
            return _error(400, f"Tried accessing nonexisting field ({(set(wanted) - allowed).pop()})", code=100)
        return Reply(200, {k: user[k] for k in wanted if user.get(k) is not None} | {"id": who})

    def user_insights(self, req: Request) -> Reply:
        who, refusal = self._caller(req, needs="threads_manage_insights")
        if refusal:
            return refusal
        if req.match.group(1) not in (who, "me"):
            return _error(400, "Unsupported get request.", code=100, subcode=33)
        data = []
        for metric in (req.arg("metric") or "").split(","):
            if metric != "followers_count":
                return _error(400, "metric[0] must be one of the following values: followers_count, ...", code=100)
            followers = self.users[who]["followers_count"]
            if followers is not None:
                data.append({"name": "followers_count", "period": "day", "title": "followers_count",
                             "description": "This is the number of followers.",
                             "total_value": {"value": followers}, "id": f"{who}/insights/followers_count/day"})
        return Reply(200, {"data": data})

    # --- publishing ---------------------------------------------------------------------
    def create_container(self, req: Request) -> Reply:
        who, refusal = self._caller(req, needs="threads_content_publish")
        if refusal:
            return refusal
        if req.match.group(1) not in (who, "me"):
            return _error(400, "Unsupported post request.", code=100, subcode=33)
        a = {k: v for k, v in _args(req).items() if k != "access_token"}
        kind = a.get("media_type")
        if kind == "TEXT" and not a.get("text"):
            return _error(400, "The parameter text is required for TEXT posts.", code=100)
        if kind == "IMAGE" and not a.get("image_url"):
            return _error(400, "The parameter image_url is required.", code=100)
        if kind == "VIDEO" and not a.get("video_url"):
            return _error(400, "The parameter video_url is required.", code=100)
        if kind == "CAROUSEL":
            children = [c for c in a.get("children", "").split(",") if c]
            if not 2 <= len(children) <= 20:
                return _error(400, "A carousel needs 2 to 20 children.", code=100)
            for child in children:
                item = self.containers.get(child)
                if item is None or item.owner != who or item.fields.get("is_carousel_item") != "true":
                    return _error(400, f"Invalid carousel child {child}.", code=100)
        elif kind not in ("TEXT", "IMAGE", "VIDEO"):
            return _error(400, "The parameter media_type must be one of TEXT, IMAGE, VIDEO, CAROUSEL.", code=100)
        if "reply_to_id" in a and a["reply_to_id"] not in self.posts:
            return _error(400, "The reply_to_id does not refer to a post.", code=100)
        return self.new_container(who, a, video=kind == "VIDEO")

    def publish(self, req: Request) -> Reply:
        self._publish_calls += 1
        if self._publish_calls in self.publish_answers:
            return self.publish_answers[self._publish_calls]
        who, refusal = self._caller(req, needs="threads_content_publish")
        if refusal:
            return refusal
        container = self.containers.get(_args(req).get("creation_id", ""))
        if container is None or container.owner != who:
            return _error(400, "The parameter creation_id is invalid.", code=100)
        if container.status != "FINISHED":
            return _error(400, f"The media is not ready to be published (status {container.status}).", code=100)
        container.status = "PUBLISHED"
        return Reply(200, {"id": self._new_post(who, container.fields, container.id)})

    def delete(self, req: Request) -> Reply:
        who, refusal = self._caller(req, needs="threads_delete")
        if refusal:
            return refusal
        post_id = req.match.group(1)
        post = self.posts.get(post_id)
        if post is None or post["owner"] != who:
            return self.unsupported("delete", post_id)
        del self.posts[post_id]
        return Reply(200, {"success": True, "deleted_id": post_id})

    def media_insights(self, req: Request) -> Reply:
        who, refusal = self._caller(req, needs="threads_manage_insights")
        if refusal:
            return refusal
        post = self.posts.get(req.match.group(1))
        if post is None or post["owner"] != who:
            return _error(400, "Unsupported get request.", code=100, subcode=33)
        metrics = (req.arg("metric") or "").split(",")
        if not metrics or not set(metrics) <= set(METRICS):
            return _error(400, "metric must be one of the following values: " + ", ".join(METRICS), code=100)
        if post["insights"] is None:  # a REPOST_FACADE: someone else's post
            return Reply(200, {"data": []})
        data = [{"name": m, "period": "lifetime", "values": [{"value": post["insights"][m]}], "title": m.title(),
                 "description": f"The number of {m} of your post.", "id": f"{post['id']}/insights/{m}/lifetime"}
                for m in metrics if post["insights"].get(m) is not None]
        return Reply(200, {"data": data})

    # --- internals ----------------------------------------------------------------------
    def status_fields(self, status: str, said: object) -> dict:
        return {"status": status, "error_message": said}

    def published(self, object_id: str) -> dict | None:
        return self.posts.get(object_id)

    def denied(self) -> Reply:
        return _error(400, "Application does not have permission for this action", code=10, type_="OAuthException")

    def _new_post(self, user_id: str, fields: dict[str, str], container_id: str | None = None) -> str:
        post_id = str(next(self._ids))
        shortcode = secrets.token_urlsafe(8)
        self.posts[post_id] = {
            "id": post_id, "owner": user_id, "container": container_id, "media_type": fields.get("media_type"),
            "text": fields.get("text"), "reply_to_id": fields.get("reply_to_id"), "shortcode": shortcode,
            "permalink": f"https://www.threads.com/@{self.users[user_id]['username']}/post/{shortcode}",
            "insights": {m: 0 for m in METRICS},
        }
        return post_id


# Threads' own errors carry the type THApiException; token errors are OAuthException.
graph_error = _error = functools.partial(meta_graph.graph_error, type_="THApiException")
