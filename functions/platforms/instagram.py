"""Instagram professional accounts (business and creator), through the
Instagram API with Instagram Login (graph.instagram.com).

Why Instagram Login and not Facebook Login: it needs no Facebook Page linked
to the account and no page selection, and its token is the account's own
(60 days, refreshed by itself). What it gives up: deleting a post through the
API (Meta's `DELETE /<IG_MEDIA_ID>` needs `instagram_manage_contents`, a
Facebook Login permission) and the ad-inclusive `total_*` metrics.

What the module relies on, from Meta's Instagram Platform documentation:
- OAuth: Business Login's authorization window (`www.instagram.com/oauth/
  authorize`, comma-separated `scope`), then `POST api.instagram.com/oauth/
  access_token` (form: client id and secret, code, redirect URI) for a
  one-hour token, the user id and the granted permissions (documented as
  `{"data": [{...}]}`; a flat object is also seen and read). That token is
  exchanged at once for a 60-day one (`GET /access_token?grant_type=
  ig_exchange_token`), which refreshes itself (`GET /refresh_access_token?
  grant_type=ig_refresh_token`, at least 24 hours after it was issued). There
  is no refresh token, and no way to revoke one (see `revoke`). Scopes:
  instagram_business_basic (profile), instagram_business_content_publish,
  instagram_business_manage_comments (the first comment) and
  instagram_business_manage_insights (metrics).
- Profile: `GET /me?fields=user_id,username,name,profile_picture_url,
  followers_count`; `user_id` is the professional account's id, the one
  publishing uses (`id` is app-scoped).
- Publishing: a container (`POST /<IG_ID>/media`; Instagram downloads the
  file from `image_url`/`video_url` itself), polled (`GET /<container>?fields=
  status_code,status`) until FINISHED (IN_PROGRESS; ERROR, whose `status`
  carries an error subcode; EXPIRED after 24 hours; PUBLISHED), then `POST
  /<IG_ID>/media_publish` with `creation_id`. A single video is a reel
  (`media_type=REELS`; feed VIDEO ended in November 2023). A carousel is 2 to
  10 children (`is_carousel_item=true`; videos as `media_type=VIDEO`), then a
  CAROUSEL container with `children`. Captions go on the single container or
  the carousel, never on children; `alt_text` (up to 1,000 characters) on
  images only. An account may create 400 containers and publish 100 posts in
  any 24 hours. Meta recommends polling once a minute for at most 5 minutes.
- Limits: caption 2,200 characters (counted here in Unicode code points;
  Meta does not say how it counts), 30 hashtags, 20 @ tags (every
  occurrence counted). Images JPEG only
  (not MPO/JPS), 8 MB, aspect ratio 4:5 to 1.91:1 (width is rescaled to
  320-1440 by Instagram). Reels MOV or MP4, 300 MB, 3 seconds to 15 minutes,
  at most 1920 pixels wide, aspect ratio 0.01:1 to 10:1. Meta documents no
  separate limits for carousel videos; the reel limits are applied to them.
- First comment: `POST /<IG_MEDIA_ID>/comments` with `message`; Meta documents
  no length for it, so the caption's 2,200 characters are applied.
- Metrics: `GET /<IG_MEDIA_ID>/insights?metric=views,likes,comments,shares`
  (`values[0].value`). `impressions`, `plays` and `video_views` were removed
  in 2025; `views` replaced them. A metric Instagram has no data for is
  missing from the answer; a post with too few viewers answers (#10).
- Errors: Graph bodies `{"error": {"message", "type", "code",
  "error_subcode", "is_transient", "error_user_title", "error_user_msg",
  "fbtrace_id"}}` with the content-publishing subcodes of Meta's error-code
  table (2207xxx); api.instagram.com answers `{"error_type", "code",
  "error_message"}`. Rate-limit state comes in `X-Business-Use-Case-Usage`
  (`estimated_time_to_regain_access`, minutes).

Tokens go in `Authorization: Bearer` on POSTs (as Meta's publishing examples
do, with JSON bodies) and as the documented `access_token` query parameter on
reads; the token exchanges take the token being exchanged as a parameter.
"""

