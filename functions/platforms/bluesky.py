"""Bluesky (AT Protocol) over XRPC, with app passwords.

A person connects Bluesky with their handle and an app password (Bluesky
Settings > Privacy and security > App passwords), not OAuth: `sign_in` opens a
session (com.atproto.server.createSession) and keeps its JWTs, the account's
DID and handle, and the address of the server that holds the account (its PDS,
from the DID document) in Tokens.extra. An account password is refused: its
session could change the account itself.

Posts are app.bsky.feed.post records written with com.atproto.repo.createRecord:
links, mentions and hashtags as facets with UTF-8 byte offsets
(platforms.bluesky_richtext), images as app.bsky.embed.images with alt text,
one video as app.bsky.embed.video (uploaded to the PDS; Bluesky processes it
after the post appears), a link card (app.bsky.embed.external) when a link is
given without media, threads and a first comment as replies with {root, parent}
strong refs. The post id is the record's at:// URI.

Likes, reposts, replies and the followers count come from Bluesky's AppView,
reached through the PDS (app.bsky.feed.getPosts, app.bsky.actor.getProfile);
getPosts takes up to 25 `uris` (repeated) and leaves out posts it does not show.
A PDS with no AppView configured says so ("No service configured for ..."):
metrics are then all None and the profile is read from the repository itself
(app.bsky.actor.profile/self) with followers_count None.

Errors: XRPC answers {"error": name, "message": text}; the name decides, since
an expired token is a 400 (ExpiredToken), not a 401.
"""

import base64
import datetime as _dt
import ipaddress
import json
import urllib.parse
from dataclasses import dataclass

from kernel import clock
from platforms import addresses, http
from platforms.base import (AppCredentials, Media, Metrics, Platform, PostContent, Problem, Profile, Published, Tokens,
                            split_post_ids)
from platforms.bluesky_richtext import MAX_BYTES, MAX_GRAPHEMES, facets, graphemes, utf8_len
from platforms.errors import AuthExpired, Permanent, PlatformError, RateLimited, Transient

NAME = "bluesky"
WEB_URL = "https://bsky.app"
POST = "app.bsky.feed.post"

# Lexicon limits (app.bsky.embed.images, app.bsky.embed.video, app.bsky.feed.post).
MAX_IMAGES = 4
MAX_IMAGE_BYTES = 2_000_000
MAX_VIDEO_BYTES = 300_000_000
VIDEO_TYPES = ("video/mp4",)
MAX_LANGS = 3
# The Bluesky app's limits: alt text (MAX_ALT_TEXT in bluesky-social/social-app)
# and video length (3 minutes since app 1.99).
MAX_ALT_GRAPHEMES = 2000
MAX_VIDEO_SECONDS = 180

UPLOAD_CHUNK = 256 * 1024
APP_PASSWORD_SCOPES = ("com.atproto.appPass", "com.atproto.appPassPrivileged")
NO_APPVIEW = "No service configured for"
# app.bsky.feed.getPosts takes at most 25 `uris` (the lexicon's maxLength).
MAX_GET_POSTS = 25


@dataclass(frozen=True)
class _Ref:
    """A strong ref (com.atproto.repo.strongRef) to a written record."""

    uri: str
    cid: str

    def json(self) -> dict:
        return {"uri": self.uri, "cid": self.cid}


def _fail(message: str, detail: str | None = None) -> Permanent:
    return Permanent(NAME, message, detail=detail)


# --- XRPC errors ---------------------------------------------------------------

def _error_body(response) -> tuple[str | None, str | None]:
    try:
        body = response.json()
    except ValueError:
        return None, None
    if not isinstance(body, dict):
        return None, None
    return body.get("error"), body.get("message")


def _retry_after(response) -> float | None:
    """Retry-After when sent, else the RateLimit-Reset instant (epoch seconds)."""
    seconds = http.retry_after(response)
    if seconds is not None:
        return seconds
    reset = response.headers.get("ratelimit-reset")
    try:
        return max(0.0, float(reset) - clock.now().timestamp()) if reset else None
    except ValueError:
        return None


