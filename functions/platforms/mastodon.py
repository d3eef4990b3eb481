"""Mastodon, any instance (docs.joinmastodon.org, REST API and OAuth).

Every instance is its own server, so:
- our app is registered per instance (`register_app`, POST /api/v1/apps) and
  its credentials are a `MastodonApp`: an `AppCredentials` that also carries the
  instance's base URL. The base interface's OAuth methods keep their exact
  signatures and read the instance from the app they are given.
- `Tokens.extra["instance"]` holds the instance's base URL for every later call.
- the instance address comes from a person, so it is checked before any request
  (`check_instance_url`): https only, and never a host that resolves to a
  private, loopback, link-local or reserved address (SSRF).
- limits (characters, attachments, sizes, alt text) are the instance's own,
  read from GET /api/v2/instance and cached; documented defaults otherwise.

Access tokens do not expire on Mastodon (its token endpoint has no
refresh_token grant), so `refresh` returns the tokens as they are unless a
server did hand out a refresh token. PKCE (S256) is always sent: Mastodon 4.3+
checks it, and older servers ignore it (Doorkeeper only uses PKCE when its
grant table has the challenge columns, which Mastodon added in 4.3).
"""

import datetime as _dt
import hashlib
import io
import mimetypes
import time
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from platforms import addresses, http
from platforms.base import AppCredentials, Media, Metrics, Platform, PostContent, Problem, Profile, Published, Tokens
from platforms.errors import AuthExpired, Permanent, PlatformError, RateLimited, Transient

NETWORK = "mastodon"
CLIENT_NAME = "postr"
VISIBILITIES = ("public", "unlisted", "private", "direct")
# Options a post may carry for Mastodon (PostContent.options).
OPTIONS = ("instance", "limits", "visibility", "spoiler_text", "sensitive", "language", "idempotency_key")
UPLOAD_CHUNK = 1024 * 1024
LIMITS_TTL = _dt.timedelta(hours=1)


class InstanceRefused(Permanent):
    """An instance address postr will not talk to; `message` says why."""


# --- the instance address (SSRF) ------------------------------------------------------


def _address_kind(ip):
    return addresses.address_kind(ip)


def _resolve(host: str, port: int):
    return addresses.resolve(host, port, network=NETWORK, what="Mastodon server", refused=InstanceRefused)


def _parse_instance(url: str, allow_http: bool) -> tuple[str, str, str, int | None]:
    """(scheme, host as typed, ASCII host, port) of an instance address, or
    InstanceRefused; no lookup."""
    raw = (url or "").strip()
    if not raw:
        raise InstanceRefused(NETWORK, "Enter the address of your Mastodon server, like https://mastodon.social.")
    if "://" not in raw:
        raw = "https://" + raw
    parts = urllib.parse.urlsplit(raw)
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http") or (scheme == "http" and not allow_http):
        raise InstanceRefused(NETWORK, "The server address must start with https://.", detail="scheme")
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        raise InstanceRefused(NETWORK, "That server address has an invalid port.", detail="port") from None
    if not host or parts.username is not None or parts.password is not None:
        raise InstanceRefused(NETWORK, "Enter the server's address only, like https://mastodon.social.", detail="host")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise InstanceRefused(NETWORK, "Enter the server's address only, without a path, like https://mastodon.social.",
                              detail="path")
    try:
        ascii_host = host if _is_ip(host) else host.encode("idna").decode("ascii")
    except UnicodeError:
        raise InstanceRefused(NETWORK, f"{host} is not a valid server name.", detail="idna") from None
    return scheme, host, ascii_host, port


def _base_url(scheme: str, ascii_host: str, port: int | None) -> str:
    netloc = f"[{ascii_host}]" if ":" in ascii_host else ascii_host
    if port and port != (443 if scheme == "https" else 80):
        netloc += f":{port}"
    return f"{scheme}://{netloc}"


def instance_key(url: str) -> str | None:
    """The normalized base URL of an instance address, without any lookup
    (for caches); None if it is not an acceptable address at all."""
    try:
        scheme, _, ascii_host, port = _parse_instance(url, allow_http=True)
    except PlatformError:
        return None
    return _base_url(scheme, ascii_host, port)


