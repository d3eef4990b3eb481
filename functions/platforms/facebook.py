"""Facebook Pages, through Meta's Graph API (graph.facebook.com).

What the module relies on, from Meta's documentation:
- OAuth is Facebook Login's manual flow: the Login dialog
  (`www.facebook.com/{version}/dialog/oauth`), then `GET /oauth/access_token`
  with the code (a short-lived user token), exchanged at once with
  `grant_type=fb_exchange_token` for a long-lived user token ("generally lasts
  about 60 days"). `GET /me?fields=id,permissions` says what the person granted.
- Postr publishes as a Page, chosen after sign-in: `GET /me/accounts` lists the
  Pages the person granted postr, each with its tasks and a Page access token.
  A Page token obtained with a long-lived user token has no expiry date (Meta:
  long-lived Page access tokens "do not have an expiration date and only expire
  or are invalidated under certain conditions": a password change, losing the
  Page role, removing the app). So `refresh` renews only the user token (by
  exchanging it again) and keeps the Page token; the user token is still needed
  for video uploads and listing Pages.
- Publishing, with the Page token: `POST /{page-id}/feed` (message, link,
  attached_media), `POST /{page-id}/photos` (url or an uploaded `source`,
  caption, alt_text_custom; `published=false` for the photos of a multi-photo
  post), videos through the Resumable Upload API with the user token
  (`POST /{app-id}/uploads`, `POST /upload:{session}` with a `file_offset`
  header, `GET /upload:{session}` for where to resume) then
  `POST graph-video.facebook.com/{page-id}/videos` with the file handle
  (`fbuploader_video_file_chunk`), or with `file_url` when Facebook is to fetch
  the file itself. First comment: `POST /{object-id}/comments`. Delete:
  `DELETE /{object-id}`.
- Metrics: reaction and comment summaries and `shares` of the post, views from
  the `post_media_view` insight (which replaced `post_impressions` on November
  15, 2025); for a video, `total_video_views` from its video insights.
- Errors are Graph error bodies {"error": {"message", "type", "code",
  "error_subcode", "error_user_msg", "is_transient", "fbtrace_id"}}; Page
  requests are throttled by Business Use Case limits, whose
  `X-Business-Use-Case-Usage` header says in minutes when access comes back.

Tokens travel as the documented `access_token` parameter: in the query of GET
and DELETE requests, in the form body of POST requests, and in an
`Authorization: OAuth` header for file uploads, as the Resumable Upload API
requires. `Tokens.access_token` is the long-lived user token; `Tokens.extra`
holds the user id, our app id (the upload session belongs to it) and, once a
Page is chosen, the Page id and Page token (sealed at rest with the rest).
"""

import datetime as _dt
import json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from firebase_functions.params import StringParam

from platforms import http
from platforms.base import AppCredentials, Media, Metrics, PostContent, Problem, Profile, Published, Tokens
from platforms.errors import OutcomeUnknown, Permanent, PlatformError, Transient
from platforms.meta_graph import GraphPlatform, PermissionMissing

FACEBOOK_API_URL = StringParam("FACEBOOK_API_URL", default="https://graph.facebook.com")
# Meta sends video uploads and publishing to a host of their own.
FACEBOOK_VIDEO_API_URL = StringParam("FACEBOOK_VIDEO_API_URL", default="https://graph-video.facebook.com")
FACEBOOK_AUTH_URL = StringParam("FACEBOOK_AUTH_URL", default="https://www.facebook.com")

NAME = "facebook"
API_VERSION = "v27.0"
WEB = "https://www.facebook.com"

MB = 1024 * 1024
# Meta documents no limit for a Page post's text; 63,206 characters is the
# limit Facebook's own composer enforces and every scheduler cites. We count
# UTF-16 units (an emoji counts 2), as a JavaScript composer does, so nothing we
# accept is refused for length.
MAX_TEXT = 63206
# Meta documents no maximum for `attached_media`; ours keeps a publish to a
# bounded number of uploads (one request per photo).
MAX_PHOTOS = 10
# Facebook's own refusal reads "Photos should be less than 4 MB and saved as
# JPG, PNG, GIF, TIFF, HEIF or WebP files"; the Photo reference allows 10 MB and
# BMP. We hold to the stricter size so no photo we accept is refused.
IMAGE_TYPES = {"image/jpeg", "image/png", "image/gif", "image/tiff", "image/heif", "image/heic", "image/webp",
               "image/bmp"}
