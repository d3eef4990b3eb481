"""X (formerly Twitter), through the X API v2.

What the module relies on, from X's documentation (docs.x.com) and its OpenAPI
specification (api.x.com/2/openapi.json):
- OAuth 2.0 Authorization Code with PKCE (S256): the user consents at
  `x.com/i/oauth2/authorize`; `POST /2/oauth2/token` (form-encoded) trades the
  code, and later the refresh token, for tokens. A confidential client sends
  HTTP Basic with its client id and secret; a public client puts `client_id`
  in the form. Access tokens last two hours; `offline.access` adds a refresh
  token, which rotates on every refresh. `POST /2/oauth2/revoke` revokes one
  token. Token errors are {"error", "error_description"}.
- Scopes, per the specification's security of each endpoint we call:
  `tweet.read tweet.write users.read` (create and delete posts),
  `tweet.read users.read` (read a post's metrics, the profile), `media.write`
  (media upload), `offline.access` (stay connected). Nothing else.
- Media go through the v2 chunked upload: `POST /2/media/upload/initialize`
  (JSON: media_type, total_bytes, media_category), `POST /2/media/upload/{id}/
  append` (multipart: segment_index 0-999, media), `POST /2/media/upload/{id}/
  finalize`, then `GET /2/media/upload?command=STATUS&media_id=` while
  `processing_info.state` is pending or in_progress, waiting `check_after_secs`.
  Alt text is `POST /2/media/metadata` {"id", "metadata": {"alt_text":
  {"text"}}}, up to 1000 characters, for images and GIFs (X takes none for video).
- A post is `POST /2/tweets` {"text", "media": {"media_ids"}, "reply":
  {"in_reply_to_tweet_id"}, "reply_settings"}; up to 4 images, or 1 GIF, or
  1 video. Images JPEG/PNG/WebP up to 5 MB, GIFs 15 MB, video MP4/MOV up to
  8 GB and 0.5 s-20 min, aspect ratio 1:3 to 3:1 (media best practices,
  accounts without Premium). Self-serve API access allows one $cashtag a post.
- `DELETE /2/tweets/{id}` answers {"data": {"deleted": true}};
  `GET /2/tweets/{id}?tweet.fields=public_metrics` gives like_count,
  retweet_count, quote_count, reply_count, bookmark_count, impression_count;
  `GET /2/tweets?ids=a,b,...` (1 to 100 ids of 1-19 digits) gives the same
  objects as a list in "data" (matched back by id), and each post it cannot give
  (deleted, protected) as an entry of "errors" naming the id in "value"
  (Not Found Error, type .../resource-not-found), all in one 200.
- Errors are problem details {"title", "detail", "type", "status"} (400s add
  "errors": [{"message"}]); a lookup of a missing post answers 200 with only
  "errors". 429 carries `x-rate-limit-reset` (epoch seconds), and posting
  limits also `x-user-limit-24hour-*` / `x-app-limit-24hour-*`.

Length is counted by platforms.x.text (twitter-text's weighted length); what
X takes in a post is checked in platforms.x.rules, the upload is
platforms.x.upload, the token endpoints platforms.x.auth and requests and
errors platforms.x.api.

Reposts are `retweet_count` alone: quotes are posts of their own, counted apart
by X (and by Bluesky), so adding `quote_count` would mix two things.
"""

import datetime as _dt
import time
from collections.abc import Callable

from firebase_functions.params import StringParam

from kernel import settings
from platforms import oauth
from platforms.base import (AppCredentials, Metrics, Platform, PostContent, Problem, Profile, Published, TextRules,
                            Tokens, split_post_ids)
from platforms.errors import AuthExpired, OutcomeUnknown, PartlyPublished, Permanent, PlatformError
from platforms.x import api, auth, rules, upload
from platforms.x.api import NAME

X_AUTH_URL = StringParam("X_AUTH_URL", default="https://x.com/i/oauth2/authorize")

SCOPES = ("tweet.read", "tweet.write", "users.read", "media.write", "offline.access")
MAX_STATE = 500
REPLY_SETTINGS = ("following", "mentionedUsers", "subscribers", "verified")
# GET /2/tweets takes 1 to 100 ids (the specification's maxItems for `ids`).
MAX_LOOKUP_IDS = 100