def check_instance_url(url: str, allow_private: bool = False) -> str:
    """The instance's base URL (`https://host[:port]`, no path) if postr may
    talk to it; InstanceRefused otherwise. A bare host ("mastodon.social")
    means https. Every address the host resolves to must be public.
    `allow_private` is for tests and local fakes only: it lets loopback and
    private addresses through, and plain http for those alone."""
    scheme, host, ascii_host, port = _parse_instance(url, allow_http=allow_private)
    addresses = _resolve(ascii_host, port or (443 if scheme == "https" else 80))
    kinds = {str(ip): _address_kind(ip) for ip in addresses}
    blocked = {a: k for a, k in kinds.items() if k}
    if blocked and not allow_private:
        address, kind = next(iter(blocked.items()))
        raise InstanceRefused(NETWORK, f"{host} points to a {kind} address ({address}); postr only connects to "
                              "public Mastodon servers.", detail=f"address:{kind}")
    if scheme == "http" and len(blocked) < len(kinds):
        raise InstanceRefused(NETWORK, "The server address must start with https://.", detail="scheme")
    return _base_url(scheme, ascii_host, port)


def _is_ip(host: str) -> bool:
    return addresses.is_ip(host)


# --- what an instance allows -----------------------------------------------------------

# Used when the instance's configuration is not known (Instance entity example,
# and the server's own constants: 500 characters, 4 attachments, 1,500 characters
# of alt text, 16 MB images, 99 MB video).
DEFAULT_MIME_TYPES = ("image/jpeg", "image/png", "image/gif", "image/heic", "image/heif", "image/webp",
                      "image/avif", "video/webm", "video/mp4", "video/quicktime", "video/ogg")


@dataclass(frozen=True)
class InstanceLimits:
    max_characters: int = 500
    characters_reserved_per_url: int = 23
    max_media_attachments: int = 4
    description_limit: int = 1500
    image_size_limit: int = 16 * 1024 * 1024
    video_size_limit: int = 99 * 1024 * 1024
    image_matrix_limit: int = 33_177_600
    video_matrix_limit: int = 8_294_400
    supported_mime_types: tuple[str, ...] = DEFAULT_MIME_TYPES
    domain: str | None = None  # the WebFinger domain, for handles

    @classmethod
    def from_instance(cls, instance: Mapping[str, Any]) -> "InstanceLimits":
        """From an Instance entity (v2: `domain`) or a V1_Instance (`uri`)."""
        config = instance.get("configuration")
        limits = cls.from_configuration(config if isinstance(config, Mapping) else {})
        domain = instance.get("domain") or instance.get("uri")
        return replace(limits, domain=domain if isinstance(domain, str) and domain else None)

    @classmethod
    def from_configuration(cls, config: Mapping[str, Any]) -> "InstanceLimits":
        """From an instance's `configuration` object; missing values keep the defaults."""
        statuses = config.get("statuses") if isinstance(config.get("statuses"), Mapping) else {}
        media = config.get("media_attachments") if isinstance(config.get("media_attachments"), Mapping) else {}
        default = cls()

        def pick(section: Mapping, key: str) -> int:
            value = section.get(key)
            ok = isinstance(value, int) and not isinstance(value, bool) and value > 0
            return value if ok else getattr(default, key)

        mimes = media.get("supported_mime_types")
        return cls(
            max_characters=pick(statuses, "max_characters"),
            characters_reserved_per_url=pick(statuses, "characters_reserved_per_url"),
            max_media_attachments=pick(statuses, "max_media_attachments"),
            description_limit=pick(media, "description_limit"),
            image_size_limit=pick(media, "image_size_limit"),
            video_size_limit=pick(media, "video_size_limit"),
            image_matrix_limit=pick(media, "image_matrix_limit"),
            video_matrix_limit=pick(media, "video_matrix_limit"),
            supported_mime_types=tuple(m for m in mimes if isinstance(m, str)) if isinstance(mimes, list)
            else DEFAULT_MIME_TYPES,
        )


@dataclass(frozen=True)
class MastodonApp(AppCredentials):
    """Our app's registration at one instance (from `register_app`)."""

    instance: str = ""


# --- the platform ----------------------------------------------------------------------


