"""Pinterest: Pins on a person's own boards through API v5.

What the module relies on, from Pinterest's documentation (developers.pinterest.com
and the OpenAPI description at github.com/pinterest/api-description, v5.23):
- OAuth 2.0 authorization code flow without PKCE: the browser goes to
  `https://www.pinterest.com/oauth/` with client_id, redirect_uri,
  response_type=code, a comma-separated scope and state. The code is exchanged
  at `POST /v5/oauth/token` with HTTP Basic client authentication and a form
  body (grant_type=authorization_code, code, redirect_uri). Apps made before
  2025-09-25 must send continuous_refresh=true to get a continuous refresh
  token; later apps get one anyway, so it is always sent.
- Scopes: boards:read (list and check boards), boards:write, pins:read and
  pins:write (Create Pin and Delete Pin require all four), user_accounts:read
  (the profile). Secret boards would need boards:read_secret and
  pins:write_secret, which are not asked for.
- Tokens: access tokens last 30 days; continuous refresh tokens 60 days, and a
  refresh (grant_type=refresh_token) returns a new refresh token with a fresh
  60 days, so a connection refreshed within every 60 days never lapses.
- The token answer's `scope` (required in OauthAccessTokenResponse) lists
  what the person granted, comma-separated; it is what a connection stores.
- `POST /v5/oauth/token/revoke` exists but "Only tokens issued for system users
  are currently supported": a person's token cannot be revoked by postr, so
  `revoke` sends nothing and returns False (see `revoke`).
- Profile: `GET /v5/user_account` (id, username, business_name, profile_image,
  follower_count).
- Boards: `GET /v5/boards` (bookmark pagination, page_size up to 250) lists the
  person's boards and the group boards they collaborate on; `GET
  /v5/boards/{id}` answers 200 only for those, so publish checks the chosen
  board (and section, `GET /v5/boards/{id}/sections`) before uploading anything.
- Pins (`POST /v5/pins`): board_id, board_section_id, title (100 characters),
  description (800), alt_text (500), link (2048), and a media_source:
  image_url (Pinterest fetches it), image_base64 (JPEG or PNG),
  multiple_image_urls (2 to 5: a carousel; items carry no alt text), or
  video_id with a cover (cover_image_url, cover_image_data with
  cover_image_content_type, or cover_image_key_frame_time). Lengths are JSON
  Schema maxLength values, which count code points. Public address
  `https://www.pinterest.com/pin/{id}/`.
- Videos: `POST /v5/media {"media_type": "video"}` registers an upload; the
  file goes to `upload_url` (Amazon S3) as a multipart/form-data POST with
  every `upload_parameters` field and the file last; `GET /v5/media/{id}`
  reports registered, processing, succeeded or failed.
- Media specs (help.pinterest.com, product specs): images PNG or JPEG up to
  20 MB (2:3 is recommended, not required); videos .mp4, .mov or .m4v up to
  2 GB, 4 seconds to 15 minutes, aspect ratio from 1:2 to 1.91:1 (required;
  1:1, 2:3, 4:5 and 9:16 recommended); carousels 2 to 5 images.
- No threads; the API has no way to add a comment, so no first comment.
- Metrics: `GET /v5/pins/{id}/analytics` with start_date (at most 90 days
  back), end_date and metric_types, answered as {"all": {"lifetime_metrics",
  "summary_metrics", "daily_metrics"}}.
- Errors: `{"code", "message"}`. 401 with code 2 is a failed authentication,
  with code 3 a token missing a scope; 429 (code 8) is a rate limit, and a
  spam block is a 429 whose message says so; 404 code 40 is a board not found,
  50 a Pin, 2031 a board section.

What a Pin may carry is checked in platforms.pinterest.rules, its media are
sent by platforms.pinterest.upload, boards are platforms.pinterest.boards,
statistics platforms.pinterest.metrics, and addresses and errors
platforms.pinterest.api.
"""

import datetime as _dt

from kernel import clock, settings
from platforms import http, oauth
from platforms.base import (AppCredentials, Capability, Metrics, Platform, PostContent, Problem, Profile, Published,
                            Tokens)
from platforms.errors import AuthExpired, OutcomeUnknown, Permanent, Transient
from platforms.pinterest import rules, upload
from platforms.pinterest.api import NAME, TOKEN_ENDPOINT, api, auth, bearer, error, is_id
from platforms.pinterest.boards import Board, BoardSection, check_board, list_boards, list_sections
from platforms.pinterest.metrics import pin_metrics


def pin_url(pin_id: str) -> str:
    return f"https://www.pinterest.com/pin/{pin_id}/"


