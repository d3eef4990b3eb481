"""A loopback Pinterest for contract tests: the v5 OAuth token endpoint, user
account, boards and board sections, media registration with an Amazon
S3-style upload, Pins and Pin analytics, answering with the shapes of
Pinterest's OpenAPI description (github.com/pinterest/api-description, v5.23).

What it imitates, and how far:
- `POST /v5/oauth/token` takes HTTP Basic client authentication (else 401
  `{"code": 2, "message": "Authentication failed."}`) and a form body.
  authorization_code and refresh_token grants answer the documented
  OauthAccessTokenResponse (access token 30 days, continuous refresh token 60
  days with `refresh_token_expires_in`/`_at`). A refresh hands out a new
  refresh token and retires the old one (continuous refresh tokens rotate;
  whether Pinterest retires the old one at once is not documented, the strict
  reading is taken). A refused code or refresh token is a 400 `{"code": 1,
  "message": ...}`: the error shape is documented, that code for it is not.
- Every other `/v5/` call needs a known bearer token (else 401 code 2) and the
  scopes its operation lists (else 401 code 3, as documented).
- Boards: a person sees their own boards and group boards they collaborate
  on; secret boards only with boards:read_secret. Lists page with `bookmark`
  and `page_size` (1 to 250). Someone else's board is a 403 code 29, a board
  that does not exist a 404 code 40, a section not on the board a 404 code 2031.
- Media: `POST /v5/media` answers a media id, `upload_url` and
  `upload_parameters`; the upload is a multipart/form-data POST with those
  fields and `file`, read as a stream (hashed, never held whole) as S3 does,
  answered 204; a chunked body is refused with 411 as S3 refuses it. `GET
  /v5/media/{id}` says registered until the upload, then processing
  `media_processing_checks` times, then `media_outcome` (succeeded or failed).
- Pins: board and section ownership, the documented field limits (title 100,
  description 800, alt_text 500, link 2048, 2 to 5 carousel images, JPEG or
  PNG for base64), a video must have succeeded and have a cover. Field
  violations are 400 `{"code": 1, "message": ...}`; the wording is ours.
- Analytics: the documented query (start_date at most 90 days back, end_date,
  metric_types) and answer `{"all": {"lifetime_metrics", "summary_metrics",
  "daily_metrics"}}` with whatever counts a test puts in `analytics`.

Where it falls short: it decodes no image or video (formats, sizes and aspect
ratios are not checked here), it does not fetch image URLs, it cannot see the
order of the form fields of an upload (S3 wants the file last), and rate
limits, spam blocks and outages are scripted with `fail_next`.
"""

import base64
import binascii
import datetime as _dt
import hashlib
import io
import itertools
import re
import threading
import urllib.parse
from dataclasses import dataclass, field

from fakes import processing
from fakes.base import FakeServer, Reply, Request

UPLOAD_PATH = "/s3-media-upload/"
KEEP_UPLOAD_BYTES = 8 * 1024 * 1024  # uploads up to this size are kept for tests to compare
ALL_SCOPES = "boards:read,boards:write,pins:read,pins:write,user_accounts:read"
_DIGITS = re.compile(r"[0-9]+")
METRIC_TYPES = {"IMPRESSION", "OUTBOUND_CLICK", "PIN_CLICK", "SAVE", "SAVE_RATE", "TOTAL_COMMENTS",
                "TOTAL_REACTIONS", "USER_FOLLOW", "PROFILE_VISIT", "VIDEO_MRC_VIEW", "VIDEO_10S_VIEW",
                "QUARTILE_95_PERCENT_VIEW", "VIDEO_V50_WATCH_TIME", "VIDEO_START", "VIDEO_AVG_WATCH_TIME"}


def _err(status: int, code: int, message: str, headers: dict | None = None) -> Reply:
    return Reply(status, {"code": code, "message": message}, headers=headers or {})


def _s3_error(status: int, code: str, message: str) -> Reply:
    return Reply(status, f"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code>"
                         f"<Message>{message}</Message></Error>")


