"""A Mastodon instance on 127.0.0.1, as docs.joinmastodon.org documents it.

Covers what postr uses: app registration (POST /api/v1/apps), the OAuth
authorization code flow with PKCE S256 (GET /oauth/authorize approves at once
as the fake's signed-in account and redirects with the code, as the real
consent page does after a click), POST /oauth/token, POST /oauth/revoke,
GET /api/v2/instance, GET /api/v1/accounts/verify_credentials, media upload
(POST /api/v2/media: images 200 at once, video 202 and processed after
`processing_polls` reads of GET /api/v1/media/:id that answer 206), statuses
(POST with Idempotency-Key, GET, DELETE). Error bodies are Mastodon's
{"error": ..., "error_description"?}. Tokens carry scopes, checked the
server's way (`read` covers `read:*`).

Falls short of the real server: no HTML consent page, no federation, no
character counting of its own (postr's counting is tested against hand-checked
cases instead), idempotency keys never expire (the server keeps them an hour),
media bytes are kept but never transcoded.
"""

import base64
import copy
import email.parser
import email.policy
import hashlib
import itertools
import secrets
import time
import urllib.parse

from fakes.base import FakeServer, Reply, Request

# The Instance entity's documented example configuration (statuses and media).
CONFIGURATION = {
    "statuses": {"max_characters": 500, "max_media_attachments": 4, "characters_reserved_per_url": 23},
    "media_attachments": {
        "description_limit": 1500,
        "image_matrix_limit": 33177600,
        "image_size_limit": 16777216,
        "supported_mime_types": ["image/jpeg", "image/png", "image/gif", "image/heic", "image/heif", "image/webp",
                                 "image/avif", "video/webm", "video/mp4", "video/quicktime", "video/ogg"],
        "video_frame_rate_limit": 120,
        "video_matrix_limit": 8294400,
        "video_size_limit": 103809024,
    },
}
INVALID_TOKEN = Reply(401, {"error": "The access token is invalid"})
OUT_OF_SCOPE = Reply(403, {"error": "This action is outside the authorized scopes"})
NOT_FOUND = Reply(404, {"error": "Record not found"})


def form(req: Request) -> dict[str, list[str]]:
    """Form or JSON parameters as lists (the server takes either)."""
    ctype = req.headers.get("content-type", "")
    if ctype.startswith("application/json"):
        return {k: v if isinstance(v, list) else [v] for k, v in (req.json or {}).items()}
    return urllib.parse.parse_qs(req.body.decode(), keep_blank_values=True)


def multipart(req: Request) -> dict[str, dict]:
    """name -> {"value": bytes, "filename", "content_type"} of a multipart/form-data body."""
    head = f"Content-Type: {req.headers.get('content-type', '')}\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + req.body)
    fields = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        fields[name] = {"value": part.get_payload(decode=True), "filename": part.get_filename(),
                        "content_type": part.get_content_type()}
    return fields


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


