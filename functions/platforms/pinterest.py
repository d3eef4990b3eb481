"""Pinterest: Pins on a person's own boards through API v5.

What the module relies on, from Pinterest's documentation (developers.pinterest.com
and the OpenAPI description at github.com/pinterest/api-description, v5.23):
- OAuth 2.0 authorization code flow without PKCE: the browser goes to
  `https://www.pinterest.com/oauth/` with client_id, redirect_uri,
  response_type=code, a comma-separated scope and state. The code is exchanged
  at `POST /v5/oauth/token` with HTTP Basic client authentication and a form
  body (grant_type=authorization_code, code, redirect_uri). Apps made before
  2025-09-25 must send continuous_refresh=true to get a continuous refresh
  token; later apps get one anyway, so it is always sent.
- Scopes: boards:read (list and check boards), boards:write, pins:read and
  pins:write (Create Pin and Delete Pin require all four), user_accounts:read
  (the profile). Secret boards would need boards:read_secret and
  pins:write_secret, which are not asked for.
- Tokens: access tokens last 30 days; continuous refresh tokens 60 days, and a
  refresh (grant_type=refresh_token) returns a new refresh token with a fresh
  60 days, so a connection refreshed within every 60 days never lapses.
- The token answer's `scope` (required in OauthAccessTokenResponse) lists
  what the person granted, comma-separated; it is what a connection stores.
- `POST /v5/oauth/token/revoke` exists but "Only tokens issued for system users
  are currently supported": a person's token cannot be revoked by postr, so
  `revoke` sends nothing and returns False (see `revoke`).
- Profile: `GET /v5/user_account` (id, username, business_name, profile_image,
  follower_count).
- Boards: `GET /v5/boards` (bookmark pagination, page_size up to 250) lists the
  person's boards and the group boards they collaborate on; `GET
  /v5/boards/{id}` answers 200 only for those, so publish checks the chosen
  board (and section, `GET /v5/boards/{id}/sections`) before uploading anything.
- Pins (`POST /v5/pins`): board_id, board_section_id, title (100 characters),
  description (800), alt_text (500), link (2048), and a media_source:
  image_url (Pinterest fetches it), image_base64 (JPEG or PNG),
  multiple_image_urls (2 to 5: a carousel; items carry no alt text), or
  video_id with a cover (cover_image_url, cover_image_data with
  cover_image_content_type, or cover_image_key_frame_time). Lengths are JSON
  Schema maxLength values, which count code points. Public address
  `https://www.pinterest.com/pin/{id}/`.
- Videos: `POST /v5/media {"media_type": "video"}` registers an upload; the
  file goes to `upload_url` (Amazon S3) as a multipart/form-data POST with
  every `upload_parameters` field and the file last; `GET /v5/media/{id}`
  reports registered, processing, succeeded or failed.
- Media specs (help.pinterest.com, product specs): images PNG or JPEG up to
  20 MB (2:3 is recommended, not required); videos .mp4, .mov or .m4v up to
  2 GB, 4 seconds to 15 minutes, aspect ratio from 1:2 to 1.91:1 (required;
  1:1, 2:3, 4:5 and 9:16 recommended); carousels 2 to 5 images.
- No threads; the API has no way to add a comment, so no first comment.
- Metrics: `GET /v5/pins/{id}/analytics` with start_date (at most 90 days
  back), end_date and metric_types, answered as {"all": {"lifetime_metrics",
  "summary_metrics", "daily_metrics"}}.
- Errors: `{"code", "message"}`. 401 with code 2 is a failed authentication,
  with code 3 a token missing a scope; 429 (code 8) is a rate limit, and a
  spam block is a 429 whose message says so; 404 code 40 is a board not found,
  50 a Pin, 2031 a board section.
"""

import base64
import datetime as _dt
import io
import os
import re
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
from firebase_functions.params import StringParam