MAX_IMAGE_BYTES = 4 * MB
# Facebook fetches these from a link (file_url); the Resumable Upload API takes
# only video/mp4 among video types.
VIDEO_URL_TYPES = {"video/mp4", "video/quicktime", "video/x-m4v"}
VIDEO_UPLOAD_TYPES = {"video/mp4"}
MAX_VIDEO_BYTES = 10 * 1024 * MB
MAX_VIDEO_SECONDS = 240 * 60
MIN_VIDEO_RATIO, MAX_VIDEO_RATIO = 9 / 16, 16 / 9
MAX_TITLE = 255

# Upload pieces: one piece in memory at a time; a dropped piece costs this much.
UPLOAD_CHUNK = 8 * MB
# A piece that fails is resumed from the offset Facebook reports, this often.
MAX_RESUMES = 3
RESUME_DELAYS = (1.0, 2.0, 4.0)
# /me/accounts pages of 100: enough for anyone managing 1,000 Pages.
MAX_ACCOUNT_PAGES = 10

REQUIRED_PERMISSIONS = ("pages_show_list", "pages_manage_posts", "pages_read_engagement")
PERMISSION_PURPOSE = {
    "pages_show_list": "see your Pages",
    "pages_manage_posts": "publish and delete posts on your Page",
    "pages_read_engagement": "read your Page and its posts",
}

RATE_LIMIT_CODES = frozenset({4, 17, 32, 341, 613, 80001})
TRANSIENT_CODES = frozenset({1, 2})
DUPLICATE_POST = 506
BLOCKED = 368
LINK_ERROR = 1609005

_NUMERIC_ID = re.compile(r"\d{1,32}")
_OBJECT_ID = re.compile(r"\d{1,32}(?:_\d{1,32})?")


class PageNotSelected(Permanent):
    """Signed in, but no Page chosen yet: list `pages(...)`, then `select_page`."""