class MastodonPlatform(Platform):
    name = "mastodon"
    display_name = "Mastodon"
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
        body = self._json(self._send("POST", base, "/api/v1/apps", idempotent=True, data=data), base)
        return MastodonApp(client_id=_field(body, "client_id", base), client_secret=_field(body, "client_secret", base),
                           instance=base)

    def instance_limits(self, instance_url: str) -> InstanceLimits:
        """The instance's limits (GET /api/v2/instance, or /api/v1/instance on
        servers before 4.0), cached for an hour in this process."""
        from kernel import clock

        base = self.check(instance_url)
        cached = self._limits.get(base)
        if cached and clock.now() - cached[0] < LIMITS_TTL:
            return cached[1]
        response = self._send("GET", base, "/api/v2/instance", idempotent=True, ok=(404,))
        if response.status_code == 404:
            response = self._send("GET", base, "/api/v1/instance", idempotent=True)
        limits = InstanceLimits.from_instance(self._json(response, base))
        self._limits[base] = (clock.now(), limits)
        return limits

    def cached_limits(self, instance_url: str) -> InstanceLimits | None:
        """Limits already fetched for this instance, without a request."""
        cached = self._limits.get(instance_key(instance_url) or "")
        return cached[1] if cached else None

    # --- OAuth -------------------------------------------------------------------------
    def authorization_url(self, app: AppCredentials, *, state: str, redirect_uri: str,
                          code_challenge: str | None = None) -> str:
        base = _instance_of(app)
        params = {"response_type": "code", "client_id": app.client_id, "redirect_uri": redirect_uri,
                  "scope": " ".join(self.scopes), "state": state}
        if code_challenge:
            params |= {"code_challenge": code_challenge, "code_challenge_method": "S256"}
        return f"{base}/oauth/authorize?{urllib.parse.urlencode(params, quote_via=urllib.parse.quote)}"

    def exchange_code(self, app: AppCredentials, *, code: str, redirect_uri: str,
                      code_verifier: str | None = None) -> Tokens:
        base = self.check(_instance_of(app))
        data = {"grant_type": "authorization_code", "code": code, "client_id": app.client_id,
                "client_secret": app.client_secret or "", "redirect_uri": redirect_uri}
        if code_verifier:
            data["code_verifier"] = code_verifier
        # A code is single-use: a lost answer cannot be retried, so not idempotent.
        body = self._json(self._send("POST", base, "/oauth/token", idempotent=False, data=data), base)
        return _tokens(body, base)

    def refresh(self, app: AppCredentials, tokens: Tokens) -> Tokens:
        if not tokens.refresh_token:
            return tokens  # Mastodon access tokens do not expire
        base = self._instance(tokens)
        data = {"grant_type": "refresh_token", "refresh_token": tokens.refresh_token,
                "client_id": app.client_id, "client_secret": app.client_secret or ""}
        body = self._json(self._send("POST", base, "/oauth/token", idempotent=False, data=data), base)
        fresh = _tokens(body, base)
        if not fresh.refresh_token:
            fresh.refresh_token = tokens.refresh_token
        return fresh

    def revoke(self, app: AppCredentials, tokens: Tokens) -> bool:
        """POST /oauth/revoke needs the app that issued the token; a token the
        person made themselves (connect_with_token) cannot be revoked by us:
        False, and they remove it under Preferences > Development."""
        if not app.client_id:
            return False
        base = self._instance(tokens)
        data = {"client_id": app.client_id, "client_secret": app.client_secret or "", "token": tokens.access_token}
        self._send("POST", base, "/oauth/revoke", idempotent=True, data=data)
        return True

    def connect_with_token(self, instance_url: str, access_token: str) -> tuple[Tokens, Profile]:
        """For a token the person made themselves (Preferences > Development on
        their server): checked by reading the profile with it."""
        tokens = Tokens(access_token=access_token, extra={"instance": self.check(instance_url)})
        return tokens, self.profile(tokens)

    # --- account -----------------------------------------------------------------------
    def profile(self, tokens: Tokens) -> Profile:
        base = self._instance(tokens)
        account = self._json(self._send("GET", base, "/api/v1/accounts/verify_credentials", tokens=tokens,
                                        idempotent=True), base)
        domain = self.instance_limits(base).domain or urllib.parse.urlsplit(base).hostname
        acct = str(_field(account, "acct", base))
        followers = account.get("followers_count")
        # Account ids are per instance; the domain makes them unique across instances.
        return Profile(
            account_id=f"{_field(account, 'id', base)}@{domain}",
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
        from platforms.mastodon_text import status_length

        options = content.options or {}
        problems = _check_options(options)
        limits = self._limits_for(options)
        spoiler = options.get("spoiler_text") if isinstance(options.get("spoiler_text"), str) else ""
        where = limits.domain or "this Mastodon server"

        def check_text(field_name: str, text: str, has_media: bool) -> None:
            if not text.strip() and not has_media:
                problems.append(Problem(field_name, "Write some text or attach media: Mastodon does not take an empty post."))
                return
            used = status_length(text, spoiler, limits.characters_reserved_per_url)
            if used > limits.max_characters:
                problems.append(Problem(field_name, (
                    f"This is {used} characters long and {where} allows {limits.max_characters} "
                    f"(a link counts as {limits.characters_reserved_per_url}, a mention without its @server part"
                    f"{', the content warning included' if spoiler else ''}). Shorten it by {used - limits.max_characters}.")))

        for prefix, part in [("", content), *((f"thread[{i}].", p) for i, p in enumerate(content.thread, 1))]:
            check_text(prefix + "text", _status_text(part), bool(part.media))
            problems.extend(_check_media(part.media, prefix + "media", limits, where))
            if prefix and part.thread:
                problems.append(Problem(prefix + "thread", "A thread part cannot start a thread of its own; "
                                        "add the parts to the main post's thread in order."))
            if prefix and part.first_comment is not None:
                problems.append(Problem(prefix + "first_comment", "Only the first post of a thread can have a first comment."))
            if prefix and part.options:
                problems.append(Problem(prefix + "options", "Options apply to the whole thread; set them on the first post."))
        if content.first_comment is not None:
            check_text("first_comment", content.first_comment, False)
        return problems

    def publish(self, tokens: Tokens, content: PostContent) -> Published:
        """Uploads each part's media (waiting until processed), then posts the
        parts as a reply chain and the first comment as a reply to the first
        post. Each status carries an Idempotency-Key derived from
        options["idempotency_key"] (else from the content), so a retry within
        the hour the server keeps keys returns the statuses already made."""
        base = self._instance(tokens)
        limits = self.instance_limits(base)
        problems = self.validate(replace(content, options={**content.options, "limits": limits}))
        if problems:
            raise Permanent(NETWORK, "This post cannot go to Mastodon: " + " ".join(p.message for p in problems),
                            detail="; ".join(p.field for p in problems))
        key = content.options.get("idempotency_key") or _content_key(base, content)
        parts = [content, *content.thread]
        # Every file is uploaded and processed before anything is posted, so a
        # media failure leaves nothing half-published.
        media_ids = [[self._upload(base, tokens, media) for media in part.media] for part in parts]
        root = self._post_status(base, tokens, _status_text(content), content.options, media_ids=media_ids[0],
                                 reply_to=None, key=f"{key}:0")
        root_id, url = str(root["id"]), root.get("url") or root.get("uri")
        part_ids: list[str] = []
        comment_id = None
        try:
            previous = root_id
            for i, (part, ids) in enumerate(zip(parts[1:], media_ids[1:]), 1):
                previous = str(self._post_status(base, tokens, _status_text(part), content.options, media_ids=ids,
                                                 reply_to=previous, key=f"{key}:{i}")["id"])
                part_ids.append(previous)
            if content.first_comment:
                comment = self._post_status(base, tokens, content.first_comment, content.options, media_ids=[],
                                            reply_to=root_id, key=f"{key}:comment")
                comment_id = str(comment["id"])
        except PlatformError as exc:
            # The first post (and maybe some parts) are live: say which, so the
            # caller records them. A retry with the same key within the hour
            # gets the same statuses back instead of new ones.
            exc.partial = Published(post_id=root_id, url=url, part_ids=tuple(part_ids), comment_id=None)
            raise
        return Published(post_id=root_id, url=url, part_ids=tuple(part_ids), comment_id=comment_id)

    def delete(self, tokens: Tokens, post_id: str) -> None:
        base = self._instance(tokens)
        # delete_media (4.4+): the attachments go now, not after a day kept for redrafts.
        response = self._send("DELETE", base, f"/api/v1/statuses/{_path_id(post_id)}", tokens=tokens,
                              idempotent=True, params={"delete_media": "true"}, ok=(404,))
        if response.status_code == 404:
            return  # already gone (or never ours): nothing left to delete

    def metrics(self, tokens: Tokens, post_id: str) -> Metrics:
        base = self._instance(tokens)
        status = self._json(self._send("GET", base, f"/api/v1/statuses/{_path_id(post_id)}", tokens=tokens,
                                       idempotent=True), base)
        return Metrics(likes=_count(status, "favourites_count"), reposts=_count(status, "reblogs_count"),
                       replies=_count(status, "replies_count"), views=None)

    # --- requests ----------------------------------------------------------------------
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

    def _send(self, method: str, base: str, path: str, *, idempotent: bool, tokens: Tokens | None = None,
              ok: tuple[int, ...] = (), headers: dict[str, str] | None = None, **kwargs):
        headers = dict(headers or {})
        if tokens is not None:
            headers["Authorization"] = f"Bearer {tokens.access_token}"
        response = http.send(NETWORK, method, base + path, idempotent=idempotent, headers=headers, **kwargs)
        if response.is_success or response.status_code in ok:
            return response
        raise _error(response, base)

    def _json(self, response, base: str) -> Any:
        try:
            return response.json()
        except ValueError:
            host = urllib.parse.urlsplit(base).hostname
            raise Permanent(NETWORK, f"{host} did not answer like a Mastodon server.", status=response.status_code,
                            detail="not json") from None

    def _upload(self, base: str, tokens: Tokens, media: Media) -> str:
        extension = mimetypes.guess_extension(media.mime_type) or "." + media.mime_type.rsplit("/", 1)[-1]
        files = {"file": (f"upload{extension}", _MediaStream(media), media.mime_type)}
        data = {"description": media.alt_text} if media.alt_text else {}
        # A repeated upload only leaves an unattached file the server removes, so it is safe to retry.
        response = self._send("POST", base, "/api/v2/media", tokens=tokens, idempotent=True, data=data, files=files)
        attachment = self._json(response, base)
        media_id = str(_field(attachment, "id", base))
        if response.status_code == 202 or not attachment.get("url"):
            self._wait_for_media(base, tokens, media_id)
        return media_id

    def _wait_for_media(self, base: str, tokens: Tokens, media_id: str) -> None:
        """Poll GET /api/v1/media/:id (206 while processing, 200 with a url when
        done) with doubling pauses, for at most media_wait_s in all."""
        delay, waited = 1.0, 0.0
        while waited + delay <= self.media_wait_s:
            self._sleep(delay)
            waited += delay
            response = self._send("GET", base, f"/api/v1/media/{_path_id(media_id)}", tokens=tokens, idempotent=True)
            if response.status_code == 200 and self._json(response, base).get("url"):
                return
            delay = min(delay * 2, 30.0)
        host = urllib.parse.urlsplit(base).hostname
        raise Transient(NETWORK, f"{host} is still processing the media after {waited:.0f} seconds; will retry.",
                        detail="media processing")

    def _post_status(self, base: str, tokens: Tokens, text: str, options: Mapping[str, Any], *,
                     media_ids: list[str], reply_to: str | None, key: str) -> Mapping[str, Any]:
        data: dict[str, Any] = {}
        if text:
            data["status"] = text
        if media_ids:
            data["media_ids[]"] = media_ids
        if reply_to:
            data["in_reply_to_id"] = str(reply_to)
        for name in ("visibility", "spoiler_text", "sensitive", "language"):
            if options.get(name) not in (None, ""):
                data[name] = options[name]
        # The Idempotency-Key makes a repeat return the first status, so a
        # request whose answer was lost can be retried (hence idempotent=True).
        try:
            response = self._send("POST", base, "/api/v1/statuses", tokens=tokens, idempotent=True, data=data,
                                  headers={"Idempotency-Key": key})
        except Permanent as exc:
            if exc.status == 422 and "finished processing" in (exc.detail or ""):
                raise Transient(NETWORK, exc.message, status=422, detail=exc.detail) from None
            raise
        status = self._json(response, base)
        _field(status, "id", base)
        return status


# --- helpers -----------------------------------------------------------------------------


def _instance_of(app: AppCredentials) -> str:
    instance = getattr(app, "instance", "")
    if not instance:
        raise ValueError("Mastodon needs the app registered at the instance: use register_app() (a MastodonApp)")
    return instance


def _field(body: Any, key: str, base: str) -> Any:
    if isinstance(body, Mapping) and body.get(key) not in (None, ""):
        return body[key]
    host = urllib.parse.urlsplit(base).hostname
    raise Permanent(NETWORK, f"{host} did not answer like a Mastodon server.", detail=f"missing {key}")


def _count(body: Mapping[str, Any], key: str) -> int | None:
    value = body.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _path_id(value: str) -> str:
    return urllib.parse.quote(str(value), safe="")


def _tokens(body: Any, base: str) -> Tokens:
    from kernel import clock

    expires_in = body.get("expires_in") if isinstance(body, Mapping) else None
    scope = body.get("scope") if isinstance(body, Mapping) else None
    return Tokens(
        access_token=_field(body, "access_token", base),
        refresh_token=body.get("refresh_token") or None,
        expires_at=clock.now() + _dt.timedelta(seconds=expires_in) if isinstance(expires_in, int) else None,
        scopes=scope.split() if isinstance(scope, str) else [],
        extra={"instance": base},
    )


def _error(response, base: str) -> PlatformError:
    """Mastodon's error bodies are {"error": "...", "error_description"?: "..."}."""
    host = urllib.parse.urlsplit(base).hostname
    try:
        body = response.json()
    except ValueError:
        body = None
    said = None
    if isinstance(body, Mapping):
        said = body.get("error_description") or body.get("error")
        said = said if isinstance(said, str) else None
    status = response.status_code
    kw = {"status": status, "detail": said}
    if status == 401:
        return AuthExpired(NETWORK, f"Your Mastodon connection to {host} expired or was revoked; reconnect the account.",
                           **kw)
    if status == 429:
        return RateLimited(NETWORK, f"{host} is limiting requests; will retry.", retry_after=_reset_after(response), **kw)
    if status in (408, 425) or status >= 500:
        return Transient(NETWORK, f"{host} had a temporary problem ({status}); will retry.", **kw)
    if status == 422:
        return Permanent(NETWORK, f"{host} refused it: {said or 'the request was not valid'}", **kw)
    return http.classify_status(NETWORK, response, f"{host} refused the request: {said}" if said else "", said)


def _reset_after(response) -> float | None:
    """Seconds until X-RateLimit-Reset (an ISO 8601 time), else Retry-After."""
    from kernel import clock

    value = response.headers.get("x-ratelimit-reset")
    if value:
        try:
            reset = _dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
            if reset.tzinfo is None:
                reset = reset.replace(tzinfo=_dt.timezone.utc)
            return max(0.0, (reset - clock.now()).total_seconds())
        except ValueError:
            pass
    return http.retry_after(response)


def _status_text(part: PostContent) -> str:
    text = part.text or ""
    if part.link and part.link not in text:
        text = f"{text}\n\n{part.link}" if text.strip() else part.link
    return text


def _content_key(base: str, content: PostContent) -> str:
    """A stable Idempotency-Key when the caller gave none: the same post to the
    same instance gives the same key."""
    digest = hashlib.sha256(base.encode())
    for part in [content, *content.thread]:
        digest.update(b"\x00" + _status_text(part).encode())
        for m in part.media:
            digest.update(f"\x01{m.mime_type}:{m.size}:{m.alt_text or ''}".encode())
    digest.update(b"\x02" + (content.first_comment or "").encode())
    for name in ("visibility", "spoiler_text", "sensitive", "language"):
        digest.update(f"\x03{name}={content.options.get(name)!r}".encode())
    return "postr-" + digest.hexdigest()[:40]


def _check_options(options: Mapping[str, Any]) -> list[Problem]:
    problems = []
    for name in options:
        if name not in OPTIONS:
            problems.append(Problem(f"options.{name}", f"Mastodon has no option '{name}' (it takes: {', '.join(OPTIONS)})."))
    visibility = options.get("visibility")
    if visibility is not None and visibility not in VISIBILITIES:
        problems.append(Problem("options.visibility", f"Visibility must be one of {', '.join(VISIBILITIES)}."))
    if options.get("spoiler_text") is not None and not isinstance(options["spoiler_text"], str):
        problems.append(Problem("options.spoiler_text", "The content warning must be text."))
    if options.get("sensitive") is not None and not isinstance(options["sensitive"], bool):
        problems.append(Problem("options.sensitive", "Sensitive must be true or false."))
    language = options.get("language")
    if language is not None and not (isinstance(language, str) and language.isascii() and language.isalpha()
                                     and len(language) in (2, 3)):
        problems.append(Problem("options.language", "Language must be an ISO 639 code like 'en' or 'fr'."))
    limits = options.get("limits")
    if limits is not None and not isinstance(limits, InstanceLimits | Mapping):
        problems.append(Problem("options.limits", "Limits must be an instance's configuration object."))
    key = options.get("idempotency_key")
    if key is not None and not (isinstance(key, str) and 0 < len(key) <= 200):
        problems.append(Problem("options.idempotency_key", "The idempotency key must be text of 1 to 200 characters."))
    return problems


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def _check_media(media: list[Media], field_name: str, limits: InstanceLimits, where: str) -> list[Problem]:
    problems = []
    if len(media) > limits.max_media_attachments:
        problems.append(Problem(field_name, f"{len(media)} attachments: {where} takes at most "
                                f"{limits.max_media_attachments} per post."))
    if len(media) > 1 and any(m.kind == "video" for m in media):
        problems.append(Problem(field_name, "A video must be the only attachment of a Mastodon post."))
    accepted = [t for t in limits.supported_mime_types if t.startswith(("image/", "video/"))]
    for i, m in enumerate(media):
        at = f"{field_name}[{i}]"
        if m.kind not in ("image", "video") or not m.mime_type.startswith(m.kind + "/"):
            problems.append(Problem(at, f"The file type {m.mime_type} does not match a {m.kind}."))
        elif m.mime_type not in limits.supported_mime_types:
            problems.append(Problem(at, f"{where} does not take {m.mime_type} files (it takes {', '.join(accepted)})."))
        size_limit = limits.video_size_limit if m.kind == "video" else limits.image_size_limit
        if m.size <= 0:
            problems.append(Problem(at, "The file is empty."))
        elif m.size > size_limit:
            problems.append(Problem(at, f"This {m.kind} is {_megabytes(m.size)}; {where} takes {m.kind}s up to "
                                    f"{_megabytes(size_limit)}."))
        matrix = limits.video_matrix_limit if m.kind == "video" else limits.image_matrix_limit
        if m.width and m.height and m.width * m.height > matrix:
            problems.append(Problem(at, f"This {m.kind} is {m.width}x{m.height} pixels; {where} takes at most "
                                    f"{matrix:,} pixels (width times height)."))
        if m.alt_text and len(m.alt_text) > limits.description_limit:
            problems.append(Problem(at + ".alt_text", f"The alt text is {len(m.alt_text)} characters; {where} allows "
                                    f"{limits.description_limit}."))
        if m.chunks is None:
            problems.append(Problem(at, "This media has no file to upload (Mastodon takes uploads, not links)."))
    return problems


class _MediaStream(io.RawIOBase):
    """Media.chunks as a read-once file of known length, so httpx streams the
    multipart body with a Content-Length and never holds the whole file.
    httpx measures a file by seeking to its end and back before reading; that
    is allowed until the first read, and nothing else is."""

    def __init__(self, media: Media):
        self._size = media.size
        self._chunks = media.chunks(UPLOAD_CHUNK) if media.chunks else iter(())
        self._buffer = b""
        self._pos = 0
        self._started = False

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return not self._started

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        target = {io.SEEK_SET: offset, io.SEEK_CUR: self._pos + offset, io.SEEK_END: self._size + offset}[whence]
        if self._started and target != self._pos:
            raise io.UnsupportedOperation("a media stream can be read once only")
        self._pos = target
        return target

    def read(self, size: int = -1) -> bytes:
        if not self._started:
            if self._pos != 0:
                raise io.UnsupportedOperation("a media stream is read from its start")
            self._started = True
        while size < 0 or len(self._buffer) < size:
            piece = next(self._chunks, None)
            if piece is None:
                break
            self._buffer += piece
        out, self._buffer = (self._buffer, b"") if size < 0 else (self._buffer[:size], self._buffer[size:])
        self._pos += len(out)
        if self._pos > self._size or (not out and self._pos != self._size):
            raise Permanent(NETWORK, "The media file is not the size it was said to be; upload it again.",
                            detail=f"streamed {self._pos} of {self._size} bytes")
        return out


PLATFORM = MastodonPlatform()