class XPlatform(Platform):
    name = NAME
    display_name = "X"
    client_id = settings.OAUTH_CLIENT_IDS["x"]
    client_secret = settings.OAUTH_CLIENT_SECRETS["x"]
    refresh_ahead = _dt.timedelta(minutes=30)  # access tokens live 2 hours
    text_rules = TextRules(280)
    uses_pkce = True
    scopes = SCOPES
    revokes = True
    supports_threads = True
    supports_first_comment = True
    supports_video = True
    metrics_batch = MAX_LOOKUP_IDS

    def __init__(self, sleep: Callable[[float], None] = time.sleep):
        self._sleep = sleep  # between STATUS checks of a processing video

    # --- OAuth ------------------------------------------------------------------
    def authorization_url(self, app: AppCredentials, *, state: str, redirect_uri: str,
                          code_challenge: str | None = None) -> str:
        if not code_challenge:
            raise ValueError("X needs a PKCE code challenge (S256).")
        if len(state) > MAX_STATE:
            raise ValueError(f"X takes a state of at most {MAX_STATE} characters.")
        return oauth.authorization_url(X_AUTH_URL.value, client_id=app.client_id, redirect_uri=redirect_uri,
                                       state=state, scopes=self.scopes, code_challenge=code_challenge)

    def exchange_code(self, app: AppCredentials, *, code: str, redirect_uri: str,
                      code_verifier: str | None = None) -> Tokens:
        if not code_verifier:
            raise ValueError("X needs the PKCE code verifier.")
        form = {"code": code, "grant_type": "authorization_code", "redirect_uri": redirect_uri,
                "code_verifier": code_verifier}
        body = auth.token_call(app, "/2/oauth2/token", form, refused=lambda d: Permanent(
            NAME, "X did not accept the sign-in (it expired or was already used); connect your X account again.",
            status=400, detail=d))
        return auth.tokens(body, requested=self.scopes)

    def refresh(self, app: AppCredentials, tokens: Tokens) -> Tokens:
        if not tokens.refresh_token:
            raise AuthExpired(NAME, "Your X connection has expired; reconnect your X account.")
        form = {"refresh_token": tokens.refresh_token, "grant_type": "refresh_token"}
        body = auth.token_call(app, "/2/oauth2/token", form, refused=lambda d: AuthExpired(
            NAME, "X no longer accepts this connection (it was revoked or expired); reconnect your X account.",
            status=400, detail=d))
        return auth.tokens(body, held=tokens)

    def revoke(self, app: AppCredentials, tokens: Tokens) -> bool:
        # Both tokens: revoking the access token alone would leave the refresh
        # token able to mint new ones. A token X already considers invalid is
        # as good as revoked.
        for token in (tokens.refresh_token, tokens.access_token):
            if token:
                auth.token_call(app, "/2/oauth2/revoke", {"token": token}, refused=None)
        return True

    # --- account ----------------------------------------------------------------
    def profile(self, tokens: Tokens) -> Profile:
        body = api.call("GET", "/2/users/me", tokens, action="read your X profile",
                        params={"user.fields": "profile_image_url,public_metrics"})
        user = body.get("data") or {}
        if not user.get("id"):
            raise Permanent(NAME, "X did not return your profile.", detail=api.summary(body))
        followers = (user.get("public_metrics") or {}).get("followers_count")
        return Profile(account_id=user["id"], handle=user.get("username", ""),
                       display_name=user.get("name", ""), avatar_url=user.get("profile_image_url"),
                       followers_count=followers if isinstance(followers, int) else None)

    # --- posts ------------------------------------------------------------------
    def validate(self, content: PostContent) -> list[Problem]:
        problems = rules.check_part(content, "", "The post")
        for key, value in content.options.items():
            if key != "reply_settings":
                problems.append(Problem(f"options.{key}", f"X has no option '{key}'."))
            elif value not in REPLY_SETTINGS:
                problems.append(Problem("options.reply_settings",
                                        f"Who can reply on X must be one of: {', '.join(REPLY_SETTINGS)}."))
        for i, part in enumerate(content.thread):
            where = f"thread[{i}]."
            problems += rules.check_part(part, where, f"Part {i + 2} of the thread")
            if part.thread:
                problems.append(Problem(f"{where}thread", "A part of an X thread cannot start a thread of its own."))
            if part.first_comment:
                problems.append(Problem(f"{where}first_comment",
                                        "Only the first post of an X thread can have a first comment."))
            if part.options:
                problems.append(Problem(f"{where}options", "Options apply to the first post of an X thread only."))
        if content.first_comment:
            problems += rules.check_text(content.first_comment, "first_comment", "The first comment",
                                          has_media=False)
        return problems

    def publish(self, tokens: Tokens, content: PostContent) -> Published:
        self.refuse(self.validate(content))
        parts = [content, *content.thread]
        # Every file goes up before anything is posted, so a media failure
        # leaves nothing half-published.
        media_ids = [[upload.upload(tokens, m, self._sleep) for m in part.media] for part in parts]
        root = self._create(tokens, parts[0], media_ids[0], reply_to=None,
                            reply_settings=content.options.get("reply_settings"))
        # Once the first post is out it must be reported, or a retry would post
        # it twice: a later failure ends the chain and reports what went out (PartlyPublished).
        part_ids: list[str] = []
        comment_id = None
        try:
            previous = root
            for part, ids in zip(parts[1:], media_ids[1:]):
                previous = self._create(tokens, part, ids, reply_to=previous)
                part_ids.append(previous)
            if content.first_comment:
                comment_id = self._create(tokens, PostContent(text=content.first_comment), [], reply_to=root)
        except PlatformError as exc:
            raise PartlyPublished(Published(post_id=root, url=_post_url(root), part_ids=tuple(part_ids),
                                            comment_id=comment_id), exc) from exc
        return Published(post_id=root, url=_post_url(root), part_ids=tuple(part_ids), comment_id=comment_id)

    def delete(self, tokens: Tokens, post_id: str) -> None:
        _check_post_id(post_id)
        response = api.send("DELETE", f"/2/tweets/{post_id}", tokens, idempotent=True)
        if response.status_code == 404:
            return  # already gone: what deleting wanted
        body = api.read(response, "delete the post on X")
        if (body.get("data") or {}).get("deleted") is not True:
            raise Permanent(NAME, "X did not delete the post.", status=response.status_code,
                            detail=api.summary(body))

    def metrics(self, tokens: Tokens, post_id: str) -> Metrics:
        _check_post_id(post_id)
        body = api.call("GET", f"/2/tweets/{post_id}", tokens, action="read the post's numbers on X",
                        params={"tweet.fields": "public_metrics"})
        data = body.get("data")
        if not data:
            raise _gone(api.summary(body))
        return _metrics(data)

    def metrics_many(self, tokens: Tokens, post_ids: list[str]) -> dict[str, Metrics | Permanent]:
        wanted, out = split_post_ids(post_ids, _check_post_id, MAX_LOOKUP_IDS, "X")
        if not wanted:
            return out
        body = api.call("GET", "/2/tweets", tokens, action="read the posts' numbers on X",
                        params={"ids": ",".join(wanted), "tweet.fields": "public_metrics"})
        found = {str(d.get("id")): d for d in body.get("data") or [] if isinstance(d, dict)}
        # A post X cannot give (deleted, protected) comes back in "errors", naming its id.
        errors = {str(e.get("value") or e.get("resource_id")): e for e in body.get("errors") or []
                  if isinstance(e, dict)}
        for post_id in wanted:
            data = found.get(post_id)
            out[post_id] = _metrics(data) if data else _gone(api.summary({"errors": [errors.get(post_id) or {}]}))
        return out

    def _create(self, tokens: Tokens, part: PostContent, media_ids: list[str], *, reply_to: str | None,
                reply_settings: str | None = None) -> str:
        body: dict = {}
        text = rules.post_text(part)
        if text:
            body["text"] = text
        if media_ids:
            body["media"] = {"media_ids": media_ids}
        if reply_to:
            body["reply"] = {"in_reply_to_tweet_id": reply_to}
        if reply_settings:
            body["reply_settings"] = reply_settings
        # Not idempotent: a timeout after sending is OutcomeUnknown (platforms.http).
        created = api.call("POST", "/2/tweets", tokens, action="publish on X", idempotent=False, json=body)
        post_id = str((created.get("data") or {}).get("id") or "")
        if not api.ID.fullmatch(post_id):
            raise OutcomeUnknown(NAME, "X answered without the post's id; it may be on X.",
                                 detail=api.summary(created))
        return post_id


def _check_post_id(post_id: str) -> None:
    if not api.ID.fullmatch(post_id or ""):
        raise Permanent(NAME, "That is not an X post id.", detail="bad post id")


def _metrics(data: dict) -> Metrics:
    """A post object's public_metrics, the same whichever lookup returned it."""
    counts = data.get("public_metrics") or {}

    def count(key: str) -> int | None:
        value = counts.get(key)
        return value if isinstance(value, int) else None

    return Metrics(likes=count("like_count"), reposts=count("retweet_count"),
                   replies=count("reply_count"), views=count("impression_count"))


def _gone(detail: str) -> Permanent:
    return Permanent(NAME, "This post is no longer on X (deleted, or hidden from this account).", status=404,
                     detail=detail)


def _post_url(post_id: str) -> str:
    # The handle may change; this address always leads to the post.
    return f"https://x.com/i/web/status/{post_id}"


PLATFORM = XPlatform()
