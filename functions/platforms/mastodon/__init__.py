"""Mastodon, any instance (docs.joinmastodon.org, REST API and OAuth).

Every instance is its own server, so:
- our app is registered per instance (`register_app`, POST /api/v1/apps) and
  its credentials are a `MastodonApp`: an `AppCredentials` that also carries the
  instance's base URL. The base interface's OAuth methods keep their exact
  signatures and read the instance from the app they are given.
- `Tokens.extra["instance"]` holds the instance's base URL for every later call.
- the instance address comes from a person, so it is checked before any request
  (`check_instance_url`, in `address`): https only, and never a host that
  resolves to a private, loopback, link-local or reserved address (SSRF).
- limits (characters, attachments, sizes, alt text) are the instance's own,
  read from GET /api/v2/instance and cached; documented defaults otherwise
  (`limits`), checked by `rules` with the server's own length count (`text`).

Access tokens do not expire on Mastodon (its token endpoint has no
refresh_token grant), so `refresh` returns the tokens as they are unless a
server did hand out a refresh token. PKCE (S256) is always sent: Mastodon 4.3+
checks it, and older servers ignore it (Doorkeeper only uses PKCE when its
grant table has the challenge columns, which Mastodon added in 4.3).
"""

import datetime as _dt
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from platforms import addresses, oauth
from platforms.base import (AppCredentials, Capability, Metrics, Platform, PostContent, Problem, Profile, Published,
                            TextRules, Tokens)
from platforms.errors import PartlyPublished, Permanent, PlatformError
from platforms.mastodon import api, rules, statuses
from platforms.mastodon.address import NETWORK, InstanceRefused, check_instance_url, hostname, instance_key
from platforms.mastodon.limits import DEFAULT_MIME_TYPES, InstanceLimits
from platforms.mastodon.statuses import UPLOAD_CHUNK

__all__ = ["DEFAULT_MIME_TYPES", "NETWORK", "PLATFORM", "UPLOAD_CHUNK", "InstanceLimits", "InstanceRefused",
           "MastodonApp", "MastodonPlatform", "check_instance_url", "instance_key"]

CLIENT_NAME = "postr"
LIMITS_TTL = _dt.timedelta(hours=1)


@dataclass(frozen=True)
class MastodonApp(AppCredentials):
    """Our app's registration at one instance (from `register_app`)."""

    instance: str = ""