class MastodonFake(FakeServer):
    def setup(self):
        self.domain = "social.example"
        self.configuration = copy.deepcopy(CONFIGURATION)
        self.instance_api = "v2"  # "v1": a server before 4.0 (no /api/v2/instance)
        self.processing_polls = 2  # GET /api/v1/media/:id answers 206 this many times for a video
        # Once this many statuses exist, creating another answers 503 (an outage mid-thread).
        self.statuses_before_outage: int | None = None
        self._ids = itertools.count(110000000000000001)
        self.apps: dict[str, dict] = {}
        self.grants: dict[str, dict] = {}
        self.tokens: dict[str, dict] = {}
        self.media: dict[str, dict] = {}
        self.statuses: dict[str, dict] = {}
        self.idempotency: dict[tuple[str, str], str] = {}
        self.account = {"id": "109348", "username": "alice", "acct": "alice", "display_name": "Alice Example",
                        "locked": False, "bot": False, "url": "", "avatar": "", "followers_count": 321,
                        "following_count": 12, "statuses_count": 0}
        self.route("POST", r"/api/v1/apps", self.create_app)
        self.route("GET", r"/oauth/authorize", self.authorize)
        self.route("POST", r"/oauth/token", self.token)
        self.route("POST", r"/oauth/revoke", self.revoke)
        self.route("GET", r"/api/v2/instance", self.instance_v2)
        self.route("GET", r"/api/v1/instance", self.instance_v1)
        self.route("GET", r"/api/v1/accounts/verify_credentials", self.verify_credentials)
        self.route("POST", r"/api/v2/media", self.upload_media)
        self.route("GET", r"/api/v1/media/(?P<id>[^/]+)", self.get_media)
        self.route("POST", r"/api/v1/statuses", self.create_status)
        self.route("GET", r"/api/v1/statuses/(?P<id>[^/]+)", self.get_status)
        self.route("DELETE", r"/api/v1/statuses/(?P<id>[^/]+)", self.delete_status)

    def start(self):
        self.account["url"] = f"{self.url}/@alice"
        self.account["avatar"] = f"{self.url}/system/accounts/avatars/alice.png"
        return super().start()

    def _id(self) -> str:
        return str(next(self._ids))

    # --- test helpers ------------------------------------------------------------------
    def issue_token(self, scopes: str = "read:accounts read:statuses write:statuses write:media") -> str:
        """A user token as if the OAuth flow had just completed."""
        token = secrets.token_urlsafe(32)
        self.tokens[token] = {"scopes": set(scopes.split()), "client_id": None}
        return token

    def _caller(self, req: Request, scope: str) -> Reply | None:
        auth = req.headers.get("authorization", "")
        grant = self.tokens.get(auth[7:]) if auth.startswith("Bearer ") else None
        if grant is None:
            return INVALID_TOKEN
        family = scope.split(":", 1)[0]
        if scope not in grant["scopes"] and family not in grant["scopes"]:
            return OUT_OF_SCOPE
        return None

    # --- apps and OAuth ----------------------------------------------------------------
    def create_app(self, req: Request) -> Reply:
        params = form(req)
        name = (params.get("client_name") or [""])[0]
        redirects = [u for v in params.get("redirect_uris", []) for u in v.split()]
        if not name:
            return Reply(422, {"error": "Validation failed: Application name can't be blank"})
        if not redirects or any(not urllib.parse.urlsplit(u).scheme for u in redirects):
            return Reply(422, {"error": "Validation failed: Redirect URI must be an absolute URI."})
        scopes = ((params.get("scopes") or ["read"])[0] or "read").split()
        app = {"id": self._id(), "name": name, "website": (params.get("website") or [None])[0], "scopes": scopes,
               "redirect_uri": "\n".join(redirects), "redirect_uris": redirects,
               "client_id": secrets.token_urlsafe(32), "client_secret": secrets.token_urlsafe(32),
               "client_secret_expires_at": 0}
        self.apps[app["client_id"]] = app
        return Reply(200, app)

    def authorize(self, req: Request) -> Reply:
        app = self.apps.get(req.arg("client_id", ""))
        redirect_uri = req.arg("redirect_uri", "")
        if app is None or req.arg("response_type") != "code" or redirect_uri not in app["redirect_uris"]:
            return Reply(400, {"error": "invalid_request",
                               "error_description": "The request is missing a required parameter, includes an "
                                                    "unsupported parameter value, or is otherwise malformed."})
        scopes = (req.arg("scope") or "read").split()
        if not set(scopes) <= set(app["scopes"]):
            return Reply(400, {"error": "invalid_scope",
                               "error_description": "The requested scope is invalid, unknown, or malformed."})
        challenge, method = req.arg("code_challenge"), req.arg("code_challenge_method")
        if challenge and method != "S256":
            return Reply(400, {"error": "invalid_request",
                               "error_description": "Code challenge method must be S256."})
        code = secrets.token_urlsafe(32)
        self.grants[code] = {"client_id": app["client_id"], "redirect_uri": redirect_uri, "scopes": scopes,
                             "challenge": challenge}
        query = {"code": code} | ({"state": req.arg("state")} if req.arg("state") is not None else {})
        return Reply(302, b"", headers={"Location": f"{redirect_uri}?{urllib.parse.urlencode(query)}"})

    def _client(self, params: dict) -> dict | None:
        app = self.apps.get((params.get("client_id") or [""])[0])
        if app and (params.get("client_secret") or [""])[0] == app["client_secret"]:
            return app
        return None

    def token(self, req: Request) -> Reply:
        params = form(req)
        app = self._client(params)
        if app is None:
            return Reply(401, {"error": "invalid_client",
                               "error_description": "Client authentication failed due to unknown client, no client "
                                                    "authentication included, or unsupported authentication method."})
        if (params.get("grant_type") or [""])[0] != "authorization_code":
            return Reply(400, {"error": "unsupported_grant_type",
                               "error_description": "The authorization grant type is not supported by the "
                                                    "authorization server."})
        grant = self.grants.pop((params.get("code") or [""])[0], None)
        verifier = (params.get("code_verifier") or [""])[0]
        if (grant is None or grant["client_id"] != app["client_id"]
                or grant["redirect_uri"] != (params.get("redirect_uri") or [""])[0]
                or (grant["challenge"] and s256(verifier) != grant["challenge"])):
            return Reply(400, {"error": "invalid_grant",
                               "error_description": "The provided authorization grant is invalid, expired, revoked, "
                                                    "does not match the redirection URI used in the authorization "
                                                    "request, or was issued to another client."})
        access = secrets.token_urlsafe(32)
        self.tokens[access] = {"scopes": set(grant["scopes"]), "client_id": app["client_id"]}
        return Reply(200, {"access_token": access, "token_type": "Bearer", "scope": " ".join(grant["scopes"]),
                           "created_at": int(time.time())})

    def revoke(self, req: Request) -> Reply:
        params = form(req)
        app = self._client(params)
        token = (params.get("token") or [""])[0]
        grant = self.tokens.get(token)
        if app is None or (grant is not None and grant["client_id"] not in (None, app["client_id"])):
            return Reply(403, {"error": "unauthorized_client",
                               "error_description": "You are not authorized to revoke this token"})
        self.tokens.pop(token, None)
        return Reply(200, {})

    # --- instance and account ----------------------------------------------------------
    def instance_v2(self, req: Request) -> Reply:
        if self.instance_api != "v2":
            return NOT_FOUND
        return Reply(200, {"domain": self.domain, "title": "Social Example", "version": "4.4.0",
                           "configuration": self.configuration})

    def instance_v1(self, req: Request) -> Reply:
        return Reply(200, {"uri": self.domain, "title": "Social Example", "version": "3.5.3",
                           "configuration": self.configuration})

    def verify_credentials(self, req: Request) -> Reply:
        refused = self._caller(req, "read:accounts")
        if refused and self._caller(req, "profile") is None:
            refused = None
        return refused or Reply(200, self.account)

    # --- media -------------------------------------------------------------------------
    def upload_media(self, req: Request) -> Reply:
        refused = self._caller(req, "write:media")
        if refused:
            return refused
        fields = multipart(req)
        upload = fields.get("file")
        if not upload or not upload["value"]:
            return Reply(422, {"error": "Validation failed: File content type is invalid, File is invalid"})
        ctype = upload["content_type"]
        if ctype not in self.configuration["media_attachments"]["supported_mime_types"]:
            return Reply(422, {"error": "Validation failed: File content type is invalid, File is invalid"})
        description = fields.get("description", {}).get("value")
        media_id = self._id()
        is_video = ctype.startswith("video/")
        self.media[media_id] = {
            "id": media_id, "type": "video" if is_video else "image", "content_type": ctype,
            "filename": upload["filename"], "bytes": upload["value"],
            "description": description.decode() if description is not None else None,
            "polls_left": self.processing_polls if is_video else 0, "status_id": None,
        }
        return Reply(202 if is_video else 200, self._attachment(media_id))

    def _attachment(self, media_id: str) -> dict:
        m = self.media[media_id]
        ready = m["polls_left"] <= 0
        return {"id": media_id, "type": m["type"],
                "url": f"{self.url}/system/media_attachments/files/{media_id}/original/file" if ready else None,
                "preview_url": f"{self.url}/system/media_attachments/files/{media_id}/small/file",
                "remote_url": None, "meta": {}, "description": m["description"], "blurhash": None}

    def get_media(self, req: Request) -> Reply:
        refused = self._caller(req, "write:media")
        if refused:
            return refused
        m = self.media.get(req.match["id"])
        if m is None:
            return NOT_FOUND
        if m["polls_left"] > 0:
            m["polls_left"] -= 1
            return Reply(206, self._attachment(m["id"]))
        return Reply(200, self._attachment(m["id"]))

    # --- statuses ----------------------------------------------------------------------
    def create_status(self, req: Request) -> Reply:
        refused = self._caller(req, "write:statuses")
        if refused:
            return refused
        key = req.headers.get("idempotency-key")
        token = req.headers["authorization"][7:]
        if key and (token, key) in self.idempotency:
            return Reply(200, self._status_entity(self.idempotency[(token, key)]))
        if self.statuses_before_outage is not None and len(self.statuses) >= self.statuses_before_outage:
            return Reply(503, {"error": "There was a temporary problem serving your request, please try again"})
        params = form(req)
        text = (params.get("status") or [""])[0]
        media_ids = params.get("media_ids[]", [])
        if len(media_ids) > self.configuration["statuses"]["max_media_attachments"]:
            return Reply(422, {"error": "Cannot attach more than 4 files"})
        attached = [self.media.get(i) for i in media_ids]
        if any(m is None or m["status_id"] for m in attached):
            return Reply(422, {"error": "Validation failed: Media attachment is invalid"})
        if len(attached) > 1 and any(m["type"] == "video" for m in attached):
            return Reply(422, {"error": "Cannot attach a video to a post that already contains images"})
        if any(m["polls_left"] > 0 for m in attached):
            return Reply(422, {"error": "Cannot attach files that have not finished processing. Try again in a moment!"})
        if not text.strip() and not attached:
            return Reply(422, {"error": "Validation failed: Text can't be blank"})
        reply_to = (params.get("in_reply_to_id") or [None])[0]
        if reply_to is not None and reply_to not in self.statuses:
            return NOT_FOUND
        status_id = self._id()
        for m in attached:
            m["status_id"] = status_id
        self.statuses[status_id] = {
            "id": status_id, "text": text, "media_ids": media_ids, "in_reply_to_id": reply_to,
            "visibility": (params.get("visibility") or ["public"])[0],
            "spoiler_text": (params.get("spoiler_text") or [""])[0],
            "sensitive": (params.get("sensitive") or ["false"])[0] == "true",
            "language": (params.get("language") or [None])[0],
            "favourites_count": 0, "reblogs_count": 0, "replies_count": 0,
        }
        if key:
            self.idempotency[(token, key)] = status_id
        return Reply(200, self._status_entity(status_id))

    def _status_entity(self, status_id: str) -> dict:
        s = self.statuses[status_id]
        return {"id": status_id, "created_at": "2026-01-01T00:00:00.000Z", "in_reply_to_id": s["in_reply_to_id"],
                "sensitive": s["sensitive"], "spoiler_text": s["spoiler_text"], "visibility": s["visibility"],
                "language": s["language"], "uri": f"{self.url}/users/alice/statuses/{status_id}",
                "url": f"{self.url}/@alice/{status_id}", "replies_count": s["replies_count"],
                "reblogs_count": s["reblogs_count"], "favourites_count": s["favourites_count"],
                "content": f"<p>{s['text']}</p>", "account": self.account,
                "media_attachments": [self._attachment(i) for i in s["media_ids"]], "mentions": [], "tags": []}

    def get_status(self, req: Request) -> Reply:
        refused = self._caller(req, "read:statuses")
        if refused:
            return refused
        if req.match["id"] not in self.statuses:
            return NOT_FOUND
        return Reply(200, self._status_entity(req.match["id"]))

    def delete_status(self, req: Request) -> Reply:
        refused = self._caller(req, "write:statuses")
        if refused:
            return refused
        status_id = req.match["id"]
        if status_id not in self.statuses:
            return NOT_FOUND
        entity = self._status_entity(status_id) | {"text": self.statuses[status_id]["text"]}
        if req.arg("delete_media") == "true":
            for media_id in self.statuses[status_id]["media_ids"]:
                self.media.pop(media_id, None)
            entity["media_attachments"] = []
        del self.statuses[status_id]
        return Reply(200, entity)