from kernel import clock
from platforms import http, oauth_tokens
from platforms.base import AppCredentials, Media, Metrics, Platform, PostContent, Problem, Profile, Published, Tokens
from platforms.errors import AuthExpired, OutcomeUnknown, Permanent, PlatformError, RateLimited, Transient

PINTEREST_API_URL = StringParam("PINTEREST_API_URL", default="https://api.pinterest.com")
PINTEREST_AUTH_URL = StringParam("PINTEREST_AUTH_URL", default="https://www.pinterest.com")

NAME = "pinterest"

MAX_TITLE = 100
MAX_DESCRIPTION = 800
MAX_ALT_TEXT = 500
MAX_LINK = 2048
MAX_CAROUSEL = 5
IMAGE_TYPES = {"image/jpeg", "image/png"}
MAX_IMAGE_BYTES = 20 * 1000 * 1000  # "20 MB", read the strict way
VIDEO_TYPES = {"video/mp4": "mp4", "video/quicktime": "mov", "video/x-m4v": "m4v"}
MAX_VIDEO_BYTES = 2 * 1000 * 1000 * 1000  # "up to 2GB"
MIN_VIDEO_SECONDS, MAX_VIDEO_SECONDS = 4, 15 * 60
MIN_VIDEO_RATIO, MAX_VIDEO_RATIO = 1 / 2, 1.91  # width / height

UPLOAD_CHUNK = 1024 * 1024
BOARD_PAGE_SIZE = 250
MAX_PAGES = 40  # 10,000 boards or sections: beyond that the answer is not a list a person picks from
# A video usually finishes processing within a minute; past about two minutes
# the publish is retried later (with a fresh upload) instead.
VIDEO_WAIT_DELAYS = (1.0, 2.0, 4.0, 8.0, 15.0, 30.0, 30.0, 30.0)
# Pinterest's analytics reach back 90 days from today at most.
ANALYTICS_DAYS = 89
ANALYTICS_METRICS = ("IMPRESSION", "SAVE", "TOTAL_REACTIONS", "TOTAL_COMMENTS")

_DIGITS = re.compile(r"[0-9]+")


@dataclass(frozen=True)
class Board:
    id: str
    name: str
    privacy: str | None  # PUBLIC, PROTECTED or SECRET
    owner_username: str | None


@dataclass(frozen=True)
class BoardSection:
    id: str
    name: str


def pin_url(pin_id: str) -> str:
    return f"https://www.pinterest.com/pin/{pin_id}/"


def _api(path: str) -> str:
    return PINTEREST_API_URL.value.rstrip("/") + path


def _auth(path: str) -> str:
    return PINTEREST_AUTH_URL.value.rstrip("/") + path


def _bearer(tokens: Tokens) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens.access_token}"}


def _is_id(value) -> bool:
    return isinstance(value, str) and bool(_DIGITS.fullmatch(value))


def _is_web_address(value) -> bool:
    if not isinstance(value, str):
        return False
    parts = urllib.parse.urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _rate_limit_wait(response: httpx.Response) -> float | None:
    """Retry-After when given; else X-RateLimit-Reset, which Pinterest sends as
    the seconds left in the limit's window (observed, not documented)."""
    wait = http.retry_after(response)
    if wait is not None:
        return wait
    try:
        return max(0.0, float(response.headers["x-ratelimit-reset"]))
    except (KeyError, ValueError):
        return None


