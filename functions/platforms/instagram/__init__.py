"""Instagram professional accounts (business and creator), through the
Instagram API with Instagram Login (graph.instagram.com).

Why Instagram Login and not Facebook Login: it needs no Facebook Page linked
to the account and no page selection, and its token is the account's own
(60 days, refreshed by itself). What it gives up: deleting a post through the
API (Meta's `DELETE /<IG_MEDIA_ID>` needs `instagram_manage_contents`, a
Facebook Login permission) and the ad-inclusive `total_*` metrics.

What the package relies on, from Meta's Instagram Platform documentation:
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
  the carousel, never on children; `alt_text` on images only. An account may
  create 400 containers and publish 100 posts in any 24 hours. Meta recommends
  polling once a minute for at most 5 minutes. What a post may hold:
  instagram/rules.py.
- First comment: `POST /<IG_MEDIA_ID>/comments` with `message`.
- Metrics: `GET /<IG_MEDIA_ID>/insights?metric=views,likes,comments,shares`
  (`values[0].value`). `impressions`, `plays` and `video_views` were removed
  in 2025; `views` replaced them. A metric Instagram has no data for is
  missing from the answer; a post with too few viewers answers (#10).
- Errors: instagram/api.py.

Tokens go in `Authorization: Bearer` on POSTs (as Meta's publishing examples
do, with JSON bodies) and as the documented `access_token` query parameter on
reads; the token exchanges take the token being exchanged as a parameter.
"""

import datetime as _dt

from kernel import settings
from platforms import http
from platforms.base import AppCredentials, Media, Metrics, PostContent, Problem, Profile, Published, TextRules, Tokens
from platforms.errors import Permanent, PlatformError
from platforms.instagram import api, rules
from platforms.instagram.api import API_VERSION, INSTAGRAM_API_URL, INSTAGRAM_AUTH_URL, INSTAGRAM_OAUTH_URL, NAME
from platforms.meta_graph import PermissionMissing, insight_values, json_or_none
from platforms.meta_graph.containers import ContainerPlatform

REQUIRED_SCOPES = ("instagram_business_basic", "instagram_business_content_publish")
METRICS = "views,likes,comments,shares"


class InstagramPlatform(ContainerPlatform):
    name = NAME
    display_name = "Instagram"
    client_id = settings.OAUTH_CLIENT_IDS["instagram"]
    client_secret = settings.OAUTH_CLIENT_SECRETS["instagram"]
    refresh_ahead = _dt.timedelta(days=7)  # long-lived tokens live 60 days
    pulls_media = ("image", "video")  # Instagram takes media only from a URL
    # Captions up to 2,200 characters and 30 hashtags a post.
    text_rules = TextRules(2200, max_hashtags=30)
    api_url = INSTAGRAM_API_URL
    auth_url = INSTAGRAM_AUTH_URL
    api_version = API_VERSION
    rate_limit_codes = api.RATE_LIMIT_CODES
    transient_codes = api.TRANSIENT_CODES
    bearer_posts = True
    detail_has_message = True  # metrics() reads Meta's "Not enough viewers" from it
    unreadable_outcome = "Instagram's answer was unreadable; it may have gone through."
    grant_prefix = "ig"
    container_edge, publish_edge = "media", "media_publish"
    status_fields = ("status_code", "status")
    confirms_failed_publish = True
    uses_pkce = False
    scopes = ("instagram_business_basic", "instagram_business_content_publish",
              "instagram_business_manage_comments", "instagram_business_manage_insights")
    revokes = False  # see revoke()
    supports_threads = False
    supports_first_comment = True
    supports_video = True

    # --- OAuth -----------------------------------------------------------------
    def exchange_code(self, app: AppCredentials, *, code: str, redirect_uri: str,
                      code_verifier: str | None = None) -> Tokens:
        answer = self._oauth_code(app, code, redirect_uri)
        short = answer["data"][0] if isinstance(answer.get("data"), list) and answer["data"] else answer
        if not isinstance(short, dict) or not short.get("access_token"):
            raise self._no_token()
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

    def _oauth_code(self, app: AppCredentials, code: str, redirect_uri: str) -> dict:
        """The code exchange, on api.instagram.com rather than the Graph host."""
        url = f"{INSTAGRAM_OAUTH_URL.value.rstrip('/')}/oauth/access_token"
        response = http.send(NAME, "POST", url, idempotent=True, data=self._code_form(app, code, redirect_uri))
        body = json_or_none(response)
        if response.status_code >= 400 or not isinstance(body, dict) or "error_type" in body or "error" in body:
            raise self._graph_error(response, body)
        return body

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

    # --- publishing ----------------------------------------------------------------
    def validate(self, content: PostContent) -> list[Problem]:
        return rules.problems(content)

    def publish(self, tokens: Tokens, content: PostContent) -> Published:
        self.refuse(self.validate(content))
        user = str(tokens.extra.get("user_id") or "me")
        caption = {"caption": content.text} if content.text else {}
        if len(content.media) == 1:
            item = content.media[0]
            fields = {**_media_fields(item, carousel=False), **caption}
            if item.kind == "video" and content.options.get("share_to_feed") is not None:
                fields["share_to_feed"] = content.options["share_to_feed"]
            container = self._ready_container(tokens, user, fields,
                                              "the reel" if item.kind == "video" else "the image")
        else:
            # Every child is created before any is awaited, so Instagram
            # downloads and processes them side by side.
            children = [self._container(tokens, user, _media_fields(item, carousel=True)) for item in content.media]
            for i, (item, child) in enumerate(zip(content.media, children, strict=True), start=1):
                self._wait_ready(tokens, child, f"{item.kind} {i}")
            container = self._carousel(tokens, user, children, caption)
        post_id = self._publish_container(tokens, user, container)
        published = Published(post_id=post_id, url=self._permalink(tokens, post_id))
        return self._with_first_comment(tokens.access_token, published, content.first_comment)

    def _container_error(self, what: str, said: str | None) -> PlatformError:
        return api.container_error(what, said)

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
        values = insight_values(body)
        return Metrics(likes=values.get("likes"), replies=values.get("comments"), reposts=values.get("shares"),
                       views=values.get("views"))

    # --- errors ---------------------------------------------------------------------
    def _graph_error(self, response, body) -> PlatformError:
        """Also reads api.instagram.com's OAuth error shape."""
        return api.oauth_error(response, body) or super()._graph_error(response, body)

    def _known_subcode(self, response, error: dict, kw: dict) -> PlatformError | None:
        return api.subcode_error(response, error, kw)

    def _retry_after(self, response) -> float | None:
        return api.retry_after(response)


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


PLATFORM = InstagramPlatform()