import json
import re

from firebase_functions.params import StringParam

from platforms import http
from platforms.base import AppCredentials, Media, Metrics, PostContent, Problem, Profile, Published, Tokens
from platforms.errors import OutcomeUnknown, Permanent, PlatformError, RateLimited, Transient
from platforms.meta_graph import POLL_DELAYS as POLL_DELAYS  # the module's own name for its pacing, as before
from platforms.meta_graph import ContainerPlatform, PermissionMissing, json_or_none

INSTAGRAM_API_URL = StringParam("INSTAGRAM_API_URL", default="https://graph.instagram.com")
INSTAGRAM_OAUTH_URL = StringParam("INSTAGRAM_OAUTH_URL", default="https://api.instagram.com")
INSTAGRAM_AUTH_URL = StringParam("INSTAGRAM_AUTH_URL", default="https://www.instagram.com/oauth/authorize")

NAME = "instagram"
API_VERSION = "v25.0"

MAX_CAPTION = 2200
MAX_HASHTAGS = 30
MAX_MENTIONS = 20
MAX_ALT_TEXT = 1000
MAX_CAROUSEL = 10  # a post of one item is a single post, so a carousel has 2 to 10
IMAGE_TYPES = {"image/jpeg"}
VIDEO_TYPES = {"video/mp4", "video/quicktime"}
MAX_IMAGE_BYTES = 8 * 1024 * 1024
MIN_IMAGE_RATIO, MAX_IMAGE_RATIO = 4 / 5, 1.91
MAX_VIDEO_BYTES = 300 * 1024 * 1024
MIN_VIDEO_SECONDS, MAX_VIDEO_SECONDS = 3, 15 * 60
MAX_VIDEO_WIDTH = 1920
MIN_VIDEO_RATIO, MAX_VIDEO_RATIO = 0.01, 10.0
_RATIO_SLACK = 1e-9  # 1080x1350 is exactly 4:5; float division must not refuse it

REQUIRED_SCOPES = ("instagram_business_basic", "instagram_business_content_publish")
RATE_LIMIT_CODES = frozenset({4, 17, 32, 613})
TRANSIENT_CODES = frozenset({-2, -1, 1, 2})
METRICS = "views,likes,comments,shares"

_HASHTAG = re.compile(r"(?<![\w#])#\w+")
# Instagram usernames: letters, digits, periods and underscores. The look-behind
# keeps the host part of an email address from counting as a tag.
_MENTION = re.compile(r"(?<![\w@.])@[A-Za-z0-9._]*[A-Za-z0-9_]")
_SUBCODE_IN_STATUS = re.compile(r"\b(\d{7})\b")

# Meta's content-publishing error subcodes (error-code table), as an error class
# and words a person can act on. They arrive as `error_subcode` in error
# bodies and inside a container's `status` when it ends in ERROR.
SUBCODES: dict[int, tuple[type[PlatformError], str]] = {
    2207001: (Transient, "Instagram had a server error; will retry."),
    2207003: (Transient, "Instagram took too long to download the media; will retry."),
    2207004: (Permanent, "The image is too large for Instagram (at most 8 MB)."),
    2207005: (Permanent, "Instagram takes JPEG images only."),
    2207006: (Permanent, "Instagram could not find the media; connect Instagram again if this repeats."),
    2207008: (Transient, "Instagram lost the prepared post before publishing it; will retry."),
    2207009: (Permanent, "The image's aspect ratio is outside what Instagram accepts (4:5 to 1.91:1)."),
    2207010: (Permanent, "The caption is too long for Instagram (2,200 characters, 30 hashtags, 20 @ tags)."),
    2207020: (Transient, "The media expired on Instagram's side before publishing; will retry."),
    2207023: (Permanent, "Instagram does not know this kind of media."),
    2207026: (Permanent, "Instagram takes MOV or MP4 videos (H.264 or HEVC, AAC audio)."),
    2207027: (Transient, "Instagram was not done with the media yet; will retry."),
    2207028: (Permanent, "An Instagram carousel takes 2 to 10 images or videos."),
    2207032: (Transient, "Instagram could not prepare the post; will retry."),
    2207040: (Permanent, "Instagram allows at most 20 @ tags in a post."),
    2207042: (RateLimited, "This account reached Instagram's daily limit of posts published by apps; "
                           "it can publish again tomorrow."),
    2207050: (Permanent, "The Instagram account is restricted: sign in to the Instagram app and complete "
                         "what it asks, then try again."),
    2207051: (Permanent, "Instagram held this post back as suspected spam; if that is a mistake, tell Instagram "
                         "in its app."),
    2207052: (Permanent, "Instagram could not download the file from its link."),
    2207053: (Transient, "Instagram had an unknown upload error; will retry."),
    2207057: (Permanent, "The video's cover frame is outside the video's length."),
}


