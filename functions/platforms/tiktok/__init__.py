"""TikTok, through Login Kit for Web and the Content Posting API (API v2).

What the package relies on is TikTok for Developers (developers.tiktok.com/doc/
login-kit-web, oauth-user-access-token-management, content-posting-api-*,
tiktok-api-v2-get-user-info, tiktok-api-v2-video-query, tiktok-api-v2-error-handling),
each part beside the code that needs it: `auth` (Login Kit, tokens), `api`
(the v2 envelope, errors, rate limits), `publish` (Direct Post, inbox, photos,
post status), `upload` (FILE_UPLOAD chunks), `metrics` (video/query), `rules`
(what a post may be).
- Scopes, one per need: user.info.basic (open_id, avatar, display name),
  user.info.profile (username: the handle), user.info.stats (follower_count),
  video.publish (Direct Post, creator info, post status), video.upload (send
  to the inbox), video.list (a post's counts, /v2/video/query/).
- There is no endpoint to delete a post or to comment.

`Published.post_id` is TikTok's public video id when TikTok gave it while
postr waited, else the publish_id (private posts never get a public id;
public ones may wait on moderation). `metrics` takes either.
"""

import datetime as _dt
import time
from collections.abc import Callable

from kernel import settings
from platforms.base import AppCredentials, Metrics, Platform, PostContent, Problem, Profile, Published, Tokens
from platforms.errors import Permanent
from platforms.tiktok import api, auth, metrics, publish, rules
from platforms.tiktok.api import NAME, TIKTOK_API_URL
from platforms.tiktok.upload import CHUNK_RETRY_DELAYS, READ_BYTES, chunk_plan

__all__ = ["CHUNK_RETRY_DELAYS", "NAME", "PLATFORM", "POLL_DELAYS", "READ_BYTES", "SCOPES", "TIKTOK_API_URL",
           "TikTokPlatform", "chunk_plan"]

SCOPES = ("user.info.basic", "user.info.profile", "user.info.stats", "video.publish", "video.upload", "video.list")
# user/info fields, by the scope that unlocks them.
PROFILE_FIELDS = {"user.info.basic": ("open_id", "union_id", "avatar_url", "display_name"),
                  "user.info.profile": ("username",), "user.info.stats": ("follower_count",)}
# Waits between status checks (30 a minute allowed): about five minutes in all.
POLL_DELAYS = (2.0, 3.0, 5.0, 8.0, 12.0, 20.0, *(30.0,) * 9)


class TikTokPlatform(Platform):
    name = NAME
    display_name = "TikTok"
    client_id = settings.OAUTH_CLIENT_IDS["tiktok"]
    client_secret = settings.OAUTH_CLIENT_SECRETS["tiktok"]
    refresh_ahead = _dt.timedelta(hours=2)  # access tokens live 24 hours
    max_concurrent_publishes = 3  # video uploads share the instance's bandwidth
    # TikTok pulls photos; it would pull videos too, but only from a URL prefix verified in
    # postr's TikTok app, so until then videos go up as bytes (no URL: FILE_UPLOAD).
    pulls_media = ("image",)
    uses_pkce = False  # Login Kit for Web: PKCE is for mobile and desktop apps only
    scopes = SCOPES
    revokes = True
    supports_threads = False
    supports_first_comment = False
    supports_video = True
    metrics_batch = metrics.BATCH

    def __init__(self, *, sleep: Callable[[float], None] = time.sleep, poll_delays: tuple[float, ...] = POLL_DELAYS):
        self._sleep = sleep
        self.poll_delays = poll_delays

    # --- OAuth ------------------------------------------------------------------
    def authorization_url(self, app: AppCredentials, *, state: str, redirect_uri: str,
                          code_challenge: str | None = None) -> str:
        return auth.authorization_url(app, state=state, redirect_uri=redirect_uri, scopes=self.scopes)

    def exchange_code(self, app: AppCredentials, *, code: str, redirect_uri: str,
                      code_verifier: str | None = None) -> Tokens:
        return auth.exchange_code(app, code=code, redirect_uri=redirect_uri)

    def refresh(self, app: AppCredentials, tokens: Tokens) -> Tokens:
        return auth.refresh(app, tokens)

    def revoke(self, app: AppCredentials, tokens: Tokens) -> bool:
        return auth.revoke(app, tokens)

    # --- account ----------------------------------------------------------------
    def profile(self, tokens: Tokens) -> Profile:
        # A field whose scope the person refused would fail the whole request,
        # so only the granted ones are asked for (all of them when unknown).
        granted = [s for s in PROFILE_FIELDS if not tokens.scopes or s in tokens.scopes]
        fields = [f for s in granted for f in PROFILE_FIELDS[s]]
        data = api.call("GET", "/v2/user/info/", tokens, action="read your TikTok profile",
                        params={"fields": ",".join(fields)})
        user = data.get("user") or {}
        if not user.get("open_id"):
            raise Permanent(NAME, "TikTok did not return your profile.", detail="user/info without open_id")
        followers = user.get("follower_count")
        return Profile(account_id=str(user["open_id"]), handle=user.get("username") or "",
                       display_name=user.get("display_name") or user.get("username") or "",
                       avatar_url=user.get("avatar_url") or None,
                       followers_count=followers if isinstance(followers, int) else None)

    # --- posts ------------------------------------------------------------------
    def validate(self, content: PostContent) -> list[Problem]:
        return rules.problems(content)

    def publish(self, tokens: Tokens, content: PostContent) -> Published:
        self.refuse(self.validate(content))
        mode = rules.mode(content)
        publish.require_scope(tokens, "video.publish" if mode == rules.DIRECT else "video.upload",
                              "post to TikTok" if mode == rules.DIRECT else "send posts to your TikTok inbox")
        creator = publish.creator_info(tokens) if mode == rules.DIRECT else None
        if creator is not None:
            self.refuse(publish.creator_problems(content, creator))
        if rules.kind(content) == "photo":
            publish_id = publish.init_photos(tokens, content, mode, creator)
        else:
            publish_id = publish.send_video(tokens, content, mode, creator, sleep=self._sleep)
        return publish.await_post(tokens, publish_id, content, creator, poll_delays=self.poll_delays,
                                  sleep=self._sleep)

    def delete(self, tokens: Tokens, post_id: str) -> None:
        raise Permanent(NAME, "TikTok's API cannot delete posts; delete it in the TikTok app.",
                        detail="TikTok has no delete endpoint")

    def metrics(self, tokens: Tokens, post_id: str) -> Metrics:
        """Likes, shares (as reposts), comments (as replies) and views of a
        public video. TikTok shows counts of public videos only, so a private,
        deleted or not yet public post has none, and neither has a connection
        without video.list."""
        result = self.metrics_many(tokens, [post_id])[post_id]
        if isinstance(result, Permanent):
            raise result
        return result

    def metrics_many(self, tokens: Tokens, post_ids: list[str]) -> dict[str, Metrics | Permanent]:
        """The numbers of up to 20 posts with one video/query (a publish id is
        first turned into its public video id, one status read each)."""
        return metrics.many(tokens, post_ids)


PLATFORM = TikTokPlatform()
