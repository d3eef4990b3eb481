"""LinkedIn: a member's own posts through LinkedIn's versioned REST API.

What the module relies on, from LinkedIn's documentation (learn.microsoft.com/linkedin):
- OAuth 2.0 authorization code flow (`/oauth/v2/authorization`, then
  `POST /oauth/v2/accessToken` with the client secret). PKCE is not used.
  Scopes: `openid profile` (Sign In with LinkedIn using OpenID Connect) for
  the profile, `w_member_social` (Share on LinkedIn) for posting, deleting
  and commenting. Access tokens last 60 days.
- Refresh tokens are issued only to approved partners (programmatic refresh
  tokens, 365 days, not extended by refreshing). Without one, `refresh` says
  the account must be reconnected.
- The token answer's `scope` lists what the member granted (comma-separated);
  a member consents to all requested scopes or none (Authorization Code Flow:
  "the user must consent to all of them"), and an answer without `scope`
  granted what was asked (RFC 6749 §5.1).
- LinkedIn documents no way for an app to revoke a member's token (see
  `revoke`), so `revoke` sends nothing and returns False: the member removes
  postr under Settings & Privacy > Data privacy > Other applications >
  Permitted services, or the token lapses 60 days after it was issued.
- Profile: `GET /v2/userinfo` (sub, name, picture); the author URN is
  `urn:li:person:{sub}`. The followers count needs scopes a self-serve app
  does not get, so it is None.
- Every `/rest/` call carries `LinkedIn-Version: YYYYMM` and
  `X-Restli-Protocol-Version: 2.0.0`.
- Posts API (`POST /rest/posts`): the new post's URN comes back in the
  `x-restli-id` header; public URL `https://www.linkedin.com/feed/update/{urn}`.
  Content is one of: a single image or video (`content.media`), 2-20 images
  (`content.multiImage`), or a link (`content.article`). No threads.
- `commentary` is "little" text: the characters | { } @ [ ] ( ) < > # \\ * _ ~
  must be backslash-escaped, or LinkedIn cuts the post at the first one. A bare
  `#word` is a hashtag element and is left as is. 3,000 characters; counted
  here as LinkedIn's Java backend counts the text people see (UTF-16 units),
  escapes excluded.
- Images API: `initializeUpload`, then PUT the bytes to `uploadUrl`. JPEG,
  PNG or GIF, fewer than 36,152,320 pixels; alt text up to 4,086 characters.
- Videos API: `initializeUpload` with the size, PUT each byte range to its
  `uploadUrl` (ETag per part), `finalizeUpload`, then wait for AVAILABLE.
  MP4, 3 s to 30 min, 75 KB to 500 MB.
- Comments API (`POST /rest/socialActions/{urn}/comments`, w_member_social)
  carries the first comment.
- Metrics: `memberCreatorPostAnalytics` (IMPRESSION, REACTION, COMMENT,
  RESHARE) needs `r_member_postAnalytics`, part of the Community Management API
  that LinkedIn approves case by case; without that scope every metric is None.
  (`socialActions` counts need `r_member_social`, a private permission.)
- Errors: `{"status", "serviceErrorCode", "code", "message"}`; a duplicate
  post is a 422 whose `errorDetails.inputErrors[].code` is DUPLICATE_POST.

The little text format is platforms.linkedin.text, what a post may carry is
checked in platforms.linkedin.rules, media go up through
platforms.linkedin.upload, statistics come from platforms.linkedin.metrics,
and addresses, headers and errors are platforms.linkedin.api.
"""

import datetime as _dt

from firebase_functions.params import StringParam

from kernel import log, settings
from platforms import http, oauth
from platforms.base import AppCredentials, Metrics, Platform, PostContent, Problem, Profile, Published, TextRules, Tokens
from platforms.errors import AuthExpired, OutcomeUnknown, PlatformError, Transient
from platforms.linkedin import rules, upload
from platforms.linkedin.api import NAME, TOKEN_ENDPOINT, api, auth, encode, error, rest_headers
from platforms.linkedin.metrics import post_metrics
from platforms.linkedin.text import little_text

# Scopes our LinkedIn app has been approved for beyond the self-serve ones,
# space-separated; "r_member_postAnalytics" turns metrics on.
LINKEDIN_EXTRA_SCOPES = StringParam("LINKEDIN_EXTRA_SCOPES", default="")


def post_url(urn: str) -> str:
    return f"https://www.linkedin.com/feed/update/{urn}"