def hashtags_in(text: str) -> list[str]:
    return _HASHTAG.findall(text)


def mentions_in(text: str) -> list[str]:
    return _MENTION.findall(text)


# --- the platform --------------------------------------------------------------


class InstagramPlatform(ContainerPlatform):
    name = NAME
    display_name = "Instagram"
    api_url = INSTAGRAM_API_URL
    api_version = API_VERSION
    rate_limit_codes = RATE_LIMIT_CODES
    transient_codes = TRANSIENT_CODES
    bearer_posts = True
    detail_has_message = True  # metrics() reads Meta's "Not enough viewers" from it
    unreadable_outcome = "Instagram's answer was unreadable; it may have gone through."
    grant_prefix = "ig"
    uses_pkce = False
    scopes = ("instagram_business_basic", "instagram_business_content_publish",
              "instagram_business_manage_comments", "instagram_business_manage_insights")
    revokes = False  # see revoke()
    supports_threads = False
    supports_first_comment = True
    supports_video = True

    # --- OAuth -----------------------------------------------------------------
    def authorization_url(self, app: AppCredentials, *, state: str, redirect_uri: str,
                          code_challenge: str | None = None) -> str:
        import urllib.parse

        query = urllib.parse.urlencode({
            "client_id": app.client_id,
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "scope": ",".join(self.scopes),
            "state": state,
        })
        return f"{INSTAGRAM_AUTH_URL.value}?{query}"

    def exchange_code(self, app: AppCredentials, *, code: str, redirect_uri: str,
                      code_verifier: str | None = None) -> Tokens:
        answer = self._oauth_code(app, code, redirect_uri)
        short = answer["data"][0] if isinstance(answer.get("data"), list) and answer["data"] else answer
        if not isinstance(short, dict) or not short.get("access_token"):
            raise Permanent(NAME, "Instagram did not return an access token; connect Instagram again.")
        granted = _permissions(short.get("permissions"))
        missing = [s for s in REQUIRED_SCOPES if granted is not None and s not in granted]
        if missing:
            raise Permanent(NAME, "Instagram did not let postr publish for this account; connect Instagram again "
                                  "and allow every permission it asks for.", detail=f"not granted: {missing}")
        long = self._long_lived(app, short["access_token"])
        # What the person granted, as the code exchange documents it
        # (`permissions`); the 60-day exchange and refresh answers do not
        # repeat it. Should an answer come without it, the requested ones
        # stand in: REQUIRED_SCOPES was then not checked either.
        tokens = self._tokens(long, scopes=granted if granted is not None else list(self.scopes), extra={})
        # Publishing addresses the professional account's id, which /me gives
        # (the code exchange's user_id is documented as Instagram-scoped).
        me = self._call("GET", "/me", token=tokens.access_token, params={"fields": "user_id,username"})
        tokens.extra["user_id"] = str(me.get("user_id") or me.get("id") or short.get("user_id"))
        return tokens

    def revoke(self, app: AppCredentials, tokens: Tokens) -> bool:
        """The Instagram API with Instagram Login offers no way for an app to
        revoke a token or remove its permissions. Instagram Platform's
        Reference (developers.facebook.com/docs/instagram-platform/reference)
        lists for this login the IG nodes, `/me`, and the token endpoints
        (`oauth/authorize` and `oauth/access_token` on api.instagram.com,
        `/access_token` and `/refresh_access_token` on graph.instagram.com),
        which only issue tokens; none deletes a token or a permission.
        `DELETE /{user-id}/permissions` belongs to Facebook Login on
        graph.facebook.com, whose user ids and tokens these are not. So
        nothing is sent: the person removes postr in Instagram (Settings >
        Website permissions > Apps and websites), or the 60-day token lapses,
        as postr no longer refreshes it."""
        return False

    # --- account -----------------------------------------------------------------
    def profile(self, tokens: Tokens) -> Profile:
        me = self._call("GET", "/me", token=tokens.access_token,
                        params={"fields": "user_id,username,name,profile_picture_url,followers_count"})
        account_id = me.get("user_id") or me.get("id")
        if not account_id:
            raise Permanent(NAME, "Instagram did not say which account this is; connect Instagram again.")
        followers = me.get("followers_count")
        return Profile(
            account_id=str(account_id),
            handle=me.get("username") or "",
            display_name=me.get("name") or me.get("username") or "",
            avatar_url=me.get("profile_picture_url"),
            followers_count=followers if isinstance(followers, int) else None,
        )

    # --- validation ----------------------------------------------------------------
    def validate(self, content: PostContent) -> list[Problem]:
        problems = _caption_problems(content.text, "text")
        if content.thread:
            problems.append(Problem("thread", "Instagram has no threads: put the parts in the caption, or the "
                                              "images in one carousel."))
        if content.link:
            problems.append(Problem("link", "Instagram shows no link cards and links in captions are not "
                                            "clickable; put the address in the caption or your bio."))
        if content.first_comment is not None:
            if not content.first_comment.strip():
                problems.append(Problem("first_comment", "The first comment is empty."))
            elif len(content.first_comment) > MAX_CAPTION:
                problems.append(Problem("first_comment", f"Instagram allows {MAX_CAPTION:,} characters in a comment; "
                                                         f"this one has {len(content.first_comment):,}."))
        media = content.media
        if not media:
            problems.append(Problem("media", "An Instagram post needs at least one image or video."))
        elif len(media) > MAX_CAROUSEL:
            problems.append(Problem("media", f"Instagram takes at most {MAX_CAROUSEL} images or videos in one "
                                             f"post; this one has {len(media)}."))
        for i, item in enumerate(media, start=1):
            problems += _media_problems(item, f"media[{i}]")
        share_to_feed = content.options.get("share_to_feed")
        if share_to_feed is not None:
            if not isinstance(share_to_feed, bool):
                problems.append(Problem("options.share_to_feed", "share_to_feed is yes or no."))
            elif not (len(media) == 1 and media[0].kind == "video"):
                problems.append(Problem("options.share_to_feed", "share_to_feed applies to reels (a post with "
                                                                 "one video) only."))
        return problems

    # --- publishing ----------------------------------------------------------------
    def publish(self, tokens: Tokens, content: PostContent) -> Published:
        problems = self.validate(content)
        if problems:
            raise Permanent(NAME, "This post cannot go to Instagram: " + " ".join(p.message for p in problems),
                            detail="validation")
        user = str(tokens.extra.get("user_id") or "me")
        caption = {"caption": content.text} if content.text else {}
        if len(content.media) == 1:
            item = content.media[0]
            fields = {**_media_fields(item, carousel=False), **caption}
            if item.kind == "video" and content.options.get("share_to_feed") is not None:
                fields["share_to_feed"] = content.options["share_to_feed"]
            container = self._container(tokens, user, fields)
            self._wait_ready(tokens, container, "the reel" if item.kind == "video" else "the image")
        else:
            # Every child is created before any is awaited, so Instagram
            # downloads and processes them side by side.
            children = [self._container(tokens, user, _media_fields(item, carousel=True)) for item in content.media]
            for i, (item, child) in enumerate(zip(content.media, children, strict=True), start=1):
                self._wait_ready(tokens, child, f"{item.kind} {i}")
            container = self._container(tokens, user, {"media_type": "CAROUSEL", "children": ",".join(children),
                                                       **caption})
            self._wait_ready(tokens, container, "the carousel")
        post_id = self._publish_container(tokens, user, container)
        url = self._permalink(tokens, post_id)
        comment_id = None
        if content.first_comment:
            try:
                body = self._call("POST", f"/{post_id}/comments", token=tokens.access_token,
                                  json_body={"message": content.first_comment}, idempotent=False)
            except PlatformError as exc:
                # The post is live: say so, so the caller records it instead of
                # publishing it a second time.
                exc.partial = Published(post_id=post_id, url=url)
                raise
            comment_id = str(body["id"]) if body.get("id") else None
        return Published(post_id=post_id, url=url, comment_id=comment_id)

    def _container(self, tokens: Tokens, user: str, fields: dict) -> str:
        # An unpublished container is harmless (it expires after 24 hours), so
        # creating one again after a lost answer is safe.
        body = self._call("POST", f"/{user}/media", token=tokens.access_token, json_body=fields)
        if not body.get("id"):
            raise Transient(NAME, "Instagram did not accept the media; will retry.")
        return str(body["id"])

    def _container_state(self, tokens: Tokens, container: str) -> tuple[str | None, str | None]:
        body = self._call("GET", f"/{container}", token=tokens.access_token, params={"fields": "status_code,status"})
        return body.get("status_code"), body.get("status")

    def _container_error(self, what: str, said: str | None) -> PlatformError:
        # An ERROR's `status` carries the publishing subcode in its words.
        found = _SUBCODE_IN_STATUS.search(said or "")
        subcode = int(found.group(1)) if found else None
        error_class, words = SUBCODES.get(subcode, (
            Permanent, f"Instagram could not process {what}{f' (error code {subcode})' if subcode else ''}."))
        if error_class is RateLimited:
            return RateLimited(NAME, words, detail=f"container ERROR {subcode}")
        return error_class(NAME, f"{what[0].upper()}{what[1:]}: {words}", detail=f"container ERROR {subcode}")

    def _publish_container(self, tokens: Tokens, user: str, container: str) -> str:
        # Publishing is the one step that must not run twice: a lost answer is
        # OutcomeUnknown, never a blind retry. A container publishes only once,
        # so after an error answer its status says whether the post went out.
        try:
            published = self._call("POST", f"/{user}/media_publish", token=tokens.access_token,
                                   json_body={"creation_id": container}, idempotent=False)
        except Transient as exc:
            try:
                went_out = self._container_state(tokens, container)[0] == "PUBLISHED"
            except PlatformError:
                went_out = None
            if went_out is False:
                raise
            raise OutcomeUnknown(NAME, "Instagram answered with an error, but the post may have gone out; "
                                       "check the account before publishing again.",
                                 status=exc.status, detail=f"{exc.detail}; container {container}") from None
        if not published.get("id"):
            raise OutcomeUnknown(NAME, "Instagram did not confirm the post; it may have gone through.",
                                 detail=f"container {container}")
        return str(published["id"])

    # --- after publishing ------------------------------------------------------------
    def delete(self, tokens: Tokens, post_id: str) -> None:
        """Instagram Login has no way to delete a post through the API (Meta's
        media deletion needs a Facebook Login permission), so nothing is sent."""
        raise Permanent(NAME, "Instagram does not let apps delete posts for accounts connected with Instagram "
                              "login; delete it in the Instagram app (⋯ > Delete).", detail="delete unsupported")

    def metrics(self, tokens: Tokens, post_id: str) -> Metrics:
        """views, likes and comments as Instagram's insights report them, and
        `reposts` from `shares` (people sending the post on), each counted
        once: saves, reach and total_interactions (likes + comments + saves +
        shares) are not added in. A metric Instagram did not return stays None;
        a post with too few viewers has none at all."""
        try:
            body = self._call("GET", f"/{post_id}/insights", token=tokens.access_token, params={"metric": METRICS})
        except PermissionMissing as exc:
            if "not enough viewers" in (exc.detail or "").lower():
                return Metrics()
            raise
        values = _insight_values(body)
        return Metrics(likes=values.get("likes"), replies=values.get("comments"), reposts=values.get("shares"),
                       views=values.get("views"))

    # --- api.instagram.com and errors ---------------------------------------------------
    def _oauth_code(self, app: AppCredentials, code: str, redirect_uri: str) -> dict:
        url = f"{INSTAGRAM_OAUTH_URL.value.rstrip('/')}/oauth/access_token"
        response = http.send(NAME, "POST", url, idempotent=True, data={
            "client_id": app.client_id,
            "client_secret": app.client_secret or "",
            "grant_type": "authorization_code",
            "redirect_uri": redirect_uri,
            "code": code,
        })
        body = json_or_none(response)
        if response.status_code >= 400 or not isinstance(body, dict) or "error_type" in body or "error" in body:
            raise self._graph_error(response, body)
        return body

    def _graph_error(self, response, body) -> PlatformError:
        """Also reads api.instagram.com's OAuth error shape ({"error_type",
        "code", "error_message"}), which the Graph mapping does not know."""
        status = response.status_code
        if isinstance(body, dict) and "error_type" in body:
            said = body.get("error_message") or ""
            detail = f"error_type={body.get('error_type')} code={body.get('code')}"
            if status >= 500:
                return Transient(NAME, "Instagram had a temporary problem; will retry.", status=status, detail=detail)
            return Permanent(NAME, f"Instagram refused the sign-in: {said}" if said else
                             "Instagram refused the sign-in; connect Instagram again.", status=status, detail=detail)
        return super()._graph_error(response, body)

    def _known_subcode(self, response, error: dict, kw: dict) -> PlatformError | None:
        subcode = error.get("error_subcode")
        if subcode not in SUBCODES:
            return None
        error_class, words = SUBCODES[subcode]
        if error_class is RateLimited:
            return RateLimited(NAME, words, retry_after=self._retry_after(response), **kw)
        return error_class(NAME, words, **kw)

    def _retry_after(self, response) -> float | None:
        """Retry-After if sent, else the longest `estimated_time_to_regain_access`
        (minutes) in Meta's business-use-case usage header."""
        seconds = http.retry_after(response)
        if seconds is not None:
            return seconds
        try:
            usage = json.loads(response.headers.get("x-business-use-case-usage") or "{}")
            waits = [float(entry["estimated_time_to_regain_access"])
                     for entries in usage.values() for entry in entries
                     if entry.get("estimated_time_to_regain_access") is not None]
        except (ValueError, TypeError, AttributeError, KeyError):
            return None
        return max(waits) * 60 if waits else None