def _error(response: httpx.Response, doing: str) -> PlatformError:
    """A Pinterest error body ({"code", "message"}) as the taxonomy. `detail`
    keeps Pinterest's status and code only: its message can quote the Pin."""
    body = http.json_object(response)
    status, code = response.status_code, body.get("code")
    said = str(body.get("message") or "").strip()[:300]
    detail = " ".join(str(x) for x in (status, code) if x is not None)
    kw = {"status": status, "detail": detail}
    if status == 401:
        if code == 3:
            return AuthExpired(NAME, f"Pinterest did not allow {doing}: the connection lacks a permission. "
                                     "Reconnect Pinterest and approve the access it asks for.", **kw)
        return AuthExpired(NAME, "Your Pinterest connection has expired or was revoked; reconnect Pinterest.", **kw)
    if status == 429:
        if "spam" in said.lower():
            message = "Pinterest paused new Pins from this account as suspected spam; will retry later."
        else:
            message = "Pinterest is limiting requests for this account; will retry later."
        return RateLimited(NAME, message, retry_after=_rate_limit_wait(response), **kw)
    if status in (408, 425) or status >= 500:
        return Transient(NAME, f"Pinterest had a temporary problem while {doing}; will retry.", **kw)
    if code == 40:
        message = "Pinterest could not find that board; choose one of your boards again."
    elif code == 2031:
        message = "Pinterest could not find that board section; choose the section again."
    elif code == 50 or (status == 404 and "pin" in said.lower()):
        message = "Pinterest could not find that Pin; it may have been deleted on Pinterest."
    elif status == 403:
        message = f"Pinterest did not allow {doing}" + (f": {said}" if said else ".")
    elif status == 404:
        message = f"Pinterest could not find what it needed while {doing}."
    else:
        message = f"Pinterest refused {doing}" + (f": {said}" if said else ".")
    return Permanent(NAME, message, **kw)


def _token_error(response: httpx.Response, *, refreshing: bool) -> PlatformError:
    body = http.json_object(response)
    status = response.status_code
    detail = " ".join(str(x) for x in (status, body.get("code")) if x is not None)
    if status == 429 or status >= 500:
        return _error(response, "renewing the Pinterest connection" if refreshing else "connecting Pinterest")
    if status == 401:
        return Permanent(NAME, "Pinterest rejected postr's app credentials; the operator must fix the Pinterest app "
                               "settings.", status=status, detail=detail)
    if refreshing:
        return AuthExpired(NAME, "Pinterest no longer accepts this connection's refresh token; reconnect Pinterest.",
                           status=status, detail=detail)
    return Permanent(NAME, "Pinterest did not accept the sign-in (it may have expired or been used already); "
                           "connect Pinterest again.", status=status, detail=detail)


class _ChunkFile:
    """A read-once file over Media.chunks with a known size. httpx learns the
    size by seeking to the end (without reading), so the multipart body goes
    out with a Content-Length (S3 refuses chunked uploads) and the file is never
    whole in memory."""

    def __init__(self, chunks: Iterator[bytes], size: int):
        self._chunks = iter(chunks)
        self._size = size
        self._pos = 0
        self._piece = memoryview(b"")

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        if whence == os.SEEK_END and offset == 0:
            return self._size
        if whence == os.SEEK_SET and offset == self._pos:
            return self._pos
        raise io.UnsupportedOperation("a media stream is read once, front to back")

    def read(self, count: int = -1) -> bytes:
        want = self._size - self._pos if count is None or count < 0 else min(count, self._size - self._pos)
        if want <= 0:
            if self._pos >= self._size and (self._piece or any(self._chunks)):
                raise Permanent(NAME, "The video file is longer than its recorded size; upload it again.")
            return b""
        if not self._piece:
            self._piece = memoryview(next(self._chunks, b""))
            if not self._piece:
                raise Permanent(NAME, "The video file is shorter than its recorded size; upload it again.")
        out, self._piece = bytes(self._piece[:want]), self._piece[want:]
        self._pos += len(out)
        return out


def _alt_text(media: list[Media]) -> str | None:
    """A Pin has one alt text: the video's on a video Pin (its image is only the
    cover), else the images' (validate makes a carousel's agree)."""
    videos = [m for m in media if m.kind == "video"]
    return next((m.alt_text for m in videos or media if m.alt_text), None)


def _read_whole(item: Media) -> bytes:
    """An image (at most 20 MB, checked by validate) as bytes, for image_base64."""
    data = b"".join(item.chunks(UPLOAD_CHUNK))
    if len(data) != item.size:
        raise Permanent(NAME, "The image file does not match its recorded size; upload it again.")
    return data