class PinterestPlatform(Platform):
    name = NAME
    display_name = "Pinterest"
    capabilities = frozenset({Capability.BOARDS})
    client_id = settings.OAUTH_CLIENT_IDS["pinterest"]
    client_secret = settings.OAUTH_CLIENT_SECRETS["pinterest"]
    refresh_ahead = _dt.timedelta(days=3)  # access tokens live 30 days
    pulls_media = ("image",)  # pins take images from URLs
    uses_pkce = False
    scopes = ("boards:read", "boards:write", "pins:read", "pins:write", "user_accounts:read")
    revokes = False  # see revoke()
    supports_threads = False
    supports_first_comment = False
    supports_video = True

    # --- OAuth ------------------------------------------------------------------
    def authorization_url(self, app: AppCredentials, *, state: str, redirect_uri: str,
                          code_challenge: str | None = None) -> str:
        return oauth.authorization_url(auth("/oauth/"), client_id=app.client_id, redirect_uri=redirect_uri,
                                       state=state, scopes=self.scopes, scope_separator=",")

    def exchange_code(self, app: AppCredentials, *, code: str, redirect_uri: str,
                      code_verifier: str | None = None) -> Tokens:
        # Apps made before 2025-09-25 get a continuous refresh token only when they ask.
        return TOKEN_ENDPOINT.exchange(app, {"code": code, "redirect_uri": redirect_uri, "continuous_refresh": "true"},
                                       requested=self.scopes)

    def refresh(self, app: AppCredentials, tokens: Tokens) -> Tokens:
        if not tokens.refresh_token:
            raise AuthExpired(NAME, "This Pinterest connection has no refresh token; reconnect Pinterest.")
        lapses = tokens.extra.get("refresh_expires_at")
        if lapses and _dt.datetime.fromisoformat(lapses) <= clock.now():
            raise AuthExpired(NAME, "The Pinterest connection was not renewed within 60 days and has lapsed; "
                                    "reconnect Pinterest.")
        # Continuous refresh tokens rotate: the new one is kept, the old one only if none came.
        return TOKEN_ENDPOINT.refresh(app, tokens)

    def revoke(self, app: AppCredentials, tokens: Tokens) -> bool:
        """Pinterest's one revocation endpoint does not take a person's token.
        Its OpenAPI description (github.com/pinterest/api-description, v5,
        operation `token/revoke`) says of `POST /v5/oauth/token/revoke`:
        "Revokes an access or refresh token. Only tokens issued for system
        users are currently supported" (its documented refusal is a 403,
        "Client is not allowed to revoke token"). The tokens postr holds come from
        a person's consent (authorization_code), not a system user, so nothing
        is sent: the person removes postr from the apps connected to their
        account in Pinterest's settings; otherwise the access token lapses
        within 30 days and the refresh token, no longer used, within 60.
        Should Pinterest extend the endpoint to people's tokens, this is where
        it goes."""
        return False

    # --- account ----------------------------------------------------------------
    def profile(self, tokens: Tokens) -> Profile:
        response = http.send(NAME, "GET", api("/v5/user_account"), idempotent=True, headers=bearer(tokens))
        if response.status_code != 200:
            raise error(response, "reading your Pinterest profile")
        body = http.json_object(response)
        if not body.get("id") or not body.get("username"):
            raise Transient(NAME, "Pinterest answered without an account id; will retry.", status=200)
        followers = body.get("follower_count")
        return Profile(account_id=str(body["id"]), handle=body["username"],
                       display_name=body.get("business_name") or body["username"],
                       avatar_url=body.get("profile_image") or None,
                       followers_count=int(followers) if isinstance(followers, int) else None)

    def boards(self, tokens: Tokens) -> list[Board]:
        """The boards a person can pin to: their own and group boards they joined."""
        return list_boards(tokens)

    def sections(self, tokens: Tokens, board_id: str) -> list[BoardSection]:
        return list_sections(tokens, board_id)

    # --- posts ------------------------------------------------------------------
    def validate(self, content: PostContent) -> list[Problem]:
        return rules.problems(content)

    def publish(self, tokens: Tokens, content: PostContent) -> Published:
        self.refuse(self.validate(content))
        options = content.options
        board_id, section_id = options["board_id"], options.get("board_section_id")
        # The board (and section) must be the person's before anything is uploaded.
        check_board(tokens, board_id, section_id)
        body = {"board_id": board_id, "media_source": upload.media_source(tokens, content)}
        if section_id:
            body["board_section_id"] = section_id
        if options.get("title"):
            body["title"] = options["title"]
        if content.text:
            body["description"] = content.text
        if content.link:
            body["link"] = content.link
        alt_text = upload.alt_text(content.media)
        if alt_text:
            body["alt_text"] = alt_text

        response = http.send(NAME, "POST", api("/v5/pins"), idempotent=False, headers=bearer(tokens), json=body)
        if response.status_code not in (200, 201):
            raise error(response, "creating the Pin")
        pin_id = http.json_object(response).get("id")
        if not pin_id:
            raise OutcomeUnknown(NAME, "Pinterest accepted the Pin but did not say which Pin it is; check the board "
                                       "before trying again.", status=response.status_code)
        return Published(post_id=str(pin_id), url=pin_url(str(pin_id)))

    # --- after publishing -------------------------------------------------------
    def delete(self, tokens: Tokens, post_id: str) -> None:
        if not is_id(post_id):
            raise Permanent(NAME, "That is not a Pinterest Pin id.", detail="bad pin id")
        response = http.send(NAME, "DELETE", api(f"/v5/pins/{post_id}"), idempotent=True, headers=bearer(tokens))
        # 404: already gone (deleted on Pinterest itself), which is what was asked.
        if response.status_code not in (200, 204, 404):
            raise error(response, "deleting the Pin")

    def metrics(self, tokens: Tokens, post_id: str) -> Metrics:
        if not is_id(post_id):
            raise Permanent(NAME, "That is not a Pinterest Pin id.", detail="bad pin id")
        return pin_metrics(tokens, post_id)


PLATFORM = PinterestPlatform()