@dataclass
class User:
    id: str
    username: str
    business_name: str | None = None
    follower_count: int = 0
    account_type: str = "BUSINESS"


@dataclass
class Grant:
    user_id: str
    scopes: list[str]


@dataclass
class Board:
    id: str
    owner_id: str
    name: str
    privacy: str = "PUBLIC"
    collaborators: set[str] = field(default_factory=set)
    sections: dict[str, str] = field(default_factory=dict)  # id -> name


@dataclass
class MediaUpload:
    owner_id: str
    parameters: dict[str, str]
    uploaded: bool = False
    size: int = 0
    sha256: str = ""
    data: bytes | None = None
    filename: str | None = None
    content_type: str | None = None
    checks: int = 0


class _Digest(io.RawIOBase):
    """Where the multipart parser writes an uploaded file: hashed and counted,
    kept only while small, so a large upload is never whole in memory."""

    def __init__(self):
        super().__init__()
        self.sha = hashlib.sha256()
        self.size = 0
        self.kept = bytearray()

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        return 0

    def write(self, data) -> int:
        self.sha.update(data)
        self.size += len(data)
        if self.size <= KEEP_UPLOAD_BYTES:
            self.kept += data
        return len(data)


class PinterestFake(FakeServer):
    def __init__(self, client_id: str = "pin-client", client_secret: str = "pin-secret", *,
                 media_processing_checks: int = 0, media_outcome: str = "succeeded"):
        self.client_id, self.client_secret = client_id, client_secret
        self.media_processing_checks = media_processing_checks
        self.media_outcome = media_outcome
        self.users: dict[str, User] = {}
        self.codes: dict[str, tuple[str, str, list[str]]] = {}  # code -> (user id, redirect_uri, scopes)
        self.grants: dict[str, Grant] = {}  # access token -> grant
        self.refresh_tokens: dict[str, Grant] = {}
        self.token_forms: list[dict[str, str]] = []  # token endpoint forms, as received
        self.boards: dict[str, Board] = {}
        self.media: dict[str, MediaUpload] = {}
        self.pins: dict[str, dict] = {}
        self.analytics: dict[str, dict[str, dict]] = {}  # pin id -> {"lifetime": {...}, "summary": {...}}
        self.today: _dt.date | None = None  # the analytics endpoint's "today"; None: the real UTC date
        self._ids = itertools.count(1_000_000_000_001)
        self._uploads = threading.local()
        super().__init__()
        self._stream_uploads()

    # --- test helpers -----------------------------------------------------------
    def add_user(self, username: str = "ada.makes", business_name: str | None = "Ada Makes",
                 followers: int = 1234) -> User:
        user = User(self._new_id(), username, business_name, followers)
        self.users[user.id] = user
        return user

    def add_board(self, owner: User, name: str = "Recipes", privacy: str = "PUBLIC",
                  collaborators: tuple[User, ...] = ()) -> Board:
        board = Board(self._new_id(), owner.id, name, privacy, {u.id for u in collaborators})
        self.boards[board.id] = board
        return board

    def add_section(self, board: Board, name: str = "Salads") -> str:
        section_id = self._new_id()
        board.sections[section_id] = name
        return section_id

    def consent(self, user: User, redirect_uri: str, scopes: str = ALL_SCOPES) -> str:
        """What Pinterest does when the person approves: a one-time code."""
        code = f"code-{self._new_id()}"
        self.codes[code] = (user.id, redirect_uri, scopes.split(","))
        return code

    def token_for(self, user: User, scopes: str = ALL_SCOPES) -> str:
        token = f"pina_{self._new_id()}"
        self.grants[token] = Grant(user.id, scopes.split(","))
        return token

    def revoke_token(self, token: str) -> None:
        """The person removes the app, changes their password, or the token expires."""
        self.grants.pop(token, None)

    def upload_of(self, media_id: str) -> MediaUpload:
        return self.media[media_id]

    # --- routes -------------------------------------------------------------------
    def setup(self) -> None:
        self.route("POST", r"/v5/oauth/token", self.oauth_token)
        self.route("GET", r"/v5/user_account", self.user_account)
        self.route("GET", r"/v5/boards", self.list_boards)
        self.route("GET", r"/v5/boards/(?P<id>[^/]+)", self.get_board)
        self.route("GET", r"/v5/boards/(?P<id>[^/]+)/sections", self.list_sections)
        self.route("POST", r"/v5/media", self.register_media)
        self.route("POST", UPLOAD_PATH, self.receive_upload)
        self.route("GET", r"/v5/media/(?P<id>[^/]+)", self.get_media)
        self.route("POST", r"/v5/pins", self.create_pin)
        self.route("DELETE", r"/v5/pins/(?P<id>[^/]+)", self.delete_pin)
        self.route("GET", r"/v5/pins/(?P<id>[^/]+)/analytics", self.pin_analytics)

    def _new_id(self) -> str:
        return str(next(self._ids))

    def _stream_uploads(self) -> None:
        """S3 reads an upload as a stream; the base server reads every body whole.
        Upload requests are parsed here from the socket (the file hashed, not
        kept), then handed to the routes with an empty body."""
        from werkzeug.formparser import parse_form_data

        base, fake = self.server.RequestHandlerClass, self

        class Handler(base):
            def _handle(self):
                if self.command != "POST" or urllib.parse.urlsplit(self.path).path != UPLOAD_PATH:
                    return base._handle(self)
                info = {"content_length": self.headers.get("Content-Length"),
                        "transfer_encoding": self.headers.get("Transfer-Encoding")}
                if info["content_length"] is not None and not info["transfer_encoding"]:
                    sinks: list[_Digest] = []

                    def sink(**_kw):
                        sinks.append(_Digest())
                        return sinks[-1]

                    environ = {"REQUEST_METHOD": "POST", "CONTENT_TYPE": self.headers.get("Content-Type", ""),
                               "CONTENT_LENGTH": info["content_length"], "wsgi.input": self.rfile}
                    _, form, files = parse_form_data(environ, stream_factory=sink, silent=True)
                    info["fields"] = dict(form.items())
                    info["files"] = {name: (storage.filename, storage.content_type, storage.stream)
                                     for name, storage in files.items()}
                else:
                    self.close_connection = True  # the chunked body is left unread
                fake._uploads.info = info
                del self.headers["Content-Length"]
                self.headers["Content-Length"] = "0"
                return base._handle(self)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        self.server.RequestHandlerClass = Handler

    # --- OAuth --------------------------------------------------------------------
    def oauth_token(self, req: Request) -> Reply:
        expected = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        if req.headers.get("authorization") != f"Basic {expected}":
            return _err(401, 2, "Authentication failed.")
        if not req.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            return _err(400, 1, "Invalid parameters.")
        form = req.form
        self.token_forms.append(form)
        if form.get("grant_type") == "authorization_code":
            found = self.codes.pop(form.get("code", ""), None)
            if not found or found[1] != form.get("redirect_uri"):
                return _err(400, 1, "Invalid authorization code or redirect_uri.")
            return Reply(200, self._issue(Grant(found[0], found[2]), "authorization_code"))
        if form.get("grant_type") == "refresh_token":
            grant = self.refresh_tokens.pop(form.get("refresh_token", ""), None)
            if grant is None:
                return _err(400, 1, "Invalid refresh token.")
            return Reply(200, self._issue(grant, "refresh_token"))
        return _err(400, 1, "Invalid parameters.")

    def _issue(self, grant: Grant, response_type: str) -> dict:
        token, refresh = f"pina_{self._new_id()}", f"pinr_{self._new_id()}"
        self.grants[token] = grant
        self.refresh_tokens[refresh] = grant
        now = int(_dt.datetime.now(_dt.timezone.utc).timestamp())
        return {"access_token": token, "token_type": "bearer", "expires_in": 2_592_000,
                "scope": ",".join(grant.scopes), "response_type": response_type, "refresh_token": refresh,
                "refresh_token_expires_in": 5_184_000, "refresh_token_expires_at": now + 5_184_000}

    def _grant(self, req: Request, *scopes: str) -> tuple[Grant | None, Reply | None]:
        auth = req.headers.get("authorization", "")
        grant = self.grants.get(auth[7:]) if auth.startswith("Bearer ") else None
        if grant is None:
            return None, _err(401, 2, "Authentication failed.")
        if not set(scopes) <= set(grant.scopes):
            return None, _err(401, 3, "Your token does not have sufficient permissions to perform this operation. "
                                      "Please ensure your token is authorized with the correct set of scopes.")
        return grant, None

    def user_account(self, req: Request) -> Reply:
        grant, refusal = self._grant(req, "user_accounts:read")
        if refusal:
            return refusal
        user = self.users[grant.user_id]
        return Reply(200, {"account_type": user.account_type, "id": user.id, "username": user.username,
                           "business_name": user.business_name, "follower_count": user.follower_count,
                           "following_count": 17, "pin_count": len(self.pins), "board_count": len(self.boards),
                           "monthly_views": 1630, "website_url": "",
                           "profile_image": f"https://i.pinimg.com/600x600_R/{user.id}.jpg", "about": ""})

    # --- boards -------------------------------------------------------------------
    def _visible(self, grant: Grant, board: Board) -> bool:
        member = grant.user_id == board.owner_id or grant.user_id in board.collaborators
        return member and (board.privacy != "SECRET" or "boards:read_secret" in grant.scopes)

    def _board_json(self, board: Board) -> dict:
        return {"id": board.id, "name": board.name, "description": None, "privacy": board.privacy,
                "owner": {"username": self.users[board.owner_id].username}, "pin_count": 0,
                "follower_count": 0, "collaborator_count": len(board.collaborators),
                "created_at": "2026-01-05T10:00:00", "board_pins_modified_at": "2026-01-05T10:00:00",
                "media": {"image_cover_url": None, "pin_thumbnail_urls": []}}

    def _board_for(self, grant: Grant, board_id: str) -> tuple[Board | None, Reply | None]:
        board = self.boards.get(board_id)
        if board is None or (board.privacy == "SECRET" and not self._visible(grant, board)):
            return None, _err(404, 40, "Board not found.")
        if not self._visible(grant, board):
            return None, _err(403, 29, "You are not permitted to access that resource.")
        return board, None

    def _page(self, req: Request, items: list[dict]) -> Reply:
        try:
            size = int(req.arg("page_size", "25"))
            start = int(base64.urlsafe_b64decode(req.arg("bookmark", "") or "MA==").decode())
        except (ValueError, binascii.Error):
            return _err(400, 1, "Invalid parameters.")
        if not 1 <= size <= 250:
            return _err(400, 1, "Invalid parameters.")
        end = start + size
        bookmark = base64.urlsafe_b64encode(str(end).encode()).decode() if end < len(items) else None
        return Reply(200, {"items": items[start:end], "bookmark": bookmark})

    def list_boards(self, req: Request) -> Reply:
        grant, refusal = self._grant(req, "boards:read")
        if refusal:
            return refusal
        return self._page(req, [self._board_json(b) for b in self.boards.values() if self._visible(grant, b)])

    def get_board(self, req: Request) -> Reply:
        grant, refusal = self._grant(req, "boards:read")
        if refusal:
            return refusal
        board, refusal = self._board_for(grant, req.match["id"])
        return refusal or Reply(200, self._board_json(board))

    def list_sections(self, req: Request) -> Reply:
        grant, refusal = self._grant(req, "boards:read")
        if refusal:
            return refusal
        board, refusal = self._board_for(grant, req.match["id"])
        if refusal:
            return refusal
        return self._page(req, [{"id": sid, "name": name} for sid, name in board.sections.items()])

    # --- media --------------------------------------------------------------------
    def register_media(self, req: Request) -> Reply:
        grant, refusal = self._grant(req, "pins:read", "pins:write")
        if refusal:
            return refusal
        if (req.json or {}).get("media_type") != "video":
            return _err(400, 1, "Invalid parameters.")
        media_id = self._new_id()
        parameters = {"x-amz-date": "20260127T185143Z",
                      "x-amz-signature": hashlib.sha256(media_id.encode()).hexdigest(),
                      "x-amz-security-token": "IQoJb3JpZ2luX2VjEJr", "x-amz-algorithm": "AWS4-HMAC-SHA256",
                      "key": f"uploads/11/aa/22/3:video:{grant.user_id}:{media_id}",
                      "policy": base64.b64encode(f"policy-{media_id}".encode()).decode(),
                      "x-amz-credential": "ASIA6QZJ64OPIKV7FRVX/20260127/us-east-1/s3/aws4_request",
                      "Content-Type": "multipart/form-data"}
        self.media[media_id] = MediaUpload(grant.user_id, parameters)
        return Reply(201, {"media_id": media_id, "media_type": "video", "upload_url": self.url + UPLOAD_PATH,
                           "upload_parameters": parameters})

    def receive_upload(self, req: Request) -> Reply:
        info = getattr(self._uploads, "info", None) or {}
        self._uploads.info = None
        req.upload = info  # what the streaming reader saw, for tests that look at requests
        if info.get("transfer_encoding") or info.get("content_length") is None:
            return _s3_error(411, "MissingContentLength", "You must provide the Content-Length HTTP header.")
        fields, files = info.get("fields") or {}, info.get("files") or {}
        upload = next((m for m in self.media.values() if m.parameters["key"] == fields.get("key")), None)
        if upload is None or any(fields.get(k) != v for k, v in upload.parameters.items()):
            return _s3_error(403, "AccessDenied", "Invalid according to Policy: Policy Condition failed")
        if "file" not in files:
            return _s3_error(400, "InvalidArgument", "POST requires exactly one file upload per request.")
        filename, content_type, digest = files["file"]
        upload.uploaded, upload.size, upload.sha256 = True, digest.size, digest.sha.hexdigest()
        upload.data = bytes(digest.kept) if digest.size <= KEEP_UPLOAD_BYTES else None
        upload.filename, upload.content_type = filename, content_type
        return Reply(204, b"")

    def get_media(self, req: Request) -> Reply:
        grant, refusal = self._grant(req, "pins:read")
        if refusal:
            return refusal
        upload = self.media.get(req.match["id"])
        if upload is None or upload.owner_id != grant.user_id:
            return _err(404, 404, "Media not found.")
        status = processing.status(upload, arrived=upload.uploaded, slow_checks=self.media_processing_checks,
                                   waiting="registered", processing="processing", done=self.media_outcome)
        return Reply(200, {"media_id": req.match["id"], "media_type": "video", "status": status})

    # --- pins ---------------------------------------------------------------------
    def create_pin(self, req: Request) -> Reply:
        grant, refusal = self._grant(req, "boards:read", "boards:write", "pins:read", "pins:write")
        if refusal:
            return refusal
        body = req.json or {}
        for name, limit in (("title", 100), ("description", 800), ("alt_text", 500), ("link", 2048)):
            if body.get(name) is not None and len(body[name]) > limit:
                return _err(400, 1, f"Invalid request: '{name}' is longer than {limit} characters.")
        for name in ("board_id", "board_section_id"):
            if body.get(name) is not None and not _DIGITS.fullmatch(str(body[name])):
                return _err(400, 1, f"Invalid request: '{body[name]}' does not match '^\\d+$' ({name}).")
        if not body.get("board_id"):
            return _err(400, 1, "Invalid request: 'board_id' is a required property.")
        board, refusal = self._board_for(grant, body["board_id"])
        if refusal:
            return refusal
        section = body.get("board_section_id")
        if section and section not in board.sections:
            return _err(404, 2031, "Sorry! We couldn't find this board section.")
        problem = self._check_media_source(grant, body.get("media_source") or {})
        if problem:
            return _err(400, 1, problem)
        pin_id = self._new_id()
        kind = {"video_id": "video", "multiple_image_urls": "multiple_images"}.get(
            body["media_source"]["source_type"], "image")
        pin = {"id": pin_id, "created_at": "2026-01-05T10:00:00", "link": body.get("link"),
               "title": body.get("title"), "description": body.get("description"), "alt_text": body.get("alt_text"),
               "board_id": board.id, "board_section_id": section, "board_owner": {
                   "username": self.users[board.owner_id].username}, "is_owner": True, "is_standard": True,
               "has_been_promoted": False, "dominant_color": None, "parent_pin_id": None,
               "media": {"media_type": kind}, "creative_type": "VIDEO" if kind == "video" else "REGULAR"}
        self.pins[pin_id] = {**pin, "owner_id": grant.user_id, "media_source": body["media_source"]}
        return Reply(201, pin)

    def _check_media_source(self, grant: Grant, source: dict) -> str | None:
        kind = source.get("source_type")
        if kind == "image_url":
            return None if source.get("url") else "Invalid request: 'url' is a required property."
        if kind == "image_base64":
            if source.get("content_type") not in ("image/jpeg", "image/png"):
                return "Invalid request: 'content_type' must be image/jpeg or image/png."
            try:
                base64.b64decode(source.get("data") or "", validate=True)
            except binascii.Error:
                return "Invalid request: 'data' is not base64."
            return None
        if kind == "multiple_image_urls":
            items = source.get("items") or []
            if not 2 <= len(items) <= 5:
                return f"Invalid request: {len(items)} items, constraint: minItems=2, maxItems=5."
            return None if all(i.get("url") for i in items) else "Invalid request: 'url' is a required property."
        if kind == "video_id":
            upload = self.media.get(str(source.get("media_id")))
            if upload is None or upload.owner_id != grant.user_id:
                return "Invalid request: media not found."
            if not upload.uploaded or self.media_outcome != "succeeded" or upload.checks < self.media_processing_checks:
                return "Invalid request: the video is not ready."
            has_cover = (source.get("cover_image_url") or source.get("cover_image_key_frame_time") is not None
                         or (source.get("cover_image_data") and source.get("cover_image_content_type")))
            return None if has_cover else ("Invalid request: either cover_image_url or cover_image_content_type "
                                           "and cover_image_data must be given.")
        return "Invalid request: unknown media_source source_type."

    def delete_pin(self, req: Request) -> Reply:
        grant, refusal = self._grant(req, "boards:read", "boards:write", "pins:read", "pins:write")
        if refusal:
            return refusal
        pin = self.pins.get(req.match["id"])
        if pin is None:
            return _err(404, 50, "Pin not found.")
        if pin["owner_id"] != grant.user_id:
            return _err(403, 29, "You are not permitted to access that resource.")
        del self.pins[req.match["id"]]
        return Reply(204, b"")

    # --- analytics ----------------------------------------------------------------
    def pin_analytics(self, req: Request) -> Reply:
        grant, refusal = self._grant(req, "boards:read", "pins:read")
        if refusal:
            return refusal
        today = self.today or _dt.datetime.now(_dt.timezone.utc).date()
        try:
            start = _dt.date.fromisoformat(req.arg("start_date") or "")
            end = _dt.date.fromisoformat(req.arg("end_date") or "")
        except ValueError:
            return _err(400, 400, "Invalid pins analytics parameters.")
        metrics = [m for m in (req.arg("metric_types") or "").split(",") if m]
        if (start < today - _dt.timedelta(days=90) or end < start or end - start > _dt.timedelta(days=90)
                or not metrics or not set(metrics) <= METRIC_TYPES):
            return _err(400, 400, "Invalid pins analytics parameters.")
        pin = self.pins.get(req.match["id"])
        if pin is None:
            return _err(404, 404, "Pin not found.")
        if pin["owner_id"] != grant.user_id:
            return _err(403, 403, "Not authorized to access board or Pin.")
        counts = self.analytics.get(req.match["id"], {})
        lifetime = {m: v for m, v in (counts.get("lifetime") or {}).items() if m in metrics}
        summary = {m: v for m, v in (counts.get("summary") or {}).items() if m in metrics}
        daily = [{"date": end.isoformat(), "data_status": "READY", "metrics": summary}]
        return Reply(200, {"all": {"lifetime_metrics": lifetime, "summary_metrics": summary, "daily_metrics": daily}})