@dataclass(frozen=True)
class Page:
    """A Page the person can choose (no token: those stay on the server)."""

    id: str
    name: str
    picture_url: str | None
    tasks: tuple[str, ...]

    @property
    def can_publish(self) -> bool:
        return "CREATE_CONTENT" in self.tasks


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class FacebookPlatform(GraphPlatform):
    name = NAME
    display_name = "Facebook"
    api_url = FACEBOOK_API_URL
    api_version = API_VERSION
    rate_limit_codes = RATE_LIMIT_CODES
    transient_codes = TRANSIENT_CODES
    bare_true_is_success = True
    # Postr acts as a Page here, so the shared sentences name the Page.
    permission_words = ("Facebook no longer lets postr do this on your Page; reconnect Facebook, allow every "
                        "permission it asks for and choose the Page again.")
    rate_limited_words = "Facebook is limiting requests for this Page; will retry."
    unreadable_outcome = "Facebook's answer was unreadable; the post may have gone through."
    uses_pkce = False
    # pages_show_list: /me/accounts; pages_manage_posts: publish and delete;
    # pages_read_engagement: the Page's fields, post reactions/comments/shares
    # (and required with pages_manage_posts to publish); pages_manage_engagement:
    # the first comment, as the Page; read_insights: views (post_media_view).
    scopes = ("pages_show_list", "pages_manage_posts", "pages_read_engagement", "pages_manage_engagement",
              "read_insights")
    revokes = True
    supports_threads = False
    supports_first_comment = True
    supports_video = True

    def __init__(self, *, chunk_size: int = UPLOAD_CHUNK, sleep: Callable[[float], None] = time.sleep):
        self.chunk_size = chunk_size
        self.sleep = sleep

    # --- OAuth -----------------------------------------------------------------
    def authorization_url(self, app: AppCredentials, *, state: str, redirect_uri: str,
                          code_challenge: str | None = None) -> str:
        import urllib.parse

        query = urllib.parse.urlencode({
            "client_id": app.client_id,
            "redirect_uri": redirect_uri,
            "state": state,
            "response_type": "code",
            "scope": ",".join(self.scopes),
        })
        return f"{FACEBOOK_AUTH_URL.value.rstrip('/')}/{API_VERSION}/dialog/oauth?{query}"

    def exchange_code(self, app: AppCredentials, *, code: str, redirect_uri: str,
                      code_verifier: str | None = None) -> Tokens:
        short = self._call("GET", "/oauth/access_token", params={
            "client_id": app.client_id,
            "redirect_uri": redirect_uri,
            "client_secret": app.client_secret or "",
            "code": code,
        })
        if not short.get("access_token"):
            raise Permanent(NAME, "Facebook did not return an access token; connect Facebook again.")
        # The code's token lasts hours; a schedule needs the 60-day one.
        long = self._exchange(app, short["access_token"])
        me = self._call("GET", "/me", token=long["access_token"], params={"fields": "id,permissions"})
        granted = [p.get("permission") for p in (me.get("permissions") or {}).get("data") or []
                   if p.get("status") == "granted"]
        missing = [p for p in REQUIRED_PERMISSIONS if p not in granted]
        if missing:
            needs = ", ".join(PERMISSION_PURPOSE[p] for p in missing)
            raise Permanent(NAME, f"Facebook did not give postr permission to {needs}. Connect Facebook again and "
                                  "allow every permission it asks for.", detail="declined " + ",".join(missing))
        if not me.get("id"):
            raise Permanent(NAME, "Facebook did not say which account signed in; connect Facebook again.")
        # What the person granted (`/me?fields=permissions`, status "granted"),
        # not what was asked: Facebook Login lets them decline any permission.
        return self._tokens(long, scopes=[s for s in self.scopes if s in granted],
                            extra={"user_id": str(me["id"]), "app_id": app.client_id})

    def refresh(self, app: AppCredentials, tokens: Tokens) -> Tokens:
        """Exchanges the long-lived user token for a fresh one (Meta: "You can
        not use an expired token to request a long-lived token", so an expired
        one means reconnecting). The Page token is kept as it is: it does not
        expire."""
        fresh = self._exchange(app, tokens.access_token)
        return self._tokens(fresh, scopes=list(tokens.scopes), extra=dict(tokens.extra))

    def revoke(self, app: AppCredentials, tokens: Tokens) -> bool:
        """Removes postr's permissions (`DELETE /{user-id}/permissions`, Graph
        API reference user/permissions: "must be made with a user access
        token or an app access token for the current app", answered `true`),
        which also ends every Page token it holds. With the user id and our
        app secret it uses the app token, which works even after the user
        token lapsed; otherwise the user token on /me, where a lapsed token is
        an AuthExpired (Meta does not say it counts as revoked)."""
        user_id = str(tokens.extra.get("user_id") or "")
        if _NUMERIC_ID.fullmatch(user_id) and app.client_secret:
            body = self._call("DELETE", f"/{user_id}/permissions", token=f"{app.client_id}|{app.client_secret}")
        else:
            body = self._call("DELETE", "/me/permissions", token=tokens.access_token)
        return body.get("success") is True

    def _exchange(self, app: AppCredentials, user_token: str) -> dict:
        body = self._call("GET", "/oauth/access_token", params={
            "grant_type": "fb_exchange_token",
            "client_id": app.client_id,
            "client_secret": app.client_secret or "",
            "fb_exchange_token": user_token,
        })
        if not body.get("access_token"):
            raise Permanent(NAME, "Facebook did not return an access token; connect Facebook again.")
        return body

    # --- Page selection -----------------------------------------------------------
    def pages(self, tokens: Tokens) -> list[Page]:
        """The Pages the person granted postr, to choose from."""
        return [_page(item) for item in self._accounts(tokens, "id,name,tasks,picture")]

    def select_page(self, tokens: Tokens, page_id: str) -> Tokens:
        """The tokens with this Page chosen: its id and Page token in `extra`.
        Refuses a Page the person does not manage or may not publish to."""
        page_id = str(page_id or "").strip()
        if not _NUMERIC_ID.fullmatch(page_id):
            raise Permanent(NAME, "That is not a Facebook Page id.", detail="bad page id")
        for item in self._accounts(tokens, "id,name,tasks,picture,access_token"):
            if str(item.get("id")) != page_id:
                continue
            page = _page(item)
            if not page.can_publish:
                raise Permanent(NAME, f"Your role on the Page “{page.name}” does not let you publish; ask one of "
                                      "its admins for a role that can create content.", detail="no CREATE_CONTENT")
            if not item.get("access_token"):
                raise Permanent(NAME, "Facebook did not give postr access to that Page; connect Facebook again and "
                                      "choose the Page when asked.", detail="no page token")
            return Tokens(access_token=tokens.access_token, refresh_token=tokens.refresh_token,
                          expires_at=tokens.expires_at, scopes=list(tokens.scopes),
                          extra={**tokens.extra, "page_id": page_id, "page_token": item["access_token"]})
        raise Permanent(NAME, "You do not manage that page, or did not let postr use it: connect Facebook again "
                              "and choose it when Facebook asks which Pages postr may use.",
                        detail="page not in /me/accounts")

    def _accounts(self, tokens: Tokens, fields: str) -> list[dict]:
        found: list[dict] = []
        after = None
        for _ in range(MAX_ACCOUNT_PAGES):
            params = {"fields": fields, "limit": "100"}
            if after:
                params["after"] = after
            body = self._call("GET", "/me/accounts", token=tokens.access_token, params=params)
            found += [item for item in body.get("data") or [] if isinstance(item, dict)]
            paging = body.get("paging") or {}
            after = (paging.get("cursors") or {}).get("after")
            if not paging.get("next") or not after:
                break
        return found

    # --- account ----------------------------------------------------------------
    def profile(self, tokens: Tokens) -> Profile:
        """The chosen Page. `followers_count` is the Page's followers; Pages that
        only report `fan_count` (people who like it) give that instead."""
        page_id, page_token = _selected(tokens)
        page = self._call("GET", f"/{page_id}", token=page_token,
                          params={"fields": "id,name,username,picture,followers_count,fan_count"})
        followers = page.get("followers_count")
        if not isinstance(followers, int):
            followers = page.get("fan_count") if isinstance(page.get("fan_count"), int) else None
        return Profile(
            account_id=str(page.get("id") or page_id),
            handle=page.get("username") or str(page.get("id") or page_id),
            display_name=page.get("name") or "",
            avatar_url=_picture(page),
            followers_count=followers,
        )

    # --- validation ----------------------------------------------------------------
    def validate(self, content: PostContent) -> list[Problem]:
        problems: list[Problem] = []
        if content.thread:
            problems.append(Problem("thread", "Facebook Pages have no threads: publish the parts as separate posts, "
                                              "or join them into one post."))
        length = utf16_length(content.text)
        if length > MAX_TEXT:
            problems.append(Problem("text", f"Facebook allows {MAX_TEXT:,} characters (an emoji counts as 2); "
                                            f"this text counts {length:,}."))
        if not content.text.strip() and not content.media and not content.link:
            problems.append(Problem("text", "A Facebook post needs some text, a link, a photo or a video."))
        if content.link is not None:
            problems += _link_problems(content.link)
            if content.media:
                problems.append(Problem("link", "Facebook shows a link preview only on posts without photos or "
                                                "video; put the link in the text instead."))
        problems += _media_problems(content.media)
        title = content.options.get("title")
        if title is not None:
            if not content.media or content.media[0].kind != "video":
                problems.append(Problem("options.title", "Only a video has a title on Facebook."))
            elif not isinstance(title, str) or len(title) > MAX_TITLE:
                problems.append(Problem("options.title", f"A video title is text of at most {MAX_TITLE} characters."))
        if content.first_comment is not None:
            if not content.first_comment.strip():
                problems.append(Problem("first_comment", "The first comment is empty."))
            elif utf16_length(content.first_comment) > MAX_TEXT:
                problems.append(Problem("first_comment", f"A comment on Facebook can be at most {MAX_TEXT:,} "
                                                         "characters."))
        return problems

    # --- publishing ----------------------------------------------------------------
    def publish(self, tokens: Tokens, content: PostContent) -> Published:
        problems = self.validate(content)
        if problems:
            raise Permanent(NAME, "This post cannot go to Facebook: " + " ".join(p.message for p in problems),
                            detail="validation")
        page_id, page_token = _selected(tokens)
        media = content.media
        if media and media[0].kind == "video":
            post_id = self._publish_video(tokens, page_id, page_token, content)
        elif len(media) == 1:
            post_id = self._publish_photo(page_id, page_token, content.text, media[0])
        elif media:
            post_id = self._publish_photos(page_id, page_token, content.text, media)
        else:
            fields = {k: v for k, v in (("message", content.text), ("link", content.link)) if v}
            post_id = _created_id(self._call("POST", f"/{page_id}/feed", token=page_token, data=fields,
                                             idempotent=False))
        url = self._permalink(page_token, post_id)
        comment_id = None
        if content.first_comment:
            try:
                comment_id = _created_id(self._call("POST", f"/{post_id}/comments", token=page_token,
                                                    data={"message": content.first_comment}, idempotent=False))
            except PlatformError as exc:
                # The post is live: say so, so the caller records it instead of
                # publishing it a second time.
                exc.partial = Published(post_id=post_id, url=url)
                raise
        return Published(post_id=post_id, url=url, comment_id=comment_id)

    def _publish_photo(self, page_id: str, page_token: str, text: str, media: Media) -> str:
        fields = {"caption": text} if text else {}
        if media.alt_text:
            fields["alt_text_custom"] = media.alt_text
        body = self._call("POST", f"/{page_id}/photos", token=page_token, idempotent=False,
                          **_photo_source(media, fields))
        # A published Page photo answers with the photo and its post; the post
        # is what comments, metrics and delete address.
        return str(body.get("post_id") or _created_id(body))

    def _publish_photos(self, page_id: str, page_token: str, text: str, media: list[Media]) -> str:
        attached = {}
        for i, item in enumerate(media):
            fields = {"published": "false"}
            if item.alt_text:
                fields["alt_text_custom"] = item.alt_text
            # An unpublished photo is invisible until a post attaches it, so
            # sending one again after a lost answer harms nothing.
            photo = self._call("POST", f"/{page_id}/photos", token=page_token, **_photo_source(item, fields))
            attached[f"attached_media[{i}]"] = json.dumps({"media_fbid": _created_id(photo, transient=True)})
        fields = {"message": text} if text else {}
        return _created_id(self._call("POST", f"/{page_id}/feed", token=page_token, data={**fields, **attached},
                                      idempotent=False))

    def _publish_video(self, tokens: Tokens, page_id: str, page_token: str, content: PostContent) -> str:
        """Our bytes go up when we have them (the documented flow; a signed link
        may lapse before Facebook gets round to fetching a large file);
        otherwise Facebook fetches the file from its link (`file_url`)."""
        media = content.media[0]
        fields = {"description": content.text} if content.text else {}
        if content.options.get("title"):
            fields["title"] = content.options["title"]
        if _uploads(media):
            fields["fbuploader_video_file_chunk"] = self._upload(tokens, media)
        else:
            fields["file_url"] = media.url
        return _created_id(self._call("POST", f"/{page_id}/videos", token=page_token, data=fields,
                                      base=FACEBOOK_VIDEO_API_URL.value, idempotent=False))

    def _upload(self, tokens: Tokens, media: Media) -> str:
        """The Resumable Upload API: a session for our app, then the file in
        pieces, each POSTed with the offset it starts at. A piece that fails is
        resumed from the offset Facebook says it holds. Returns the file handle."""
        app_id = str(tokens.extra.get("app_id") or "")
        if not _NUMERIC_ID.fullmatch(app_id):
            raise Permanent(NAME, "This Facebook connection predates video uploads; connect Facebook again.",
                            detail="no app id")
        session = self._call("POST", f"/{app_id}/uploads", token=tokens.access_token, data={
            "file_name": "video.mp4", "file_length": str(media.size), "file_type": media.mime_type})
        session_id = str(session.get("id") or "")
        # The id may carry its own query (`upload:<id>?sig=<sig>`): it is used as given.
        if not re.fullmatch(r"upload:[^\s#]+", session_id) or ".." in session_id:
            raise Transient(NAME, "Facebook did not start the video upload; will retry.", detail="no session id")
        url = f"{FACEBOOK_API_URL.value.rstrip('/')}/{API_VERSION}/{session_id}"
        auth = {"Authorization": f"OAuth {tokens.access_token}"}
        offset, handle = 0, None
        for piece in _pieces(media, self.chunk_size):
            handle = self._send_piece(url, auth, offset, piece, last=offset + len(piece) >= media.size)
            offset += len(piece)
        if offset != media.size:
            raise Permanent(NAME, f"The video was {offset} bytes, not the {media.size} announced; upload it again.",
                            detail="size mismatch")
        if not handle:
            raise Transient(NAME, "Facebook did not confirm the video upload; will retry.", detail="no handle")
        return handle

    def _send_piece(self, url: str, auth: dict, start: int, piece: bytes, *, last: bool) -> str | None:
        end, sent_from = start + len(piece), start
        for attempt in range(MAX_RESUMES + 1):
            if attempt:
                self.sleep(RESUME_DELAYS[min(attempt - 1, len(RESUME_DELAYS) - 1)])
                try:
                    status = self._call("GET", url, headers=auth, absolute=True)
                except Transient:
                    if attempt == MAX_RESUMES:
                        raise
                    continue
                held = status.get("file_offset")
                if not isinstance(held, int) or not start <= held <= end:
                    raise Transient(NAME, "The video upload to Facebook lost its place; will retry.",
                                    detail=f"file_offset {held} outside {start}-{end}")
                if held == end:
                    # Facebook holds the whole piece; only the answer was lost.
                    # The last answer carries the handle, which no status read returns.
                    if last:
                        raise Transient(NAME, "Facebook did not confirm the video upload; will retry.",
                                        detail="final answer lost")
                    return None
                sent_from = held
            rest = piece[sent_from - start:]
            try:
                body = self._call("POST", url, headers={**auth, "file_offset": str(sent_from),
                                                        "Content-Type": "application/octet-stream",
                                                        "Content-Length": str(len(rest))},
                                  content=_once(rest), absolute=True)
                return body.get("h")
            except Transient:
                if attempt == MAX_RESUMES:
                    raise
        return None

    def _permalink(self, page_token: str, object_id: str) -> str | None:
        link = self._link(page_token, object_id, "permalink_url")
        # Videos answer with a path on facebook.com, posts with a full address.
        return f"{WEB}{link}" if isinstance(link, str) and link.startswith("/") else link

    # --- after publishing ------------------------------------------------------------
    def delete(self, tokens: Tokens, post_id: str) -> None:
        _check_object_id(post_id)
        _, page_token = _selected(tokens)
        body = self._call("DELETE", f"/{post_id}", token=page_token)
        if body.get("success") is not True:
            raise Permanent(NAME, "Facebook did not delete the post.", detail="no success")

    def metrics(self, tokens: Tokens, post_id: str) -> Metrics:
        """likes: all reactions (Like, Love, Haha...), as Facebook totals them;
        replies: comments; reposts: shares (a post's `shares` is absent until
        someone shares it, and a video has none: None then); views:
        post_media_view, or total_video_views for a video. Views need
        read_insights and a Page with 100 or more likes; otherwise None."""
        _check_object_id(post_id)
        _, page_token = _selected(tokens)
        is_video = "_" not in post_id
        fields = "reactions.summary(total_count).limit(0),comments.summary(total_count).limit(0)"
        body = self._call("GET", f"/{post_id}", token=page_token,
                          params={"fields": fields if is_video else fields + ",shares"})
        shares = (body.get("shares") or {}).get("count") if isinstance(body.get("shares"), dict) else None
        if is_video:
            views = self._insight(page_token, f"/{post_id}/video_insights", "total_video_views")
        else:
            views = self._insight(page_token, f"/{post_id}/insights", "post_media_view")
        return Metrics(likes=_summary_count(body, "reactions"), replies=_summary_count(body, "comments"),
                       reposts=shares if isinstance(shares, int) else None, views=views)

    def _insight(self, page_token: str, path: str, metric: str) -> int | None:
        try:
            body = self._call("GET", path, token=page_token, params={"metric": metric})
        except (PermissionMissing, Permanent):
            return None  # no read_insights, or a metric Facebook does not give for this post
        for item in body.get("data") or []:
            if not isinstance(item, dict) or item.get("name") != metric:
                continue
            values = item.get("values") or []
            value = values[-1].get("value") if values and isinstance(values[-1], dict) else None
            return value if isinstance(value, int) else None
        return None

    # --- tokens ----------------------------------------------------------------------
    def _tokens(self, body: dict, *, scopes: list[str], extra: dict) -> Tokens:
        # Not ContainerPlatform's: callers check the token first, and an
        # `expires_in` that is not whole seconds leaves the expiry unknown.
        expires_at = None
        if str(body.get("expires_in") or "").isdigit():
            from kernel import clock

            expires_at = clock.now() + _dt.timedelta(seconds=int(body["expires_in"]))
        return Tokens(access_token=body["access_token"], refresh_token=None, expires_at=expires_at,
                      scopes=scopes, extra=extra)

    # --- errors ---------------------------------------------------------------------
    def _known_refusal(self, error: dict, said: str, kw: dict) -> PlatformError | None:
        code = error.get("code")
        if code == DUPLICATE_POST:
            return Permanent(NAME, "Facebook refuses to publish the same post twice in a row; change it a little.",
                             **kw)
        if code == BLOCKED:
            return Permanent(NAME, "Facebook has blocked this action on your Page for now, as against its policies"
                                   + (f": {said}" if said else "."), **kw)
        if code == LINK_ERROR:
            return Permanent(NAME, "Facebook could not read the link; check that the address opens.", **kw)
        return None

    def _retry_after(self, response) -> float | None:
        """Seconds to wait: Business Use Case limits say it in minutes
        (`estimated_time_to_regain_access`); else Retry-After, if any."""
        raw = response.headers.get("x-business-use-case-usage")
        if raw:
            try:
                usage = json.loads(raw)
                minutes = [entry.get("estimated_time_to_regain_access") for entries in usage.values()
                           for entry in entries if isinstance(entry, dict)]
                minutes = [m for m in minutes if isinstance(m, int | float) and m > 0]
                if minutes:
                    return float(max(minutes)) * 60
            except (ValueError, AttributeError, TypeError):
                pass
        return http.retry_after(response)