class PinterestPlatform(Platform):
    name = NAME
    display_name = "Pinterest"
    uses_pkce = False
    scopes = ("boards:read", "boards:write", "pins:read", "pins:write", "user_accounts:read")
    revokes = False  # see revoke()
    supports_threads = False
    supports_first_comment = False
    supports_video = True

    # --- OAuth ------------------------------------------------------------------
    def authorization_url(self, app: AppCredentials, *, state: str, redirect_uri: str,
                          code_challenge: str | None = None) -> str:
        query = urllib.parse.urlencode({
            "client_id": app.client_id,
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "scope": ",".join(self.scopes),
            "state": state,
        }, quote_via=urllib.parse.quote)
        return f"{_auth('/oauth/')}?{query}"

    def exchange_code(self, app: AppCredentials, *, code: str, redirect_uri: str,
                      code_verifier: str | None = None) -> Tokens:
        return self._token_request(app, {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "continuous_refresh": "true",
        }, refreshing=False, requested=self.scopes)

    def refresh(self, app: AppCredentials, tokens: Tokens) -> Tokens:
        if not tokens.refresh_token:
            raise AuthExpired(NAME, "This Pinterest connection has no refresh token; reconnect Pinterest.")
        lapses = tokens.extra.get("refresh_expires_at")
        if lapses and _dt.datetime.fromisoformat(lapses) <= clock.now():
            raise AuthExpired(NAME, "The Pinterest connection was not renewed within 60 days and has lapsed; "
                                    "reconnect Pinterest.")
        fresh = self._token_request(app, {"grant_type": "refresh_token", "refresh_token": tokens.refresh_token},
                                    refreshing=True)
        # Continuous refresh tokens rotate: keep the new one, the old one only if none came.
        return oauth_tokens.refreshed(fresh, tokens)

    def revoke(self, app: AppCredentials, tokens: Tokens) -> bool:
        """Pinterest's one revocation endpoint does not take a person's token.
        Its OpenAPI description (github.com/pinterest/api-description, v5,
        operation `token/revoke`) says of `POST /v5/oauth/token/revoke`:
        "Revokes an access or refresh token. Only tokens issued for system
        users are currently supported" (its documented refusal is a 403,
        "Client is not allowed to revoke token"). The tokens postr holds come from
        a person's consent (authorization_code), not a system user, so nothing
        is sent: the person removes postr from the apps connected to their
        account in Pinterest's settings; otherwise the access token lapses
        within 30 days and the refresh token, no longer used, within 60.
        Should Pinterest extend the endpoint to people's tokens, this is where
        it goes."""
        return False

    def _token_request(self, app: AppCredentials, form: dict[str, str], *, refreshing: bool,
                       requested: tuple[str, ...] = ()) -> Tokens:
        return oauth_tokens.request(NAME, self.display_name, app, _api("/v5/oauth/token"), form,
                                    client_auth="basic",
                                    refused=lambda response: _token_error(response, refreshing=refreshing),
                                    requested=requested)

    # --- account ----------------------------------------------------------------
    def profile(self, tokens: Tokens) -> Profile:
        response = http.send(NAME, "GET", _api("/v5/user_account"), idempotent=True, headers=_bearer(tokens))
        if response.status_code != 200:
            raise _error(response, "reading your Pinterest profile")
        body = http.json_object(response)
        if not body.get("id") or not body.get("username"):
            raise Transient(NAME, "Pinterest answered without an account id; will retry.", status=200)
        followers = body.get("follower_count")
        return Profile(account_id=str(body["id"]), handle=body["username"],
                       display_name=body.get("business_name") or body["username"],
                       avatar_url=body.get("profile_image") or None,
                       followers_count=int(followers) if isinstance(followers, int) else None)

    def boards(self, tokens: Tokens) -> list[Board]:
        """The boards a person can pin to: their own and group boards they joined."""
        return [Board(id=str(b["id"]), name=str(b.get("name") or ""), privacy=b.get("privacy"),
                      owner_username=(b.get("owner") or {}).get("username"))
                for b in self._pages(tokens, "/v5/boards", "listing your Pinterest boards")]

    def sections(self, tokens: Tokens, board_id: str) -> list[BoardSection]:
        if not _is_id(board_id):
            raise Permanent(NAME, "That is not a Pinterest board id; choose the board again.")
        return [BoardSection(id=str(s["id"]), name=str(s.get("name") or ""))
                for s in self._pages(tokens, f"/v5/boards/{board_id}/sections", "listing the board's sections")]

    def _pages(self, tokens: Tokens, path: str, doing: str) -> Iterator[dict]:
        bookmark = None
        for _ in range(MAX_PAGES):
            params = {"page_size": BOARD_PAGE_SIZE, **({"bookmark": bookmark} if bookmark else {})}
            response = http.send(NAME, "GET", _api(path), idempotent=True, params=params, headers=_bearer(tokens))
            if response.status_code != 200:
                raise _error(response, doing)
            body = http.json_object(response)
            yield from (item for item in body.get("items") or [] if isinstance(item, dict) and item.get("id"))
            bookmark = body.get("bookmark")
            if not bookmark:
                return

    # --- posts ------------------------------------------------------------------
    def validate(self, content: PostContent) -> list[Problem]:
        problems: list[Problem] = []
        options = content.options or {}
        if content.thread:
            problems.append(Problem("thread", "Pinterest has no threads: publish each part as its own Pin."))
        if content.first_comment:
            problems.append(Problem("first_comment", "Pinterest's API cannot add comments, so there is no first "
                                                     "comment on Pinterest; put it in the description instead."))
        problems += self._board_problems(options)
        title = options.get("title")
        if title is not None and not isinstance(title, str):
            problems.append(Problem("options.title", "The Pin title must be text."))
        elif title and len(title) > MAX_TITLE:
            problems.append(Problem("options.title", f"The Pin title is {len(title):,} characters long and Pinterest "
                                                     f"allows {MAX_TITLE}; remove {len(title) - MAX_TITLE:,}."))
        length = len(content.text or "")
        if length > MAX_DESCRIPTION:
            problems.append(Problem("text", f"The Pin description is {length:,} characters long and Pinterest allows "
                                            f"{MAX_DESCRIPTION}; remove {length - MAX_DESCRIPTION:,}."))
        if content.link is not None:
            if not _is_web_address(content.link):
                problems.append(Problem("link", "The Pin's link must be a web address starting with http:// or "
                                                "https://."))
            elif len(content.link) > MAX_LINK:
                problems.append(Problem("link", f"The Pin's link is {len(content.link):,} characters long and "
                                                f"Pinterest allows {MAX_LINK:,}."))
        problems += self._media_problems(content.media, options)
        return problems

    def _board_problems(self, options: dict) -> list[Problem]:
        problems = []
        board, section = options.get("board_id"), options.get("board_section_id")
        if not board:
            problems.append(Problem("options.board_id", "Choose the Pinterest board this Pin goes on."))
        elif not _is_id(board):
            problems.append(Problem("options.board_id", "That is not a Pinterest board id; choose the board again."))
        if section is not None and not _is_id(section):
            problems.append(Problem("options.board_section_id", "That is not a Pinterest board section id; choose "
                                                                "the section again."))
        return problems

    def _media_problems(self, media: list[Media], options: dict) -> list[Problem]:
        problems: list[Problem] = []
        images = [m for m in media if m.kind == "image"]
        videos = [m for m in media if m.kind == "video"]
        if not media:
            problems.append(Problem("media", "A Pinterest Pin needs an image or a video."))
        if len(videos) > 1:
            problems.append(Problem("media", f"A Pinterest Pin takes one video; this one has {len(videos)}."))
        if videos and len(images) > 1:
            problems.append(Problem("media", "A Pinterest video Pin takes one video and at most one image, its "
                                             f"cover; this one has {len(images)} images."))
        if not videos and len(images) > MAX_CAROUSEL:
            problems.append(Problem("media", f"A Pinterest Pin takes up to {MAX_CAROUSEL} images (a carousel); "
                                             f"this one has {len(images)}."))
        for number, item in enumerate(media, 1):
            problems += self._item_problems(number, item)
        if not videos and len(images) > 1:
            problems += self._carousel_problems(media)
        if videos and not images:
            problems += self._cover_problems(options)
        return problems

    def _item_problems(self, number: int, item: Media) -> list[Problem]:
        where = f"media[{number - 1}]"
        label = f"{'Image' if item.kind == 'image' else 'Video'} {number}"
        problems = []
        if item.chunks is None and not (item.kind == "image" and item.url):
            problems.append(Problem(where, f"{label} has no file to upload."))
        if item.alt_text and len(item.alt_text) > MAX_ALT_TEXT:
            problems.append(Problem(where, f"The alt text of {label.lower()} is {len(item.alt_text):,} characters; "
                                           f"Pinterest allows {MAX_ALT_TEXT}."))
        if item.kind == "image":
            if item.mime_type not in IMAGE_TYPES:
                problems.append(Problem(where, f"{label} is {item.mime_type}; Pinterest takes PNG or JPEG images."))
            if item.size > MAX_IMAGE_BYTES:
                problems.append(Problem(where, f"{label} is {item.size:,} bytes; Pinterest takes images of up to "
                                               "20 MB."))
            return problems
        if item.mime_type not in VIDEO_TYPES:
            problems.append(Problem(where, f"{label} is {item.mime_type}; Pinterest takes MP4, MOV or M4V videos."))
        if item.size > MAX_VIDEO_BYTES:
            problems.append(Problem(where, f"{label} is {item.size:,} bytes; Pinterest takes videos of up to 2 GB."))
        if item.duration_s is not None and not MIN_VIDEO_SECONDS <= item.duration_s <= MAX_VIDEO_SECONDS:
            problems.append(Problem(where, f"{label} lasts {item.duration_s:g} seconds; Pinterest takes videos from "
                                           "4 seconds to 15 minutes."))
        if item.width and item.height and not MIN_VIDEO_RATIO <= item.width / item.height <= MAX_VIDEO_RATIO:
            problems.append(Problem(where, f"{label} is {item.width}x{item.height} pixels; Pinterest takes videos "
                                           "from 1:2 (tall) to 1.91:1 (wide). Crop it to 1:1, 2:3, 4:5 or 9:16."))
        return problems

    def _carousel_problems(self, media: list[Media]) -> list[Problem]:
        problems = []
        for number, item in enumerate(media, 1):
            if not item.url:
                problems.append(Problem(f"media[{number - 1}]", f"Image {number} has no web address; Pinterest "
                                                                "fetches every image of a carousel itself."))
        # One alt text serves the whole carousel (its items have no alt text field).
        alts = {m.alt_text for m in media if m.alt_text}
        if len(alts) > 1:
            problems.append(Problem("media", "Pinterest takes one alt text for a whole carousel: give every image "
                                             "the same alt text, or write it on the first image only."))
        return problems

    def _cover_problems(self, options: dict) -> list[Problem]:
        url, frame = options.get("cover_image_url"), options.get("cover_image_key_frame_time")
        if url is not None and not _is_web_address(url):
            return [Problem("options.cover_image_url", "The video's cover must be a web address starting with "
                                                       "http:// or https://.")]
        if frame is not None and (isinstance(frame, bool) or not isinstance(frame, int) or frame < 0):
            return [Problem("options.cover_image_key_frame_time", "The cover frame must be a whole number of "
                                                                   "seconds into the video.")]
        if url is None and frame is None:
            return [Problem("media", "A Pinterest video Pin needs a cover: add an image after the video, or choose "
                                     "a moment of the video as the cover.")]
        return []

    def publish(self, tokens: Tokens, content: PostContent) -> Published:
        problems = self.validate(content)
        if problems:
            raise Permanent(NAME, " ".join(p.message for p in problems), detail="validation")
        options = content.options
        board_id, section_id = options["board_id"], options.get("board_section_id")
        # The board (and section) must be the person's before anything is uploaded.
        self._check_board(tokens, board_id, section_id)
        body = {"board_id": board_id, "media_source": self._media_source(tokens, content)}
        if section_id:
            body["board_section_id"] = section_id
        if options.get("title"):
            body["title"] = options["title"]
        if content.text:
            body["description"] = content.text
        if content.link:
            body["link"] = content.link
        alt_text = _alt_text(content.media)
        if alt_text:
            body["alt_text"] = alt_text

        response = http.send(NAME, "POST", _api("/v5/pins"), idempotent=False, headers=_bearer(tokens), json=body)
        if response.status_code not in (200, 201):
            raise _error(response, "creating the Pin")
        pin_id = http.json_object(response).get("id")
        if not pin_id:
            raise OutcomeUnknown(NAME, "Pinterest accepted the Pin but did not say which Pin it is; check the board "
                                       "before trying again.", status=response.status_code)
        return Published(post_id=str(pin_id), url=pin_url(str(pin_id)))

    def _check_board(self, tokens: Tokens, board_id: str, section_id: str | None) -> None:
        response = http.send(NAME, "GET", _api(f"/v5/boards/{board_id}"), idempotent=True, headers=_bearer(tokens))
        if response.status_code in (403, 404):
            raise Permanent(NAME, "That Pinterest board is not one of yours (or no longer exists); choose one of your "
                                  "boards.", status=response.status_code,
                            detail=f"board {response.status_code} {http.json_object(response).get('code')}")
        if response.status_code != 200:
            raise _error(response, "checking the board")
        if section_id and section_id not in {s.id for s in self.sections(tokens, board_id)}:
            raise Permanent(NAME, "That section is not on the chosen Pinterest board; choose the section again.",
                            detail="section not on board")

    # --- media ------------------------------------------------------------------
    def _media_source(self, tokens: Tokens, content: PostContent) -> dict:
        images = [m for m in content.media if m.kind == "image"]
        videos = [m for m in content.media if m.kind == "video"]
        if videos:
            source = {"source_type": "video_id", "media_id": self._upload_video(tokens, videos[0])}
            return {**source, **self._cover(images[0] if images else None, content.options)}
        if len(images) > 1:
            return {"source_type": "multiple_image_urls", "items": [{"url": m.url} for m in images]}
        image = images[0]
        if image.url:
            return {"source_type": "image_url", "url": image.url}
        return {"source_type": "image_base64", "content_type": image.mime_type,
                "data": base64.b64encode(_read_whole(image)).decode()}

    def _cover(self, image: Media | None, options: dict) -> dict:
        if image is not None and image.url:
            return {"cover_image_url": image.url}
        if image is not None:
            return {"cover_image_content_type": image.mime_type,
                    "cover_image_data": base64.b64encode(_read_whole(image)).decode()}
        if options.get("cover_image_url"):
            return {"cover_image_url": options["cover_image_url"]}
        return {"cover_image_key_frame_time": options["cover_image_key_frame_time"]}

    def _upload_video(self, tokens: Tokens, video: Media) -> str:
        response = http.send(NAME, "POST", _api("/v5/media"), idempotent=True, headers=_bearer(tokens),
                             json={"media_type": "video"})
        if response.status_code not in (200, 201):
            raise _error(response, "preparing the video upload")
        body = http.json_object(response)
        media_id, upload_url = body.get("media_id"), body.get("upload_url")
        fields = body.get("upload_parameters")
        if not media_id or not upload_url or not isinstance(fields, dict):
            raise Transient(NAME, "Pinterest did not give an upload address for the video; will retry.",
                            status=response.status_code)
        extension = VIDEO_TYPES[video.mime_type]
        stream = _ChunkFile(video.chunks(UPLOAD_CHUNK), video.size)
        put = http.send(NAME, "POST", upload_url, idempotent=True,
                        data={str(k): str(v) for k, v in fields.items()},
                        files={"file": (f"video.{extension}", stream, video.mime_type)})
        if put.status_code not in (200, 201, 204):
            storage_code = re.search(r"<Code>([^<]{1,64})</Code>", put.text)
            raise http.classify_status(NAME, put, "", " ".join(
                [str(put.status_code), *(storage_code.groups() if storage_code else ())]))
        self._wait_for_video(tokens, str(media_id))
        return str(media_id)

    def _wait_for_video(self, tokens: Tokens, media_id: str) -> None:
        for delay in (0.0, *VIDEO_WAIT_DELAYS):
            if delay:
                _pause(delay)
            response = http.send(NAME, "GET", _api(f"/v5/media/{media_id}"), idempotent=True,
                                 headers=_bearer(tokens))
            if response.status_code != 200:
                raise _error(response, "checking the video")
            status = http.json_object(response).get("status")
            if status == "succeeded":
                return
            if status == "failed":
                raise Permanent(NAME, "Pinterest could not process the video; check it is a valid MP4, MOV or M4V "
                                      "file.", detail="media failed")
        raise Transient(NAME, "Pinterest is still processing the video; will retry.", detail="media not succeeded")

    # --- after publishing -------------------------------------------------------
    def delete(self, tokens: Tokens, post_id: str) -> None:
        if not _is_id(post_id):
            raise Permanent(NAME, "That is not a Pinterest Pin id.", detail="bad pin id")
        response = http.send(NAME, "DELETE", _api(f"/v5/pins/{post_id}"), idempotent=True, headers=_bearer(tokens))
        # 404: already gone (deleted on Pinterest itself), which is what was asked.
        if response.status_code not in (200, 204, 404):
            raise _error(response, "deleting the Pin")

    def metrics(self, tokens: Tokens, post_id: str) -> Metrics:
        """Likes are reactions, reposts are saves (a save re-pins the Pin to
        another board), replies are comments, views are impressions. Each comes
        from the lifetime totals where Pinterest gives them, else from the last
        90 days (Pinterest reaches no further back)."""
        if not _is_id(post_id):
            raise Permanent(NAME, "That is not a Pinterest Pin id.", detail="bad pin id")
        today = clock.now().astimezone(_dt.timezone.utc).date()
        params = {"start_date": (today - _dt.timedelta(days=ANALYTICS_DAYS)).isoformat(),
                  "end_date": today.isoformat(), "metric_types": ",".join(ANALYTICS_METRICS)}
        response = http.send(NAME, "GET", _api(f"/v5/pins/{post_id}/analytics"), idempotent=True, params=params,
                             headers=_bearer(tokens))
        if response.status_code != 200:
            raise _error(response, "reading the Pin's statistics")
        totals = http.json_object(response).get("all")
        totals = totals if isinstance(totals, dict) else {}
        lifetime = totals.get("lifetime_metrics") if isinstance(totals.get("lifetime_metrics"), dict) else {}
        summary = totals.get("summary_metrics") if isinstance(totals.get("summary_metrics"), dict) else {}

        def count(metric: str) -> int | None:
            for value in (lifetime.get(metric), summary.get(metric)):
                if isinstance(value, int | float) and not isinstance(value, bool):
                    return int(value)
            return None

        return Metrics(likes=count("TOTAL_REACTIONS"), reposts=count("SAVE"), replies=count("TOTAL_COMMENTS"),
                       views=count("IMPRESSION"))


def _pause(seconds: float) -> None:
    time.sleep(seconds)


PLATFORM = PinterestPlatform()