def _caption_problems(text: str, field: str) -> list[Problem]:
    problems = []
    if len(text) > MAX_CAPTION:
        problems.append(Problem(field, f"Instagram allows {MAX_CAPTION:,} characters in a caption; this one has "
                                       f"{len(text):,}."))
    hashtags = len(hashtags_in(text))
    if hashtags > MAX_HASHTAGS:
        problems.append(Problem(field, f"Instagram allows {MAX_HASHTAGS} hashtags in a post; this one has "
                                       f"{hashtags}."))
    mentions = len(mentions_in(text))
    if mentions > MAX_MENTIONS:
        problems.append(Problem(field, f"Instagram allows {MAX_MENTIONS} @ tags in a post; this one has "
                                       f"{mentions}."))
    return problems


def _media_problems(media: Media, label: str) -> list[Problem]:
    problems = []
    if media.url is None:
        problems.append(Problem(label, "Instagram fetches media from a link, and this file has none yet."))
    ratio = media.width / media.height if media.width and media.height else None
    if media.kind == "image":
        if media.mime_type not in IMAGE_TYPES:
            problems.append(Problem(label, f"Instagram takes JPEG images only, not {media.mime_type}; save it as "
                                           "a JPEG and try again."))
        if media.size > MAX_IMAGE_BYTES:
            problems.append(Problem(label, f"Images on Instagram can be at most 8 MB; this one is {_mb(media.size)}."))
        if ratio is not None and not (MIN_IMAGE_RATIO - _RATIO_SLACK <= ratio <= MAX_IMAGE_RATIO + _RATIO_SLACK):
            shape = "tall" if ratio < MIN_IMAGE_RATIO else "wide"
            problems.append(Problem(label, f"This image is too {shape} for Instagram ({media.width}x{media.height}); "
                                           "feed images go from 4:5 (portrait) to 1.91:1 (landscape). Crop it "
                                           "and try again."))
        if media.alt_text and len(media.alt_text) > MAX_ALT_TEXT:
            problems.append(Problem(label, f"Instagram allows {MAX_ALT_TEXT:,} characters of alt text; this one "
                                           f"has {len(media.alt_text):,}."))
    elif media.kind == "video":
        if media.mime_type not in VIDEO_TYPES:
            problems.append(Problem(label, f"Instagram takes MP4 or MOV videos, not {media.mime_type}."))
        if media.size > MAX_VIDEO_BYTES:
            problems.append(Problem(label, f"Videos on Instagram can be at most 300 MB; this one is "
                                           f"{_mb(media.size)}."))
        if media.duration_s is not None and not (MIN_VIDEO_SECONDS <= media.duration_s <= MAX_VIDEO_SECONDS):
            problems.append(Problem(label, f"Videos on Instagram last from 3 seconds to 15 minutes; this one lasts "
                                           f"{_duration(media.duration_s)}."))
        if media.width is not None and media.width > MAX_VIDEO_WIDTH:
            problems.append(Problem(label, f"Videos on Instagram can be at most {MAX_VIDEO_WIDTH} pixels wide; "
                                           f"this one is {media.width}."))
        if ratio is not None and not (MIN_VIDEO_RATIO <= ratio <= MAX_VIDEO_RATIO):
            problems.append(Problem(label, "This video's shape is outside what Instagram accepts (0.01:1 to 10:1); "
                                           "9:16 fills the screen."))
    else:
        problems.append(Problem(label, f"Instagram takes images and videos, not {media.kind}."))
    return problems


def _media_fields(media: Media, *, carousel: bool) -> dict:
    if media.kind == "image":
        fields: dict = {"image_url": media.url}
        if media.alt_text:  # Instagram takes alt text on images only
            fields["alt_text"] = media.alt_text
    elif carousel:
        fields = {"media_type": "VIDEO", "video_url": media.url}
    else:
        fields = {"media_type": "REELS", "video_url": media.url}
    if carousel:
        fields["is_carousel_item"] = True
    return fields


def _permissions(value) -> list[str] | None:
    """The granted permissions of a code exchange (a comma-separated string or
    a list); None when Instagram did not say."""
    if isinstance(value, str):
        return [p.strip() for p in value.split(",") if p.strip()]
    if isinstance(value, list):
        return [str(p) for p in value]
    return None


def _insight_values(body: dict) -> dict[str, int]:
    out = {}
    for item in body.get("data") or []:
        values = item.get("values") or []
        value = values[0].get("value") if values else None
        if item.get("name") and isinstance(value, int):
            out[item["name"]] = value
    return out


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} seconds"
    return f"{int(seconds // 60)} min {int(seconds % 60)} s"


PLATFORM = InstagramPlatform()