def _error(response, *, signing_in: bool = False) -> PlatformError:
    """Map an XRPC error answer onto the taxonomy."""
    name, text = _error_body(response)
    status = response.status_code
    detail = f"{status} {name or ''}: {text or ''}".strip()
    kw = {"status": status, "detail": detail}
    if name in ("ExpiredToken", "InvalidToken"):
        return AuthExpired(NAME, "Your Bluesky session has expired; reconnect Bluesky.", **kw)
    if name == "AccountTakedown":
        return Permanent(NAME, "Your Bluesky account has been taken down by its host.", **kw)
    if name == "AccountDeactivated":
        return Permanent(NAME, "Your Bluesky account is deactivated; reactivate it in Bluesky first.", **kw)
    if name == "AuthFactorTokenRequired":
        return Permanent(NAME, "Bluesky asked for a sign-in code: connect with an app password "
                               "(Bluesky Settings > Privacy and security > App passwords).", **kw)
    if status == 401 and signing_in:
        return Permanent(NAME, "Bluesky did not accept that handle and app password.", **kw)
    if status == 429 or name == "RateLimitExceeded":
        return RateLimited(NAME, "Bluesky is limiting requests; will retry.", retry_after=_retry_after(response), **kw)
    if status == 413 or name in ("PayloadTooLarge", "BlobTooLarge"):
        return Permanent(NAME, "The file is larger than your Bluesky server accepts.", **kw)
    if status == 401:
        return AuthExpired(NAME, "Bluesky no longer accepts this connection; reconnect Bluesky.", **kw)
    if status in (408, 425) or status >= 500:
        return Transient(NAME, "Bluesky had a temporary problem; will retry.", **kw)
    if text:
        return Permanent(NAME, f"Bluesky refused the request: {text}", **kw)
    return http.classify_status(NAME, response, f"Bluesky refused the request (HTTP {status}).", detail)


# --- sessions ------------------------------------------------------------------

def _jwt_claims(token: str) -> dict:
    """The claims of a JWT the PDS issued us, unverified: only its expiry and
    scope are read, for scheduling refreshes and refusing account passwords."""
    try:
        payload = token.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return {}


def _check_service_url(url: str) -> str:
    """https to a public server; nothing else gets our credentials (SSRF).
    Only the local stack and tests (ALLOW_PRIVATE_HOSTS) reach loopback, also over http."""
    parts = urllib.parse.urlsplit(url.strip())
    try:
        host, port = parts.hostname or "", parts.port
    except ValueError:
        raise _fail("That Bluesky server address has an invalid port.") from None
    allowed = addresses.private_allowed()
    loopback = host == "localhost" or (addresses.is_ip(host) and ipaddress.ip_address(host).is_loopback)
    if not host or parts.scheme not in ("https", "http") or (parts.scheme == "http" and not (allowed and loopback)):
        raise _fail("The Bluesky server address must be an https:// URL, like https://bsky.social.")
    if not allowed:
        for ip in addresses.resolve(host, port or 443, network=NAME, what="Bluesky server"):
            kind = addresses.address_kind(ip)
            if kind:
                raise _fail(f"{host} points to a {kind} address ({ip}); postr only connects to public "
                            "Bluesky servers.")
    return f"{parts.scheme}://{parts.netloc}"


def _public(url: str) -> bool:
    """A DID document names the PDS, and anyone can write one: check it like a typed address."""
    try:
        _check_service_url(url)
        return True
    except PlatformError:
        return False


def _pds_endpoint(did_doc: dict | None) -> str | None:
    """The #atproto_pds service of a DID document, when it is https."""
    for service in (did_doc or {}).get("service") or []:
        if str(service.get("id", "")).endswith("#atproto_pds") and service.get("type") == "AtprotoPersonalDataServer":
            endpoint = service.get("serviceEndpoint")
            if isinstance(endpoint, str) and endpoint.startswith("https://") and _public(endpoint):
                return endpoint.rstrip("/")
    return None


def _tokens(session: dict, *, service: str, previous: dict | None = None) -> Tokens:
    claims = _jwt_claims(session["accessJwt"])
    exp = claims.get("exp")
    extra = dict(previous or {})
    extra.update({
        "did": session["did"],
        "handle": session["handle"],
        "service": service,
        # The account's own PDS when its DID document names one; else the
        # server signed in to (an entryway such as bsky.social forwards).
        "pds": _pds_endpoint(session.get("didDoc")) or extra.get("pds") or service,
    })
    return Tokens(
        access_token=session["accessJwt"],
        refresh_token=session["refreshJwt"],
        expires_at=_dt.datetime.fromtimestamp(exp, clock.UTC) if isinstance(exp, int | float) else None,
        scopes=[claims["scope"]] if claims.get("scope") else [],
        extra=extra,
    )