def _selected(tokens: Tokens) -> tuple[str, str]:
    page_id, page_token = tokens.extra.get("page_id"), tokens.extra.get("page_token")
    if not page_id or not page_token:
        raise PageNotSelected(NAME, "Choose which Facebook Page postr should publish to.", detail="no page chosen")
    return str(page_id), str(page_token)


def _check_object_id(object_id: str) -> None:
    if not _OBJECT_ID.fullmatch(object_id or ""):
        raise Permanent(NAME, "That is not a Facebook post id.", detail="bad post id")


def _created_id(body: dict, *, transient: bool = False) -> str:
    object_id = str(body.get("id") or "")
    if not _OBJECT_ID.fullmatch(object_id):
        if transient:
            raise Transient(NAME, "Facebook did not accept the photo; will retry.", detail="no id")
        raise OutcomeUnknown(NAME, "Facebook answered without the post's id; it may be on your Page.", detail="no id")
    return object_id


def _page(item: dict) -> Page:
    return Page(id=str(item.get("id")), name=item.get("name") or "", picture_url=_picture(item),
                tasks=tuple(t for t in item.get("tasks") or [] if isinstance(t, str)))


def _picture(node: dict) -> str | None:
    picture = node.get("picture")
    data = picture.get("data") if isinstance(picture, dict) else None
    return data.get("url") if isinstance(data, dict) else None


