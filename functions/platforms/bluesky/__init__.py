"""Bluesky (AT Protocol) over XRPC, with app passwords.

A person connects Bluesky with their handle and an app password (Bluesky
Settings > Privacy and security > App passwords), not OAuth: `sign_in` opens a
session (com.atproto.server.createSession) and keeps its JWTs, the account's
DID and handle, and the address of the server that holds the account (its PDS,
from the DID document) in Tokens.extra. An account password is refused: its
session could change the account itself.

Posts are app.bsky.feed.post records written with com.atproto.repo.createRecord:
links, mentions and hashtags as facets with UTF-8 byte offsets
(platforms.bluesky.richtext), images as app.bsky.embed.images with alt text,
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

Sessions are platforms.bluesky.session, XRPC calls and their errors
platforms.bluesky.xrpc, what a post may carry platforms.bluesky.rules, records
and uploads platforms.bluesky.records, and counts platforms.bluesky.metrics.
"""

import datetime as _dt
import urllib.parse

from platforms.base import (AppCredentials, Capability, Metrics, Platform, PostContent, Problem, Profile, Published,
                            TextRules, Tokens)
from platforms.bluesky import records, session
from platforms.bluesky.metrics import MAX_GET_POSTS, many_metrics, post_metrics
from platforms.bluesky.records import Ref, post_url, split_uri
from platforms.bluesky.rules import part_problems
from platforms.bluesky.xrpc import NAME, NO_APPVIEW, call, fail
from platforms.errors import AuthExpired, Permanent, PlatformError


class BlueskyPlatform(Platform):
    name = NAME
    display_name = "Bluesky"
    capabilities = frozenset({Capability.APP_PASSWORD})
    refresh_ahead = _dt.timedelta(minutes=30)  # access JWTs live about 2 hours
    # app.bsky.richtext.facet#tag: at most 64 graphemes.
    text_rules = TextRules(300, max_tag_length=64)
    uses_oauth = False
    uses_pkce = False
    scopes = ()  # app passwords carry no scopes of their own
    supports_threads = True
    supports_first_comment = True
    supports_video = True
    metrics_batch = MAX_GET_POSTS

    # --- connecting ---------------------------------------------------------------
    def sign_in(self, identifier: str, app_password: str, service_url: str = "https://bsky.social") -> Tokens:
        """Open a session with a handle (or email, or DID) and an app password."""
        service = session.check_service_url(service_url)
        identifier = identifier.strip().removeprefix("@")
        if not identifier or not app_password:
            raise fail("Enter your Bluesky handle and an app password.")
        opened = call("POST", service, "com.atproto.server.createSession", idempotent=False,
                      signing_in=True, body={"identifier": identifier, "password": app_password})
        tokens = session.tokens_of(opened, service=service)
        if not set(tokens.scopes) & set(session.APP_PASSWORD_SCOPES):
            # An account password's session can change the account itself: close it at once.
            self.revoke(AppCredentials(client_id=""), tokens)
            create = ("Create an app password (Bluesky Settings > Privacy and security > App passwords) "
                      "and use that.")
            if tokens.scopes == ["com.atproto.access"]:
                raise fail(f"That is your Bluesky account password. {create}")
            raise fail(f"Bluesky opened a session postr cannot use. {create}", detail=f"scopes={tokens.scopes}")
        inactive = session.inactive_message(opened)
        if inactive:
            raise fail(inactive, detail=f"status={opened.get('status')}")
        return tokens

    def authorization_url(self, app, *, state, redirect_uri, code_challenge=None) -> str:
        raise fail("Bluesky connects with an app password, not a sign-in page.")

    def exchange_code(self, app, *, code, redirect_uri, code_verifier=None) -> Tokens:
        raise fail("Bluesky connects with an app password, not a sign-in page.")

    def refresh(self, app: AppCredentials, tokens: Tokens) -> Tokens:
        """A new session from the refresh JWT (com.atproto.server.refreshSession)."""
        if not tokens.refresh_token:
            raise AuthExpired(NAME, "Your Bluesky session has expired; reconnect Bluesky.")
        renewed = call("POST", tokens.extra["pds"], "com.atproto.server.refreshSession",
                       token=tokens.refresh_token, idempotent=False)
        return session.tokens_of(renewed, service=tokens.extra.get("service") or tokens.extra["pds"],
                                 previous=tokens.extra)

    def revoke(self, app: AppCredentials, tokens: Tokens) -> bool:
        """End the session (com.atproto.server.deleteSession with the refresh JWT).
        The access JWT stays valid until it expires (two hours on Bluesky's PDS);
        the app password itself stays until the person revokes it in Bluesky."""
        try:
            call("POST", tokens.extra["pds"], "com.atproto.server.deleteSession",
                 token=tokens.refresh_token or tokens.access_token, idempotent=True)
        except AuthExpired:
            pass  # already expired or revoked: the session is gone either way
        return True

    # --- account ----------------------------------------------------------------
    def profile(self, tokens: Tokens) -> Profile:
        pds, did = tokens.extra["pds"], tokens.extra["did"]
        try:
            view = call("GET", pds, "app.bsky.actor.getProfile", token=tokens.access_token,
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
        repo = call("GET", pds, "com.atproto.repo.describeRepo", idempotent=True, params={"repo": did})
        record = {}
        try:
            record = call("GET", pds, "com.atproto.repo.getRecord", idempotent=True,
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
        problems = part_problems(content, "")
        for i, part in enumerate(content.thread):
            if part.thread or part.first_comment:
                problems.append(Problem(f"thread[{i}]", "A thread part cannot have its own thread or comment."))
            problems.extend(part_problems(part, f"thread[{i}]."))
        if content.first_comment is not None:
            problems.extend(part_problems(PostContent(text=content.first_comment), "first_comment."))
        return problems

    def publish(self, tokens: Tokens, content: PostContent) -> Published:
        self.refuse(self.validate(content))
        parts = [content, *content.thread]
        if content.first_comment is not None:
            parts.append(PostContent(text=content.first_comment))
        # Everything that can fail before a post exists happens first (mentions,
        # uploads), so a failure then leaves nothing on Bluesky.
        drafts = [records.record(tokens, part) for part in parts]
        written: list[Ref] = []
        try:
            for i, record in enumerate(drafts):
                if i > 0:
                    is_comment = content.first_comment is not None and i == len(drafts) - 1
                    parent = written[0] if is_comment else written[-1]
                    record["reply"] = {"root": written[0].json(), "parent": parent.json()}
                written.append(records.create(tokens, record))
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

    def delete(self, tokens: Tokens, post_id: str) -> None:
        """com.atproto.repo.deleteRecord; deleting a post that is already gone succeeds."""
        did, collection, rkey = split_uri(post_id)
        if did != tokens.extra["did"]:
            raise fail("That post belongs to another Bluesky account.")
        call("POST", tokens.extra["pds"], "com.atproto.repo.deleteRecord", token=tokens.access_token,
             idempotent=True, body={"repo": did, "collection": collection, "rkey": rkey})

    def metrics(self, tokens: Tokens, post_id: str) -> Metrics:
        """Counts from the AppView (app.bsky.feed.getPosts); Bluesky gives no views."""
        return post_metrics(tokens, post_id)

    def metrics_many(self, tokens: Tokens, post_ids: list[str]) -> dict[str, Metrics | Permanent]:
        return many_metrics(tokens, post_ids)


PLATFORM = BlueskyPlatform()