def _inactive_message(session: dict) -> str | None:
    if session.get("active", True):
        return None
    status = session.get("status") or "inactive"
    return {
        "takendown": "Your Bluesky account has been taken down by its host.",
        "suspended": "Your Bluesky account is suspended.",
        "deactivated": "Your Bluesky account is deactivated; reactivate it in Bluesky first.",
    }.get(status, f"Your Bluesky account is {status}.")


# --- posts ---------------------------------------------------------------------

def _split_uri(post_id: str) -> tuple[str, str, str]:
    """at://<did>/<collection>/<rkey> -> (did, collection, rkey)."""
    if not post_id.startswith("at://"):
        raise _fail("That is not a Bluesky post id (at://...).")
    parts = post_id[len("at://"):].split("/")
    if len(parts) != 3 or not all(parts):
        raise _fail("That is not a Bluesky post id (at://...).")
    return parts[0], parts[1], parts[2]


def post_url(post_id: str) -> str:
    """The public bsky.app address of a post (a DID in the path never goes stale)."""
    did, _, rkey = _split_uri(post_id)
    return f"{WEB_URL}/profile/{did}/post/{rkey}"


def _now_iso() -> str:
    return clock.now().astimezone(clock.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _validate_part(content: PostContent, where: str) -> list[Problem]:
    problems = []
    text = content.text or ""
    n = graphemes(text)
    if n > MAX_GRAPHEMES:
        problems.append(Problem(f"{where}text", f"Bluesky allows {MAX_GRAPHEMES} characters per post "
                                                f"(an emoji counts as one); this one has {n}."))
    elif utf8_len(text) > MAX_BYTES:
        problems.append(Problem(f"{where}text", f"This post is too long for Bluesky: its text takes "
                                                f"{utf8_len(text)} bytes and Bluesky stores at most {MAX_BYTES}. "
                                                "Shorten it, or use fewer emoji."))
    images = [m for m in content.media if m.kind == "image"]
    videos = [m for m in content.media if m.kind == "video"]
    if not text.strip() and not content.media:
        problems.append(Problem(f"{where}text", "A Bluesky post needs text, an image or a video."))
    if images and videos:
        problems.append(Problem(f"{where}media", "A Bluesky post carries images or one video, not both."))
    if len(images) > MAX_IMAGES:
        problems.append(Problem(f"{where}media", f"Bluesky takes up to {MAX_IMAGES} images per post; "
                                                 f"this one has {len(images)}."))
    if len(videos) > 1:
        problems.append(Problem(f"{where}media", f"Bluesky takes one video per post; this one has {len(videos)}."))
    for i, m in enumerate(content.media):
        problems.extend(_validate_media(m, f"{where}media[{i}]", i + 1))
    if content.link and not content.media:
        scheme = urllib.parse.urlsplit(content.link).scheme
        if scheme not in ("http", "https"):
            problems.append(Problem(f"{where}link", "The link must start with http:// or https://."))
    langs = content.options.get("langs") or []
    if len(langs) > MAX_LANGS:
        problems.append(Problem(f"{where}options.langs", f"Bluesky takes up to {MAX_LANGS} languages per post."))
    return problems


def _validate_media(m: Media, field: str, number: int) -> list[Problem]:
    problems = []
    alt = m.alt_text or ""
    if graphemes(alt) > MAX_ALT_GRAPHEMES:
        problems.append(Problem(field, f"The alt text of file {number} is longer than Bluesky's "
                                       f"{MAX_ALT_GRAPHEMES} characters."))
    if m.chunks is None:
        problems.append(Problem(field, f"File {number} has no content to upload."))
    if m.kind == "image":
        if not m.mime_type.startswith("image/"):
            problems.append(Problem(field, f"File {number} is marked as an image but is {m.mime_type}."))
        if m.size > MAX_IMAGE_BYTES:
            problems.append(Problem(field, f"Image {number} is {m.size / 1e6:.1f} MB; Bluesky takes images "
                                           f"up to {MAX_IMAGE_BYTES / 1e6:.0f} MB ({MAX_IMAGE_BYTES:,} bytes)."))
    elif m.kind == "video":
        if m.mime_type not in VIDEO_TYPES:
            problems.append(Problem(field, f"Bluesky takes video as MP4 only; file {number} is {m.mime_type}."))
        if m.size > MAX_VIDEO_BYTES:
            problems.append(Problem(field, f"Video {number} is {m.size / 1e6:.0f} MB; Bluesky takes videos "
                                           f"up to {MAX_VIDEO_BYTES / 1e6:.0f} MB."))
        if m.duration_s is not None and m.duration_s > MAX_VIDEO_SECONDS:
            problems.append(Problem(field, f"Video {number} lasts {m.duration_s:.0f} s; Bluesky takes videos "
                                           f"up to {MAX_VIDEO_SECONDS // 60} minutes."))
    else:
        problems.append(Problem(field, f"File {number} is neither an image nor a video."))
    return problems


class BlueskyPlatform(Platform):
    name = NAME
    display_name = "Bluesky"
    uses_oauth = False
    uses_pkce = False
    scopes = ()  # app passwords carry no scopes of their own
    supports_threads = True
    supports_first_comment = True
    supports_video = True
    metrics_batch = MAX_GET_POSTS

    # --- XRPC -------------------------------------------------------------------
    def _call(self, method: str, base: str, nsid: str, *, token: str | None = None, idempotent: bool,
              signing_in: bool = False, params: dict | None = None, body: dict | None = None,
              content=None, headers: dict | None = None) -> dict:
        h = dict(headers or {})
        if token:
            h["Authorization"] = f"Bearer {token}"
        kwargs = {"headers": h, "params": params}
        if body is not None:
            kwargs["json"] = body
        elif content is not None:
            kwargs["content"] = content
        response = http.send(NAME, method, f"{base}/xrpc/{nsid}", idempotent=idempotent, **kwargs)
        if response.status_code >= 400:
            raise _error(response, signing_in=signing_in)
        if not response.content:
            return {}
        try:
            return response.json()
        except ValueError:
            raise Transient(NAME, "Bluesky answered with something that is not JSON; will retry.",
                            status=response.status_code, detail="non-JSON success body") from None

    # --- connecting ---------------------------------------------------------------
    def sign_in(self, identifier: str, app_password: str, service_url: str = "https://bsky.social") -> Tokens:
        """Open a session with a handle (or email, or DID) and an app password."""
        service = _check_service_url(service_url)
        identifier = identifier.strip().removeprefix("@")
        if not identifier or not app_password:
            raise _fail("Enter your Bluesky handle and an app password.")
        session = self._call("POST", service, "com.atproto.server.createSession", idempotent=False,
                             signing_in=True, body={"identifier": identifier, "password": app_password})
        tokens = _tokens(session, service=service)
        if not set(tokens.scopes) & set(APP_PASSWORD_SCOPES):
            # An account password's session can change the account itself: close it at once.
            self.revoke(AppCredentials(client_id=""), tokens)
            create = ("Create an app password (Bluesky Settings > Privacy and security > App passwords) "
                      "and use that.")
            if tokens.scopes == ["com.atproto.access"]:
                raise _fail(f"That is your Bluesky account password. {create}")
            raise _fail(f"Bluesky opened a session postr cannot use. {create}", detail=f"scopes={tokens.scopes}")
        inactive = _inactive_message(session)
        if inactive:
            raise _fail(inactive, detail=f"status={session.get('status')}")
        return tokens

    def authorization_url(self, app, *, state, redirect_uri, code_challenge=None) -> str:
        raise _fail("Bluesky connects with an app password, not a sign-in page.")

    def exchange_code(self, app, *, code, redirect_uri, code_verifier=None) -> Tokens:
        raise _fail("Bluesky connects with an app password, not a sign-in page.")

    def refresh(self, app: AppCredentials, tokens: Tokens) -> Tokens:
        """A new session from the refresh JWT (com.atproto.server.refreshSession)."""
        if not tokens.refresh_token:
            raise AuthExpired(NAME, "Your Bluesky session has expired; reconnect Bluesky.")
        session = self._call("POST", tokens.extra["pds"], "com.atproto.server.refreshSession",
                             token=tokens.refresh_token, idempotent=False)
        return _tokens(session, service=tokens.extra.get("service") or tokens.extra["pds"], previous=tokens.extra)

    def revoke(self, app: AppCredentials, tokens: Tokens) -> bool:
        """End the session (com.atproto.server.deleteSession with the refresh JWT).
        The access JWT stays valid until it expires (two hours on Bluesky's PDS);
        the app password itself stays until the person revokes it in Bluesky."""
        try:
            self._call("POST", tokens.extra["pds"], "com.atproto.server.deleteSession",
                       token=tokens.refresh_token or tokens.access_token, idempotent=True)
        except AuthExpired:
            pass  # already expired or revoked: the session is gone either way
        return True

    # --- account ----------------------------------------------------------------
    def profile(self, tokens: Tokens) -> Profile:
        pds, did = tokens.extra["pds"], tokens.extra["did"]
        try:
            view = self._call("GET", pds, "app.bsky.actor.getProfile", token=tokens.access_token,
                              idempotent=True, params={"actor": did})
        except Permanent as exc:
            if NO_APPVIEW not in (exc.detail or ""):
                raise
            return self._profile_from_repo(tokens)
        return Profile(
            account_id=view["did"],
            handle=view["handle"],
            display_name=view.get("displayName") or view["handle"],
            avatar_url=view.get("avatar"),
            followers_count=view.get("followersCount"),
        )

    def _profile_from_repo(self, tokens: Tokens) -> Profile:
        """Without an AppView: the profile record and the repo's handle; no counts."""
        pds, did = tokens.extra["pds"], tokens.extra["did"]
        repo = self._call("GET", pds, "com.atproto.repo.describeRepo", idempotent=True, params={"repo": did})
        record = {}
        try:
            record = self._call("GET", pds, "com.atproto.repo.getRecord", idempotent=True,
                                params={"repo": did, "collection": "app.bsky.actor.profile", "rkey": "self"})["value"]
        except Permanent as exc:
            if "RecordNotFound" not in (exc.detail or ""):
                raise
        avatar = record.get("avatar") or {}
        cid = (avatar.get("ref") or {}).get("$link")
        avatar_url = (f"{pds}/xrpc/com.atproto.sync.getBlob?"
                      f"{urllib.parse.urlencode({'did': did, 'cid': cid})}") if cid else None
        handle = repo.get("handle") or tokens.extra["handle"]
        return Profile(account_id=did, handle=handle, display_name=record.get("displayName") or handle,
                       avatar_url=avatar_url, followers_count=None)

    # --- posts ------------------------------------------------------------------
    def validate(self, content: PostContent) -> list[Problem]:
        problems = _validate_part(content, "")
        for i, part in enumerate(content.thread):
            if part.thread or part.first_comment:
                problems.append(Problem(f"thread[{i}]", "A thread part cannot have its own thread or comment."))
            problems.extend(_validate_part(part, f"thread[{i}]."))
        if content.first_comment is not None:
            problems.extend(_validate_part(PostContent(text=content.first_comment), "first_comment."))
        return problems

    def publish(self, tokens: Tokens, content: PostContent) -> Published:
        problems = self.validate(content)
        if problems:
            raise _fail(" ".join(p.message for p in problems), detail="validation")
        parts = [content, *content.thread]
        if content.first_comment is not None:
            parts.append(PostContent(text=content.first_comment))
        # Everything that can fail before a post exists happens first (mentions,
        # uploads), so a failure then leaves nothing on Bluesky.
        records = [self._record(tokens, part) for part in parts]
        written: list[_Ref] = []
        try:
            for i, record in enumerate(records):
                if i > 0:
                    is_comment = content.first_comment is not None and i == len(records) - 1
                    parent = written[0] if is_comment else written[-1]
                    record["reply"] = {"root": written[0].json(), "parent": parent.json()}
                written.append(self._create(tokens, record))
        except PlatformError:
            # Nothing half-written: take back the parts already posted.
            for ref in reversed(written):
                try:
                    self.delete(tokens, ref.uri)
                except PlatformError:
                    pass
            raise
        n_thread = len(content.thread)
        return Published(
            post_id=written[0].uri,
            url=post_url(written[0].uri),
            part_ids=tuple(ref.uri for ref in written[1:1 + n_thread]),
            comment_id=written[-1].uri if content.first_comment is not None else None,
        )

    def _record(self, tokens: Tokens, part: PostContent) -> dict:
        record = {"$type": POST, "text": part.text or "", "createdAt": _now_iso()}
        found = facets(record["text"], lambda handle: self._resolve_handle(tokens, handle))
        if found:
            record["facets"] = found
        if part.options.get("langs"):
            record["langs"] = list(part.options["langs"])
        embed = self._embed(tokens, part)
        if embed:
            record["embed"] = embed
        return record

    def _embed(self, tokens: Tokens, part: PostContent) -> dict | None:
        images = [m for m in part.media if m.kind == "image"]
        videos = [m for m in part.media if m.kind == "video"]
        if images:
            return {"$type": "app.bsky.embed.images",
                    "images": [self._image(m, self._upload(tokens, m)) for m in images]}
        if videos:
            m = videos[0]
            embed = {"$type": "app.bsky.embed.video", "video": self._upload(tokens, m)}
            if m.alt_text:
                embed["alt"] = m.alt_text
            if m.width and m.height:
                embed["aspectRatio"] = {"width": m.width, "height": m.height}
            return embed
        if part.link:
            # A card without fetching the page (the server never fetches URLs for people).
            return {"$type": "app.bsky.embed.external", "external": {
                "uri": part.link,
                "title": part.options.get("link_title") or part.link,
                "description": part.options.get("link_description") or "",
            }}
        return None

    @staticmethod
    def _image(m: Media, blob: dict) -> dict:
        image = {"image": blob, "alt": m.alt_text or ""}
        if m.width and m.height:
            image["aspectRatio"] = {"width": m.width, "height": m.height}
        return image

    def _upload(self, tokens: Tokens, m: Media) -> dict:
        """com.atproto.repo.uploadBlob, streamed from the media's chunks."""
        import httpx

        try:
            answer = self._call("POST", tokens.extra["pds"], "com.atproto.repo.uploadBlob",
                                token=tokens.access_token, idempotent=True, content=m.chunks(UPLOAD_CHUNK),
                                headers={"Content-Type": m.mime_type, "Content-Length": str(m.size)})
        except httpx.LocalProtocolError:
            # The stream ended before (or ran past) the size it announced.
            raise _fail("A media file could not be read whole; upload it again.", detail="size mismatch") from None
        return answer["blob"]

    def _resolve_handle(self, tokens: Tokens, handle: str) -> str | None:
        try:
            return self._call("GET", tokens.extra["pds"], "com.atproto.identity.resolveHandle",
                              idempotent=True, params={"handle": handle})["did"]
        except Permanent:
            return None  # HandleNotFound / not a handle: the text stays plain

    def _create(self, tokens: Tokens, record: dict) -> _Ref:
        answer = self._call("POST", tokens.extra["pds"], "com.atproto.repo.createRecord",
                            token=tokens.access_token, idempotent=False,
                            body={"repo": tokens.extra["did"], "collection": POST, "record": record})
        return _Ref(answer["uri"], answer["cid"])

    def delete(self, tokens: Tokens, post_id: str) -> None:
        """com.atproto.repo.deleteRecord; deleting a post that is already gone succeeds."""
        did, collection, rkey = _split_uri(post_id)
        if did != tokens.extra["did"]:
            raise _fail("That post belongs to another Bluesky account.")
        self._call("POST", tokens.extra["pds"], "com.atproto.repo.deleteRecord", token=tokens.access_token,
                   idempotent=True, body={"repo": did, "collection": collection, "rkey": rkey})

    def metrics(self, tokens: Tokens, post_id: str) -> Metrics:
        """Counts from the AppView (app.bsky.feed.getPosts); Bluesky gives no views."""
        _split_uri(post_id)
        try:
            answer = self._call("GET", tokens.extra["pds"], "app.bsky.feed.getPosts", token=tokens.access_token,
                                idempotent=True, params={"uris": post_id})
        except Permanent as exc:
            if NO_APPVIEW in (exc.detail or ""):
                return Metrics()
            raise
        for view in answer.get("posts") or []:
            if view.get("uri") == post_id:
                return _metrics(view)
        raise _gone()

    def metrics_many(self, tokens: Tokens, post_ids: list[str]) -> dict[str, Metrics | Permanent]:
        """Up to 25 posts in one getPosts (`uris` repeated); a post the AppView
        does not show is simply absent from "posts"."""
        wanted, out = split_post_ids(post_ids, _split_uri, MAX_GET_POSTS, "Bluesky")
        if not wanted:
            return out
        try:
            answer = self._call("GET", tokens.extra["pds"], "app.bsky.feed.getPosts", token=tokens.access_token,
                                idempotent=True, params={"uris": wanted})
        except Permanent as exc:
            if NO_APPVIEW in (exc.detail or ""):
                return {**out, **{uri: Metrics() for uri in wanted}}
            raise
        found = {view.get("uri"): view for view in answer.get("posts") or [] if isinstance(view, dict)}
        for uri in wanted:
            out[uri] = _metrics(found[uri]) if uri in found else _gone()
        return out


def _metrics(view: dict) -> Metrics:
    """A postView's counts, the same for one post or many; Bluesky gives no views."""
    return Metrics(likes=view.get("likeCount"), reposts=view.get("repostCount"), replies=view.get("replyCount"),
                   views=None)


def _gone() -> Permanent:
    return _fail("Bluesky no longer shows this post; it may have been deleted.", detail="not in getPosts")


PLATFORM = BlueskyPlatform()