def _summary_count(body: dict, edge: str) -> int | None:
    node = body.get(edge)
    summary = node.get("summary") if isinstance(node, dict) else None
    count = summary.get("total_count") if isinstance(summary, dict) else None
    return count if isinstance(count, int) else None


def _uploads(media: Media) -> bool:
    """Bytes go up through the Resumable Upload API when we have them and it
    takes the type; otherwise Facebook fetches the file from its link."""
    return media.chunks is not None and media.mime_type in VIDEO_UPLOAD_TYPES


def _photo_source(media: Media, fields: dict) -> dict:
    """A photo's link when it has one (Facebook fetches it while answering);
    otherwise its bytes, uploaded as `source`."""
    if media.url:
        return {"data": {**fields, "url": media.url}}
    # A photo is at most 4 MB (validate), so it is read whole, never more.
    data = bytearray()
    for piece in media.chunks(256 * 1024):
        data += piece
        if len(data) > MAX_IMAGE_BYTES:
            raise Permanent(NAME, "The photo is larger than announced and than Facebook takes (4 MB).",
                            detail="photo too large")
    extension = media.mime_type.split("/")[-1]
    return {"data": fields, "files": {"source": (f"photo.{extension}", bytes(data), media.mime_type)}}


def _once(data: bytes) -> Iterator[bytes]:
    """The body as a one-shot stream. httpx keeps a request's body alive in a
    reference cycle (response <-> stream) until the garbage collector runs;
    given bytes, every piece sent would stay in memory until then. A spent
    generator lets go of its piece at once; Content-Length is set by the caller,
    so the body is sent as one sized message, not chunked."""
    yield data


