"""Facebook Pages, through Meta's Graph API (graph.facebook.com).

What the package relies on, from Meta's documentation:
- OAuth is Facebook Login's manual flow: the Login dialog
  (`www.facebook.com/{version}/dialog/oauth`), then `GET /oauth/access_token`
  with the code (a short-lived user token), exchanged at once with
  `grant_type=fb_exchange_token` for a long-lived user token ("generally lasts
  about 60 days"). `GET /me?fields=id,permissions` says what the person granted.
- Postr publishes as a Page, chosen after sign-in (facebook/pages.py). A Page
  token obtained with a long-lived user token has no expiry date (Meta:
  long-lived Page access tokens "do not have an expiration date and only expire
  or are invalidated under certain conditions": a password change, losing the
  Page role, removing the app). So `refresh` renews only the user token (by
  exchanging it again) and keeps the Page token; the user token is still needed
  for video uploads and listing Pages.
- Publishing, with the Page token: `POST /{page-id}/feed` (message, link,
  attached_media), `POST /{page-id}/photos` (url or an uploaded `source`,
  caption, alt_text_custom; `published=false` for the photos of a multi-photo
  post), videos through the Resumable Upload API (facebook/upload.py) then
  `POST graph-video.facebook.com/{page-id}/videos` with the file handle
  (`fbuploader_video_file_chunk`), or with `file_url` when Facebook is to fetch
  the file itself. First comment: `POST /{object-id}/comments`. Delete:
  `DELETE /{object-id}`. What a post may hold: facebook/rules.py.
- Metrics: reaction and comment summaries and `shares` of the post, views from
  the `post_media_view` insight (which replaced `post_impressions` on November
  15, 2025); for a video, `total_video_views` from its video insights.
- Errors and throttling: facebook/api.py.

Tokens travel as the documented `access_token` parameter: in the query of GET
and DELETE requests, in the form body of POST requests, and in an
`Authorization: OAuth` header for file uploads, as the Resumable Upload API
requires. `Tokens.access_token` is the long-lived user token; `Tokens.extra`
holds the user id, our app id (the upload session belongs to it) and, once a
Page is chosen, the Page id and Page token (sealed at rest with the rest).
"""

import datetime as _dt
import json
import time
from collections.abc import Callable

from kernel import settings
from platforms.base import AppCredentials, Capability, Media, Metrics, PostContent, Problem, Profile, Published, Tokens
from platforms.errors import Permanent, PlatformError
from platforms.facebook import api, pages, rules, upload
from platforms.facebook.api import API_VERSION, FACEBOOK_API_URL, FACEBOOK_AUTH_URL, FACEBOOK_VIDEO_API_URL, NAME
from platforms.facebook.pages import Page
from platforms.meta_graph import GraphPlatform, PermissionMissing

REQUIRED_PERMISSIONS = ("pages_show_list", "pages_manage_posts", "pages_read_engagement")
PERMISSION_PURPOSE = {
    "pages_show_list": "see your Pages",
    "pages_manage_posts": "publish and delete posts on your Page",
    "pages_read_engagement": "read your Page and its posts",
}