class MastodonPlatform(Platform):
    name = "mastodon"
    display_name = "Mastodon"
    capabilities = frozenset({Capability.PER_INSTANCE_APP})
    app_class = MastodonApp
    refresh_ahead = _dt.timedelta(days=1)  # usually no expiry at all
    # 500 is Mastodon's default; instances may allow more, never checked here for less.
    text_rules = TextRules(500)
    uses_pkce = True
    uses_oauth = True
    # Granular scopes (Mastodon 2.4.3+): the profile, reading our own statuses
    # back for metrics (private ones need it), posting and deleting, media.
    scopes = ("read:accounts", "read:statuses", "write:statuses", "write:media")
    supports_threads = True
    supports_first_comment = True
    supports_video = True

    def __init__(self, *, allow_private: bool = False, media_wait_s: float = 180.0,
                 sleep: Callable[[float], None] = time.sleep):
        # allow_private: tests and local fakes only (see check_instance_url).
        self.allow_private = allow_private
        self.media_wait_s = media_wait_s
        self._sleep = sleep
        self._limits: dict[str, tuple[_dt.datetime, InstanceLimits]] = {}

    def missing_scopes(self, granted: list[str] | None) -> list[str] | None:
        """Mastodon's top-level scopes cover their granular ones (`write` covers
        `write:statuses`; docs.joinmastodon.org/api/oauth-scopes)."""
        if not granted:
            return None
        return [s for s in self.requested_scopes() if s not in granted and s.split(":", 1)[0] not in granted]

    # --- instance ----------------------------------------------------------------------
    def check(self, instance_url: str) -> str:
        # The local stack and tests set ALLOW_PRIVATE_HOSTS so loopback fakes are reachable.
        return check_instance_url(instance_url, allow_private=self.allow_private or addresses.private_allowed())

    def register_app(self, instance_url: str, redirect_uri: str, *, website: str | None = None) -> MastodonApp:
        """Register postr at an instance (once per instance and redirect URI;
        keep the result, sealed like a token: the secret is a password)."""
        base = self.check(instance_url)
        data = {"client_name": CLIENT_NAME, "redirect_uris": redirect_uri, "scopes": " ".join(self.scopes)}
        if website:
            data["website"] = website
        body = api.answer(api.send("POST", base, "/api/v1/apps", idempotent=True, data=data), base)
        return MastodonApp(client_id=api.field(body, "client_id", base),
                           client_secret=api.field(body, "client_secret", base), instance=base)

    def instance_limits(self, instance_url: str) -> InstanceLimits:
        """The instance's limits (GET /api/v2/instance, or /api/v1/instance on
        servers before 4.0), cached for an hour in this process."""
        from kernel import clock

        base = self.check(instance_url)
        cached = self._limits.get(base)
        if cached and clock.now() - cached[0] < LIMITS_TTL:
            return cached[1]
        response = api.send("GET", base, "/api/v2/instance", idempotent=True, ok=(404,))
        if response.status_code == 404:
            response = api.send("GET", base, "/api/v1/instance", idempotent=True)
        limits = InstanceLimits.from_instance(api.answer(response, base))
        self._limits[base] = (clock.now(), limits)
        return limits

    def cached_limits(self, instance_url: str) -> InstanceLimits | None:
        """Limits already fetched for this instance, without a request."""
        cached = self._limits.get(instance_key(instance_url) or "")
        return cached[1] if cached else None

    # --- OAuth -------------------------------------------------------------------------
    def authorization_url(self, app: AppCredentials, *, state: str, redirect_uri: str,
                          code_challenge: str | None = None) -> str:
        return oauth.authorization_url(f"{_instance_of(app)}/oauth/authorize", client_id=app.client_id,
                                       redirect_uri=redirect_uri, state=state, scopes=self.scopes,
                                       code_challenge=code_challenge)

    def exchange_code(self, app: AppCredentials, *, code: str, redirect_uri: str,
                      code_verifier: str | None = None) -> Tokens:
        base = self.check(_instance_of(app))
        data = {"grant_type": "authorization_code", "code": code, "client_id": app.client_id,
                "client_secret": app.client_secret or "", "redirect_uri": redirect_uri}
        if code_verifier:
            data["code_verifier"] = code_verifier
        # A code is single-use: a lost answer cannot be retried, so not idempotent.
        body = api.answer(api.send("POST", base, "/oauth/token", idempotent=False, data=data), base)
        return api.tokens(body, base)

    def refresh(self, app: AppCredentials, tokens: Tokens) -> Tokens:
        if not tokens.refresh_token:
            return tokens  # Mastodon access tokens do not expire
        base = self._instance(tokens)
        data = {"grant_type": "refresh_token", "refresh_token": tokens.refresh_token,
                "client_id": app.client_id, "client_secret": app.client_secret or ""}
        body = api.answer(api.send("POST", base, "/oauth/token", idempotent=False, data=data), base)
        return oauth.refreshed(api.tokens(body, base), tokens)

    def revoke(self, app: AppCredentials, tokens: Tokens) -> bool:
        """POST /oauth/revoke needs the app that issued the token; a token the
        person made themselves (connect_with_token) cannot be revoked by us:
        False, and they remove it under Preferences > Development."""
        if not app.client_id:
            return False
        base = self._instance(tokens)
        data = {"client_id": app.client_id, "client_secret": app.client_secret or "", "token": tokens.access_token}
        api.send("POST", base, "/oauth/revoke", idempotent=True, data=data)
        return True

    def connect_with_token(self, instance_url: str, access_token: str) -> tuple[Tokens, Profile]:
        """For a token the person made themselves (Preferences > Development on
        their server): checked by reading the profile with it."""
        tokens = Tokens(access_token=access_token, extra={"instance": self.check(instance_url)})
        return tokens, self.profile(tokens)

    # --- account -----------------------------------------------------------------------
    def profile(self, tokens: Tokens) -> Profile:
        base = self._instance(tokens)
        account = api.answer(api.send("GET", base, "/api/v1/accounts/verify_credentials", tokens=tokens,
                                      idempotent=True), base)
        domain = self.instance_limits(base).domain or hostname(base)
        acct = str(api.field(account, "acct", base))
        followers = account.get("followers_count")
        # Account ids are per instance; the domain makes them unique across instances.
        return Profile(
            account_id=f"{api.field(account, 'id', base)}@{domain}",
            handle="@" + (acct if "@" in acct else f"{acct}@{domain}"),
            display_name=account.get("display_name") or account.get("username") or acct,
            avatar_url=account.get("avatar") or None,
            followers_count=followers if isinstance(followers, int) and not isinstance(followers, bool) else None,
        )

    # --- posts -------------------------------------------------------------------------
    def validate(self, content: PostContent) -> list[Problem]:
        """Every problem, counted the instance's way. Limits come from
        options["limits"] (InstanceLimits, or an instance's `configuration`
        object), else the cached configuration of options["instance"], else
        the documented defaults (500 characters, 4 attachments)."""
        return rules.problems(content, self._limits_for(content.options or {}))

    def publish(self, tokens: Tokens, content: PostContent) -> Published:
        """Uploads each part's media (waiting until processed), then posts the
        parts as a reply chain and the first comment as a reply to the first
        post. Each status carries an Idempotency-Key derived from
        options["idempotency_key"] (else from the content), so a retry within
        the hour the server keeps keys returns the statuses already made."""
        base = self._instance(tokens)
        limits = self.instance_limits(base)
        self.refuse(self.validate(replace(content, options={**content.options, "limits": limits})))
        key = content.options.get("idempotency_key") or statuses.content_key(base, content)
        parts = [content, *content.thread]
        # Every file is uploaded and processed before anything is posted, so a
        # media failure leaves nothing half-published.
        media_ids = [[statuses.upload(base, tokens, media, wait_s=self.media_wait_s, sleep=self._sleep)
                      for media in part.media] for part in parts]
        root = statuses.post_status(base, tokens, rules.status_text(content), content.options,
                                    media_ids=media_ids[0], reply_to=None, key=f"{key}:0")
        root_id, url = str(root["id"]), root.get("url") or root.get("uri")
        part_ids: list[str] = []
        comment_id = None
        try:
            previous = root_id
            for i, (part, ids) in enumerate(zip(parts[1:], media_ids[1:]), 1):
                previous = str(statuses.post_status(base, tokens, rules.status_text(part), content.options,
                                                    media_ids=ids, reply_to=previous, key=f"{key}:{i}")["id"])
                part_ids.append(previous)
            if content.first_comment:
                comment = statuses.post_status(base, tokens, content.first_comment, content.options, media_ids=[],
                                               reply_to=root_id, key=f"{key}:comment")
                comment_id = str(comment["id"])
        except PlatformError as exc:
            # The first post (and maybe some parts) are live: say which, so the
            # caller records them. A retry with the same key within the hour
            # gets the same statuses back instead of new ones.
            raise PartlyPublished(Published(post_id=root_id, url=url, part_ids=tuple(part_ids), comment_id=None),
                                  exc) from exc
        return Published(post_id=root_id, url=url, part_ids=tuple(part_ids), comment_id=comment_id)

    def delete(self, tokens: Tokens, post_id: str) -> None:
        base = self._instance(tokens)
        # delete_media (4.4+): the attachments go now, not after a day kept for redrafts.
        response = api.send("DELETE", base, f"/api/v1/statuses/{api.path_id(post_id)}", tokens=tokens,
                            idempotent=True, params={"delete_media": "true"}, ok=(404,))
        if response.status_code == 404:
            return  # already gone (or never ours): nothing left to delete

    def metrics(self, tokens: Tokens, post_id: str) -> Metrics:
        base = self._instance(tokens)
        status = api.answer(api.send("GET", base, f"/api/v1/statuses/{api.path_id(post_id)}", tokens=tokens,
                                     idempotent=True), base)
        return Metrics(likes=api.count(status, "favourites_count"), reposts=api.count(status, "reblogs_count"),
                       replies=api.count(status, "replies_count"), views=None)

    # --- the instance of a connection --------------------------------------------------
    def _instance(self, tokens: Tokens) -> str:
        instance = tokens.extra.get("instance")
        if not instance:
            raise Permanent(NETWORK, "This Mastodon connection has no server address; reconnect the account.",
                            detail="no instance")
        return self.check(instance)

    def _limits_for(self, options: Mapping[str, Any]) -> InstanceLimits:
        given = options.get("limits")
        if isinstance(given, InstanceLimits):
            return given
        if isinstance(given, Mapping):
            return InstanceLimits.from_configuration(given)
        instance = options.get("instance")
        return (self.cached_limits(instance) if isinstance(instance, str) else None) or InstanceLimits()


def _instance_of(app: AppCredentials) -> str:
    instance = getattr(app, "instance", "")
    if not instance:
        raise ValueError("Mastodon needs the app registered at the instance: use register_app() (a MastodonApp)")
    return instance


PLATFORM = MastodonPlatform()