class LinkedInPlatform(Platform):
    name = NAME
    display_name = "LinkedIn"
    client_id = settings.OAUTH_CLIENT_IDS["linkedin"]
    client_secret = settings.OAUTH_CLIENT_SECRETS["linkedin"]
    refresh_ahead = _dt.timedelta(days=7)  # access tokens live 60 days
    # LinkedIn makes #word a hashtag only when it starts with a letter.
    text_rules = TextRules(3000, tag_starts_with_letter=True)
    uses_pkce = False
    scopes = ("openid", "profile", "w_member_social")
    revokes = False  # see revoke()
    supports_threads = False
    supports_first_comment = True
    supports_video = True

    # --- OAuth ------------------------------------------------------------------
    def requested_scopes(self) -> list[str]:
        extra = [s for s in oauth.scopes(LINKEDIN_EXTRA_SCOPES.value) if s not in self.scopes]
        return [*self.scopes, *extra]

    def authorization_url(self, app: AppCredentials, *, state: str, redirect_uri: str,
                          code_challenge: str | None = None) -> str:
        return oauth.authorization_url(auth("/oauth/v2/authorization"), client_id=app.client_id,
                                       redirect_uri=redirect_uri, state=state, scopes=self.requested_scopes())

    def exchange_code(self, app: AppCredentials, *, code: str, redirect_uri: str,
                      code_verifier: str | None = None) -> Tokens:
        tokens = TOKEN_ENDPOINT.exchange(app, {"code": code, "redirect_uri": redirect_uri},
                                         requested=self.requested_scopes())
        # The author URN every post needs, fetched once here rather than per publish.
        tokens.extra["person_urn"] = self._person_urn(tokens)
        return tokens

    def refresh(self, app: AppCredentials, tokens: Tokens) -> Tokens:
        if not tokens.refresh_token:
            raise AuthExpired(NAME, "LinkedIn connections last 60 days and LinkedIn gives refresh tokens only to "
                                    "approved partners; reconnect LinkedIn to keep posting.")
        return TOKEN_ENDPOINT.refresh(app, tokens)

    def revoke(self, app: AppCredentials, tokens: Tokens) -> bool:
        """LinkedIn documents no way for an app to revoke a member's token.
        Its OAuth documentation (learn.microsoft.com/linkedin/shared/
        authentication: authorization-code-flow, programmatic-refresh-tokens,
        token-introspection) describes `/oauth/v2/authorization`,
        `/oauth/v2/accessToken` and `/oauth/v2/introspectToken` only; the last
        reports a token's status ("revoked" among them) and changes nothing.
        The OpenID discovery document (www.linkedin.com/oauth/.well-known/
        openid-configuration) names no `revocation_endpoint`, and LinkedIn's
        own API clients (linkedin-developers/linkedin-api-python-client and
        -js-client) offer introspection alone. Some third-party code posts to
        `/oauth/v2/revoke`, which none of these mention; postr does not rely on
        an undocumented endpoint. So nothing is sent: the member removes postr
        under Settings & Privacy > Data privacy > Other applications >
        Permitted services, and the access token lapses 60 days after it was
        issued."""
        return False

    # --- account ----------------------------------------------------------------
    def _userinfo(self, tokens: Tokens) -> dict:
        response = http.send(NAME, "GET", api("/v2/userinfo"), idempotent=True,
                             headers={"Authorization": f"Bearer {tokens.access_token}"})
        body = http.json_object(response)
        if response.status_code != 200:
            raise error(response, "reading your LinkedIn profile")
        if not body.get("sub"):
            raise Transient(NAME, "LinkedIn answered without a member id; will retry.", status=200)
        return body

    def _person_urn(self, tokens: Tokens) -> str:
        return tokens.extra.get("person_urn") or f"urn:li:person:{self._userinfo(tokens)['sub']}"

    def profile(self, tokens: Tokens) -> Profile:
        info = self._userinfo(tokens)
        name = info.get("name") or " ".join(x for x in (info.get("given_name"), info.get("family_name")) if x)
        # LinkedIn shows members by name; there is no handle in the OpenID profile.
        return Profile(account_id=info["sub"], handle=name, display_name=name,
                       avatar_url=info.get("picture") or None, followers_count=None)

    # --- posts ------------------------------------------------------------------
    def validate(self, content: PostContent) -> list[Problem]:
        return rules.problems(content)

    def publish(self, tokens: Tokens, content: PostContent) -> Published:
        self.refuse(self.validate(content))
        author = self._person_urn(tokens)
        body = {
            "author": author,
            "commentary": little_text(content.text or ""),
            "visibility": content.options.get("visibility", "PUBLIC"),
            "distribution": {"feedDistribution": "MAIN_FEED", "targetEntities": [], "thirdPartyDistributionChannels": []},
            "lifecycleState": "PUBLISHED",
            "isReshareDisabledByAuthor": False,
        }
        media_content = upload.media_content(tokens, author, content)
        if media_content:
            body["content"] = media_content
        elif content.link:
            body["content"] = {"article": {"source": content.link, "title": content.options.get("link_title") or content.link}}

        response = http.send(NAME, "POST", api("/rest/posts"), idempotent=False,
                             headers=rest_headers(tokens), json=body)
        if response.status_code != 201:
            raise error(response, "publishing the post")
        urn = response.headers.get("x-restli-id")
        if not urn:
            raise OutcomeUnknown(NAME, "LinkedIn accepted the post but did not say which post it is; check the "
                                       "LinkedIn profile before trying again.", status=201)
        comment_id = self._first_comment(tokens, author, urn, content.first_comment) if content.first_comment else None
        return Published(post_id=urn, url=post_url(urn), comment_id=comment_id)

    def _first_comment(self, tokens: Tokens, author: str, urn: str, text: str) -> str | None:
        """The post is already live: a failed comment is logged, never raised, so
        the publish is not retried into a duplicate post."""
        try:
            response = http.send(NAME, "POST", api(f"/rest/socialActions/{encode(urn)}/comments"), idempotent=False,
                                 headers=rest_headers(tokens),
                                 json={"actor": author, "object": urn, "message": {"text": text}})
            if response.status_code != 201:
                raise error(response, "adding the first comment")
        except PlatformError as exc:
            log.warn("linkedin first comment not added", network=NAME, error=type(exc).__name__, reason=exc.detail)
            return None
        created = http.json_object(response)
        return created.get("$URN") or response.headers.get("x-restli-id") or created.get("id")

    # --- after publishing -------------------------------------------------------
    def delete(self, tokens: Tokens, post_id: str) -> None:
        response = http.send(NAME, "DELETE", api(f"/rest/posts/{encode(post_id)}"), idempotent=True,
                             headers={**rest_headers(tokens), "X-RestLi-Method": "DELETE"})
        # 404: already gone (deleted on LinkedIn itself), which is what was asked.
        if response.status_code not in (200, 204, 404):
            raise error(response, "deleting the post")

    def metrics(self, tokens: Tokens, post_id: str) -> Metrics:
        return post_metrics(tokens, post_id)


PLATFORM = LinkedInPlatform()