class FacebookPlatform(GraphPlatform):
    name = NAME
    display_name = "Facebook"
    capabilities = frozenset({Capability.PAGES})
    client_id = settings.OAUTH_CLIENT_IDS["facebook"]
    client_secret = settings.OAUTH_CLIENT_SECRETS["facebook"]
    refresh_ahead = _dt.timedelta(days=7)  # long-lived user tokens live 60 days
    api_url = FACEBOOK_API_URL
    auth_url = FACEBOOK_AUTH_URL
    api_version = API_VERSION
    rate_limit_codes = api.RATE_LIMIT_CODES
    transient_codes = api.TRANSIENT_CODES
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

    def __init__(self, *, chunk_size: int = upload.UPLOAD_CHUNK, sleep: Callable[[float], None] = time.sleep):
        self.chunk_size = chunk_size
        self.sleep = sleep

    # --- OAuth -----------------------------------------------------------------
    def _authorization_endpoint(self) -> str:
        return f"{self.auth_url.value.rstrip('/')}/{API_VERSION}/dialog/oauth"

    def exchange_code(self, app: AppCredentials, *, code: str, redirect_uri: str,
                      code_verifier: str | None = None) -> Tokens:
        short = self._call("GET", "/oauth/access_token", params={
            "client_id": app.client_id,
            "redirect_uri": redirect_uri,
            "client_secret": app.client_secret or "",
            "code": code,
        })
        if not short.get("access_token"):
            raise self._no_token()
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
        return self._renewed(self._exchange(app, tokens.access_token), tokens)

    def revoke(self, app: AppCredentials, tokens: Tokens) -> bool:
        """Removes postr's permissions (`DELETE /{user-id}/permissions`, Graph
        API reference user/permissions: "must be made with a user access
        token or an app access token for the current app", answered `true`),
        which also ends every Page token it holds. With the user id and our
        app secret it uses the app token, which works even after the user
        token lapsed; otherwise the user token on /me, where a lapsed token is
        an AuthExpired (Meta does not say it counts as revoked)."""
        user_id = str(tokens.extra.get("user_id") or "")
        if api.NUMERIC_ID.fullmatch(user_id) and app.client_secret:
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
            raise self._no_token()
        return body

    # --- Page selection -----------------------------------------------------------
    def pages(self, tokens: Tokens) -> list[Page]:
        """The Pages the person granted postr, to choose from."""
        return [pages.page_of(item) for item in pages.accounts(self._call, tokens, "id,name,tasks,picture")]

    def select_page(self, tokens: Tokens, page_id: str) -> Tokens:
        """The tokens with this Page chosen: its id and Page token in `extra`.
        Refuses a Page the person does not manage or may not publish to."""
        page_id = pages.check_page_id(page_id)
        return pages.with_page(tokens, pages.accounts(self._call, tokens, "id,name,tasks,picture,access_token"),
                               page_id)

    # --- account ----------------------------------------------------------------
    def profile(self, tokens: Tokens) -> Profile:
        """The chosen Page. `followers_count` is the Page's followers; Pages that
        only report `fan_count` (people who like it) give that instead."""
        page_id, page_token = pages.selected(tokens)
        page = self._call("GET", f"/{page_id}", token=page_token,
                          params={"fields": "id,name,username,picture,followers_count,fan_count"})
        followers = page.get("followers_count")
        if not isinstance(followers, int):
            followers = page.get("fan_count") if isinstance(page.get("fan_count"), int) else None
        return Profile(
            account_id=str(page.get("id") or page_id),
            handle=page.get("username") or str(page.get("id") or page_id),
            display_name=page.get("name") or "",
            avatar_url=pages.picture(page),
            followers_count=followers,
        )

    # --- publishing ----------------------------------------------------------------
    def validate(self, content: PostContent) -> list[Problem]:
        return rules.problems(content)

    def publish(self, tokens: Tokens, content: PostContent) -> Published:
        self.refuse(self.validate(content))
        page_id, page_token = pages.selected(tokens)
        media = content.media
        if media and media[0].kind == "video":
            post_id = self._publish_video(tokens, page_id, page_token, content)
        elif len(media) == 1:
            post_id = self._publish_photo(page_id, page_token, content.text, media[0])
        elif media:
            post_id = self._publish_photos(page_id, page_token, content.text, media)
        else:
            fields = {k: v for k, v in (("message", content.text), ("link", content.link)) if v}
            post_id = api.created_id(self._post(page_token, f"/{page_id}/feed", fields, idempotent=False))
        published = Published(post_id=post_id, url=self._permalink(page_token, post_id))
        return self._with_first_comment(page_token, published, content.first_comment)

    def _comment_id(self, body: dict) -> str | None:
        return api.created_id(body)

    def _publish_photo(self, page_id: str, page_token: str, text: str, media: Media) -> str:
        fields = {"caption": text} if text else {}
        if media.alt_text:
            fields["alt_text_custom"] = media.alt_text
        body = self._call("POST", f"/{page_id}/photos", token=page_token, idempotent=False,
                          **upload.photo_source(media, fields))
        # A published Page photo answers with the photo and its post; the post
        # is what comments, metrics and delete address.
        return str(body.get("post_id") or api.created_id(body))

    def _publish_photos(self, page_id: str, page_token: str, text: str, media: list[Media]) -> str:
        attached = {}
        for i, item in enumerate(media):
            fields = {"published": "false"}
            if item.alt_text:
                fields["alt_text_custom"] = item.alt_text
            # An unpublished photo is invisible until a post attaches it, so
            # sending one again after a lost answer harms nothing.
            photo = self._call("POST", f"/{page_id}/photos", token=page_token, **upload.photo_source(item, fields))
            attached[f"attached_media[{i}]"] = json.dumps({"media_fbid": api.created_id(photo, transient=True)})
        fields = {"message": text} if text else {}
        return api.created_id(self._post(page_token, f"/{page_id}/feed", {**fields, **attached}, idempotent=False))

    def _publish_video(self, tokens: Tokens, page_id: str, page_token: str, content: PostContent) -> str:
        """Our bytes go up when we have them (the documented flow; a signed link
        may lapse before Facebook gets round to fetching a large file);
        otherwise Facebook fetches the file from its link (`file_url`)."""
        media = content.media[0]
        fields = {"description": content.text} if content.text else {}
        if content.options.get("title"):
            fields["title"] = content.options["title"]
        if rules.uploads(media):
            fields["fbuploader_video_file_chunk"] = upload.video_handle(self, tokens, media)
        else:
            fields["file_url"] = media.url
        return api.created_id(self._call("POST", f"/{page_id}/videos", token=page_token, data=fields,
                                         base=FACEBOOK_VIDEO_API_URL.value, idempotent=False))

    def _permalink(self, page_token: str, object_id: str) -> str | None:
        link = self._link(page_token, object_id, "permalink_url")
        # Videos answer with a path on facebook.com, posts with a full address.
        return f"{api.WEB}{link}" if isinstance(link, str) and link.startswith("/") else link

    # --- after publishing ------------------------------------------------------------
    def delete(self, tokens: Tokens, post_id: str) -> None:
        api.check_object_id(post_id)
        _, page_token = pages.selected(tokens)
        body = self._call("DELETE", f"/{post_id}", token=page_token)
        if body.get("success") is not True:
            raise Permanent(NAME, "Facebook did not delete the post.", detail="no success")

    def metrics(self, tokens: Tokens, post_id: str) -> Metrics:
        """likes: all reactions (Like, Love, Haha...), as Facebook totals them;
        replies: comments; reposts: shares (a post's `shares` is absent until
        someone shares it, and a video has none: None then); views:
        post_media_view, or total_video_views for a video. Views need
        read_insights and a Page with 100 or more likes; otherwise None."""
        api.check_object_id(post_id)
        _, page_token = pages.selected(tokens)
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

    # --- errors ---------------------------------------------------------------------
    def _known_refusal(self, error: dict, said: str, kw: dict) -> PlatformError | None:
        return api.known_refusal(error, said, kw)

    def _retry_after(self, response) -> float | None:
        return api.retry_after(response)


def _summary_count(body: dict, edge: str) -> int | None:
    node = body.get(edge)
    summary = node.get("summary") if isinstance(node, dict) else None
    count = summary.get("total_count") if isinstance(summary, dict) else None
    return count if isinstance(count, int) else None


PLATFORM = FacebookPlatform()