def _pieces(media: Media, size: int) -> Iterator[bytes]:
    """The file in `size`-byte pieces (the last shorter), whatever sizes
    `Media.chunks` yields; about one piece in memory at a time."""
    buffer = bytearray()
    for piece in media.chunks(size):
        buffer += piece
        while len(buffer) >= size:
            yield bytes(buffer[:size])
            del buffer[:size]
    if buffer:
        yield bytes(buffer)


def _link_problems(link: str) -> list[Problem]:
    import urllib.parse

    parts = urllib.parse.urlsplit(link.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return [Problem("link", "The link must be a web address starting with http:// or https://.")]
    return []


def _media_problems(media: list[Media]) -> list[Problem]:
    problems: list[Problem] = []
    videos = [m for m in media if m.kind == "video"]
    if videos and len(media) > 1:
        problems.append(Problem("media", "A Facebook post carries one video, or photos, not both or several videos."))
    elif len(media) > MAX_PHOTOS:
        problems.append(Problem("media", f"postr publishes at most {MAX_PHOTOS} photos in one Facebook post; "
                                         f"this one has {len(media)}."))
    for i, item in enumerate(media, start=1):
        label = f"media[{i}]"
        if item.kind == "image":
            problems += _image_problems(item, label)
        elif item.kind == "video":
            problems += _video_problems(item, label)
        else:
            problems.append(Problem(label, f"Facebook takes photos and videos, not {item.kind}."))
    return problems


def _image_problems(media: Media, label: str) -> list[Problem]:
    problems = []
    if media.mime_type not in IMAGE_TYPES:
        problems.append(Problem(label, f"Facebook takes JPG, PNG, GIF, TIFF, HEIF, WebP or BMP photos, "
                                       f"not {media.mime_type}."))
    if media.size <= 0:
        problems.append(Problem(label, "This photo is empty."))
    elif media.size > MAX_IMAGE_BYTES:
        problems.append(Problem(label, f"Photos on Facebook must be under 4 MB; this one is {_mb(media.size)}."))
    if media.url is None and media.chunks is None:
        problems.append(Problem(label, "This photo has neither a link nor file data to send to Facebook."))
    return problems


def _video_problems(media: Media, label: str) -> list[Problem]:
    problems = []
    if media.mime_type not in VIDEO_URL_TYPES:
        problems.append(Problem(label, f"Facebook takes MP4 or MOV videos, not {media.mime_type}."))
    elif media.url is None and media.chunks is None:
        problems.append(Problem(label, "This video has neither a link nor file data to send to Facebook."))
    elif media.url is None and not _uploads(media):
        problems.append(Problem(label, "Facebook's upload takes MP4 only: convert this video to MP4, or give "
                                       "Facebook a link to fetch it from."))
    if media.size <= 0:
        problems.append(Problem(label, "This video is empty."))
    elif media.size > MAX_VIDEO_BYTES:
        problems.append(Problem(label, f"Videos on Facebook can be at most 10 GB; this one is {_mb(media.size)}."))
    if media.duration_s is not None and not 0 < media.duration_s <= MAX_VIDEO_SECONDS:
        problems.append(Problem(label, f"Videos on Facebook last up to 240 minutes; this one lasts "
                                       f"{media.duration_s / 60:.0f} minutes."))
    if media.width and media.height and not MIN_VIDEO_RATIO <= media.width / media.height <= MAX_VIDEO_RATIO:
        problems.append(Problem(label, f"This video is {media.width}x{media.height}; Facebook takes shapes from "
                                       "9:16 (tall) to 16:9 (wide)."))
    return problems


def _mb(size: int) -> str:
    return f"{size / MB:.1f} MB"


PLATFORM = FacebookPlatform()
