"""A loopback stand-in for the X API v2, for the endpoints postr uses.

It answers in the shapes of X's documentation and OpenAPI specification
(docs.x.com, api.x.com/2/openapi.json) and the bodies X is seen to send:

- OAuth 2.0 with PKCE: `consent(url)` plays the person pressing "Authorize"
  on x.com/i/oauth2/authorize and returns the redirect (with `code` and
  `state`); `POST /2/oauth2/token` checks the client (HTTP Basic for a
  confidential client, `client_id` in the form for a public one), the code's
  redirect_uri and S256 verifier, issues two-hour access tokens and, with
  `offline.access`, a refresh token that rotates on use; `POST /2/oauth2/revoke`.
  Errors: {"error", "error_description"}.
- Bearer tokens and scopes are checked per endpoint as the specification's
  security lists them (401 / 403 problem bodies otherwise).
- `GET /2/users/me` (user.fields), `POST /2/tweets` (text, media.media_ids,
  reply.in_reply_to_tweet_id, reply_settings; unknown fields refused; 403 on
  duplicate content), `DELETE /2/tweets/{id}`, `GET /2/tweets/{id}`
  (tweet.fields=public_metrics; a missing post answers 200 with "errors"),
  `GET /2/tweets?ids=a,b,...` (1 to 100 ids, else 400 invalid request; the
  posts found in "data", each missing one as a Not Found Error in "errors"
  naming it in "value", all in one 200, as the documented partial answer).
- Media: initialize (JSON) / append (multipart, segment_index 0-999) /
  finalize / `GET /2/media/upload?command=STATUS`, with video and GIF
  processing that goes through the states in `processing` (one per STATUS
  call); `POST /2/media/metadata` for alt text (images and GIFs only).

What it does not imitate: length counting of the text (postr's own check is
what the tests exercise), media decoding, per-window rate limits (tests script
429s with `fail_next`), and the Premium tiers. The wording of its 400s for bad
`ids` is its own (the shape is X's); protected posts, which X also reports in
"errors" (not-authorized-for-resource), are not modelled.
"""

import base64
import hashlib
import itertools
import re
import secrets
import time
import urllib.parse
from email.parser import BytesParser
from email.policy import HTTP

from fakes.base import FakeServer, Reply, Request

SCOPES = {"tweet.read", "tweet.write", "tweet.moderate.write", "users.email", "users.read", "follows.read",
          "follows.write", "offline.access", "space.read", "mute.read", "mute.write", "like.read", "like.write",
          "list.read", "list.write", "block.read", "block.write", "bookmark.read", "bookmark.write", "dm.read",
          "dm.write", "media.write"}
MEDIA_TYPES = {"video/mp4", "video/webm", "video/mp2t", "video/quicktime", "text/srt", "text/vtt", "image/jpeg",
               "image/gif", "image/bmp", "image/png", "image/webp", "image/pjpeg", "image/tiff", "model/gltf-binary",
               "model/vnd.usdz+zip"}
MEDIA_CATEGORIES = {"amplify_video", "tweet_gif", "tweet_image", "tweet_video", "dm_gif", "dm_image", "dm_video",
                    "subtitles"}
TWEET_FIELDS = {"card_uri", "community_id", "direct_message_deep_link", "edit_options", "for_super_followers_only",
                "geo", "media", "nullcast", "poll", "quote_tweet_id", "reply", "reply_settings",
                "share_with_followers", "text"}
REPLY_SETTINGS = {"following", "mentionedUsers", "subscribers", "verified"}

# Scopes each endpoint requires (the OpenAPI "security" of each operation).
POST_SCOPES = {"tweet.read", "tweet.write", "users.read"}
READ_SCOPES = {"tweet.read", "users.read"}
MEDIA_SCOPES = {"media.write"}

PROBLEM = "https://api.twitter.com/2/problems/"
# GET /2/tweets: `ids` is 1 to 100 values of ^[0-9]{1,19}$ (the specification's findTweetsById).
MAX_LOOKUP_IDS = 100
TWEET_ID = re.compile(r"[0-9]{1,19}")


def problem(status: int, title: str, detail: str, kind: str = "about:blank", **extra) -> Reply:
    return Reply(status, {"title": title, "detail": detail, "type": kind, "status": status, **extra},
                 headers={"Content-Type": "application/problem+json"})


def invalid_request(message: str) -> Reply:
    return Reply(400, {"errors": [{"parameters": {}, "message": message}], "title": "Invalid Request",
                       "detail": "One or more parameters to your request was invalid.",
                       "type": PROBLEM + "invalid-request"})


def _not_found(tweet_id: str, parameter: str) -> dict:
    plural = "ids" if parameter == "ids" else "id"
    return {"value": tweet_id, "detail": f"Could not find tweet with {plural}: [{tweet_id}].",
            "title": "Not Found Error", "resource_type": "tweet", "parameter": parameter, "resource_id": tweet_id,
            "type": PROBLEM + "resource-not-found"}


def _render_tweet(tweet: dict, req: Request) -> dict:
    data = {"edit_history_tweet_ids": [tweet["id"]], "id": tweet["id"], "text": tweet["text"]}
    if "public_metrics" in (req.arg("tweet.fields") or "").split(","):
        data["public_metrics"] = dict(tweet["public_metrics"])
    return data


def oauth_error(status: int, error: str, description: str) -> Reply:
    return Reply(status, {"error": error, "error_description": description})


class XFake(FakeServer):
    def __init__(self, client_id: str = "postr-client-id", client_secret: str | None = "postr-client-secret"):
        self.client_id = client_id
        self.client_secret = client_secret  # None: a public client
        self._ids = itertools.count(1880028106020515840)
        self.users = {"2244994945": {"id": "2244994945", "name": "Postr Tester", "username": "postr_tester",
                                     "profile_image_url": "https://pbs.twimg.com/profile_images/1/a_normal.jpg",
                                     "public_metrics": {"followers_count": 1523, "following_count": 212,
                                                        "tweet_count": 3400, "listed_count": 17, "like_count": 9000}}}
        self.codes: dict[str, dict] = {}
        self.access_tokens: dict[str, dict] = {}
        self.refresh_tokens: dict[str, dict] = {}
        self.tweets: dict[str, dict] = {}
        self.media: dict[str, dict] = {}
        # States a processing video or GIF reports, one per STATUS request.
        self.processing = [{"state": "in_progress", "check_after_secs": 2, "progress_percent": 40},
                           {"state": "succeeded", "progress_percent": 100}]
        # Answers for the Nth POST /2/tweets (1-based), to fail a thread midway.
        self.post_failures: dict[int, Reply] = {}
        self._posts_seen = 0
        super().__init__()

    def setup(self) -> None:
        self.route("POST", r"/2/oauth2/token", self.token)
        self.route("POST", r"/2/oauth2/revoke", self.revoke)
        self.route("GET", r"/2/users/me", self.me)
        self.route("POST", r"/2/tweets", self.create_tweet)
        self.route("DELETE", r"/2/tweets/(?P<id>[0-9]{1,19})", self.delete_tweet)
        self.route("GET", r"/2/tweets/(?P<id>[0-9]{1,19})", self.get_tweet)
        self.route("GET", r"/2/tweets", self.get_tweets)
        self.route("POST", r"/2/media/upload/initialize", self.media_initialize)
        self.route("POST", r"/2/media/upload/(?P<id>[0-9]{1,19})/append", self.media_append)
        self.route("POST", r"/2/media/upload/(?P<id>[0-9]{1,19})/finalize", self.media_finalize)
        self.route("GET", r"/2/media/upload", self.media_status)
        self.route("POST", r"/2/media/metadata", self.media_metadata)

    # --- what a test does outside the API ---------------------------------------------
    def consent(self, authorize_url: str, user_id: str = "2244994945") -> str:
        """The person approves on X's authorize page; returns X's redirect."""
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(authorize_url).query))
        assert query.get("response_type") == "code", "authorize needs response_type=code"
        assert query.get("client_id") == self.client_id, "unknown client_id"
        assert query.get("code_challenge_method") in ("S256", "plain"), "authorize needs code_challenge_method"
        assert query.get("code_challenge"), "authorize needs a code_challenge"
        assert query.get("state") and len(query["state"]) <= 500, "authorize needs a state of up to 500 characters"
        scopes = query.get("scope", "").split(" ")
        assert scopes and set(scopes) <= SCOPES, f"unknown scopes in {scopes}"
        code = secrets.token_urlsafe(24)
        self.codes[code] = {"client_id": query["client_id"], "redirect_uri": query["redirect_uri"],
                            "challenge": query["code_challenge"], "method": query["code_challenge_method"],
                            "scopes": scopes, "user_id": user_id}
        return f"{query['redirect_uri']}?{urllib.parse.urlencode({'state': query['state'], 'code': code})}"

    def grant(self, scopes=("tweet.read", "tweet.write", "users.read", "media.write", "offline.access"),
              user_id: str = "2244994945") -> dict:
        """Tokens as if the person had connected (for tests that start connected)."""
        return self._issue({"scopes": list(scopes), "user_id": user_id, "client_id": self.client_id})

    def post_as(self, user_id: str, text: str) -> str:
        """A post by someone else (to test deleting what is not ours)."""
        return self._store_tweet(user_id, {"text": text})

    # --- OAuth ------------------------------------------------------------------------
    def _client(self, req: Request) -> str | None:
        header = req.headers.get("authorization", "")
        if header.startswith("Basic "):
            client_id, _, secret = base64.b64decode(header[6:]).decode().partition(":")
            if client_id == self.client_id and self.client_secret and secret == self.client_secret:
                return client_id
            return None
        if self.client_secret is None and req.form.get("client_id") == self.client_id:
            return self.client_id
        return None

    def _issue(self, grant: dict) -> dict:
        access = secrets.token_urlsafe(32)
        self.access_tokens[access] = {**grant, "expires": time.time() + 7200}
        body = {"token_type": "bearer", "expires_in": 7200, "access_token": access,
                "scope": " ".join(grant["scopes"])}
        if "offline.access" in grant["scopes"]:
            refresh = secrets.token_urlsafe(32)
            self.refresh_tokens[refresh] = grant
            body["refresh_token"] = refresh
        return body

    def token(self, req: Request) -> Reply:
        if not req.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            return oauth_error(400, "invalid_request", "Missing required parameter [grant_type].")
        client = self._client(req)
        if client is None:
            return oauth_error(401, "unauthorized_client", "Missing valid authorization header")
        form = req.form
        if form.get("grant_type") == "authorization_code":
            code = self.codes.pop(form.get("code", ""), None)
            verifier = form.get("code_verifier", "")
            if code and code["method"] == "S256":
                digest = hashlib.sha256(verifier.encode()).digest()
                verified = base64.urlsafe_b64encode(digest).decode().rstrip("=") == code["challenge"]
            else:
                verified = bool(code) and verifier == code["challenge"]
            if not code or not verified or code["redirect_uri"] != form.get("redirect_uri") \
                    or code["client_id"] != client:
                return oauth_error(400, "invalid_request", "Value passed for the authorization code was invalid.")
            return Reply(200, self._issue({k: code[k] for k in ("scopes", "user_id", "client_id")}))
        if form.get("grant_type") == "refresh_token":
            grant = self.refresh_tokens.pop(form.get("refresh_token", ""), None)
            if not grant or grant["client_id"] != client:
                return oauth_error(400, "invalid_request", "Value passed for the token was invalid.")
            return Reply(200, self._issue(grant))
        return oauth_error(400, "invalid_request", "Missing required parameter [grant_type].")

    def revoke(self, req: Request) -> Reply:
        if self._client(req) is None:
            return oauth_error(401, "unauthorized_client", "Missing valid authorization header")
        token = req.form.get("token", "")
        if not token:
            return oauth_error(400, "invalid_request", "Missing required parameter [token].")
        self.access_tokens.pop(token, None)
        self.refresh_tokens.pop(token, None)
        return Reply(200, {"revoked": True})

    def expire(self, access_token: str) -> None:
        self.access_tokens[access_token]["expires"] = 0

    # --- API --------------------------------------------------------------------------
    def _caller(self, req: Request, needs: set[str]) -> tuple[dict | None, Reply | None]:
        header = req.headers.get("authorization", "")
        grant = self.access_tokens.get(header[7:]) if header.startswith("Bearer ") else None
        if not grant or grant["expires"] < time.time():
            return None, problem(401, "Unauthorized", "Unauthorized")
        if not needs <= set(grant["scopes"]):
            return None, problem(403, "Forbidden", "You are not permitted to perform this action.")
        return grant, None

    def me(self, req: Request) -> Reply:
        grant, refusal = self._caller(req, READ_SCOPES)
        if refusal:
            return refusal
        user = self.users[grant["user_id"]]
        fields = set((req.arg("user.fields") or "").split(","))
        return Reply(200, {"data": {k: v for k, v in user.items()
                                    if k in ("id", "name", "username") or k in fields}})

    def _store_tweet(self, author: str, body: dict) -> str:
        tweet_id = str(next(self._ids))
        self.tweets[tweet_id] = {
            "id": tweet_id, "text": body.get("text", ""), "author_id": author,
            "media_ids": (body.get("media") or {}).get("media_ids", []),
            "in_reply_to": (body.get("reply") or {}).get("in_reply_to_tweet_id"),
            "reply_settings": body.get("reply_settings"),
            "public_metrics": {"retweet_count": 0, "reply_count": 0, "like_count": 0, "quote_count": 0,
                               "bookmark_count": 0, "impression_count": 0},
        }
        return tweet_id

    def create_tweet(self, req: Request) -> Reply:
        self._posts_seen += 1
        if self._posts_seen in self.post_failures:
            return self.post_failures[self._posts_seen]
        grant, refusal = self._caller(req, POST_SCOPES)
        if refusal:
            return refusal
        if not req.headers.get("content-type", "").startswith("application/json"):
            return invalid_request("Content-Type must be application/json.")
        body = req.json or {}
        unknown = set(body) - TWEET_FIELDS
        if unknown:
            return invalid_request(f"The following fields are not allowed: {', '.join(sorted(unknown))}")
        media_ids = (body.get("media") or {}).get("media_ids")
        if not body.get("text") and not media_ids:
            return invalid_request("You must specify either text or media.")
        if media_ids is not None:
            if not 1 <= len(media_ids) <= 4:
                return invalid_request("media.media_ids must have 1 to 4 items.")
            for media_id in media_ids:
                media = self.media.get(media_id)
                if not media or media["owner"] != grant["user_id"] or media["state"] != "succeeded":
                    return invalid_request("Your media IDs are invalid.")
        if body.get("reply_settings") is not None and body["reply_settings"] not in REPLY_SETTINGS:
            return invalid_request("reply_settings has an invalid value.")
        reply_to = (body.get("reply") or {}).get("in_reply_to_tweet_id")
        if reply_to is not None and reply_to not in self.tweets:
            return problem(403, "Forbidden", "You attempted to reply to a Tweet that is deleted or not visible to you.")
        text = body.get("text")
        if text and any(t["author_id"] == grant["user_id"] and t["text"] == text for t in self.tweets.values()):
            return problem(403, "Forbidden", "You are not allowed to create a Tweet with duplicate content.")
        tweet_id = self._store_tweet(grant["user_id"], body)
        return Reply(201, {"data": {"edit_history_tweet_ids": [tweet_id], "id": tweet_id,
                                    "text": self.tweets[tweet_id]["text"]}})

    def delete_tweet(self, req: Request) -> Reply:
        grant, refusal = self._caller(req, POST_SCOPES)
        if refusal:
            return refusal
        tweet = self.tweets.get(req.match["id"])
        if tweet is None:
            return problem(404, "Not Found Error", f"Could not find tweet with id: [{req.match['id']}].",
                           PROBLEM + "resource-not-found")
        if tweet["author_id"] != grant["user_id"]:
            return problem(403, "Forbidden", "You are not allowed to delete a Tweet you did not create.")
        del self.tweets[tweet["id"]]
        return Reply(200, {"data": {"deleted": True}})

    def get_tweet(self, req: Request) -> Reply:
        _, refusal = self._caller(req, READ_SCOPES)
        if refusal:
            return refusal
        tweet_id = req.match["id"]
        tweet = self.tweets.get(tweet_id)
        if tweet is None:
            return Reply(200, {"errors": [_not_found(tweet_id, "id")]})
        return Reply(200, {"data": _render_tweet(tweet, req)})

    def get_tweets(self, req: Request) -> Reply:
        """GET /2/tweets?ids=: the posts found in "data", each one missing as an
        entry of "errors", in one 200 (no "data" when none is found)."""
        _, refusal = self._caller(req, READ_SCOPES)
        if refusal:
            return refusal
        ids = (req.arg("ids") or "").split(",")
        if not 1 <= len(ids) <= MAX_LOOKUP_IDS or ids == [""]:
            return invalid_request(f"The number of values in the `ids` query parameter list [{len(ids)}] is not "
                                   f"between 1 and {MAX_LOOKUP_IDS}")
        for tweet_id in ids:
            if not TWEET_ID.fullmatch(tweet_id):
                return invalid_request(f"The `ids` query parameter value [{tweet_id}] is not valid")
        found = [_render_tweet(self.tweets[i], req) for i in ids if i in self.tweets]
        missing = [_not_found(i, "ids") for i in ids if i not in self.tweets]
        body: dict = {}
        if found:
            body["data"] = found
        if missing:
            body["errors"] = missing
        return Reply(200, body)

    # --- media ------------------------------------------------------------------------
    def media_initialize(self, req: Request) -> Reply:
        grant, refusal = self._caller(req, MEDIA_SCOPES)
        if refusal:
            return refusal
        body = req.json or {}
        if set(body) - {"additional_owners", "media_category", "media_type", "shared", "total_bytes"}:
            return invalid_request("Unknown fields in the request.")
        if body.get("media_type") not in MEDIA_TYPES:
            return invalid_request("media_type is missing or not supported.")
        if body.get("media_category") is not None and body["media_category"] not in MEDIA_CATEGORIES:
            return invalid_request("media_category is not valid.")
        if not isinstance(body.get("total_bytes"), int) or not 0 <= body["total_bytes"] <= 17179869184:
            return invalid_request("total_bytes is missing or out of range.")
        media_id = str(next(self._ids))
        category = body.get("media_category") or "tweet_image"
        prefix = {"tweet_video": "7", "amplify_video": "13", "tweet_gif": "16"}.get(category, "3")
        self.media[media_id] = {"id": media_id, "media_key": f"{prefix}_{media_id}", "owner": grant["user_id"],
                                "media_type": body["media_type"], "category": category,
                                "total_bytes": body["total_bytes"], "segments": {}, "state": "uploading",
                                "script": [], "alt_text": None}
        return Reply(200, {"data": {"id": media_id, "media_key": self.media[media_id]["media_key"],
                                    "expires_after_secs": 86400}})

    def _upload_in_progress(self, req: Request) -> tuple[dict | None, Reply | None]:
        grant, refusal = self._caller(req, MEDIA_SCOPES)
        if refusal:
            return None, refusal
        media = self.media.get(req.match["id"])
        if not media or media["owner"] != grant["user_id"] or media["state"] != "uploading":
            return None, invalid_request("The media id is not valid for this upload.")
        return media, None

    def media_append(self, req: Request) -> Reply:
        media, refusal = self._upload_in_progress(req)
        if refusal:
            return refusal
        fields = _multipart(req)
        index = fields.get("segment_index", b"").decode()
        if not index.isdigit() or not 0 <= int(index) <= 999 or "media" not in fields:
            return invalid_request("segment_index (0-999) and media are required.")
        media["segments"][int(index)] = fields["media"]
        return Reply(200, {"data": {"expires_at": int(time.time()) + 86400}})

    def media_finalize(self, req: Request) -> Reply:
        media, refusal = self._upload_in_progress(req)
        if refusal:
            return refusal
        if len(self.bytes_of(media["id"])) != media["total_bytes"]:
            return invalid_request("File size does not match total_bytes.")
        data = {"id": media["id"], "media_key": media["media_key"], "size": media["total_bytes"],
                "expires_after_secs": 86400}
        if media["category"] in ("tweet_video", "amplify_video", "tweet_gif"):
            media["state"] = "pending"
            media["script"] = [dict(step) for step in self.processing]
            data["processing_info"] = {"state": "pending", "check_after_secs": 1}
        else:
            media["state"] = "succeeded"
        return Reply(200, {"data": data})

    def media_status(self, req: Request) -> Reply:
        grant, refusal = self._caller(req, MEDIA_SCOPES)
        if refusal:
            return refusal
        media = self.media.get(req.arg("media_id") or "")
        if req.arg("command") not in (None, "STATUS") or not media or media["owner"] != grant["user_id"]:
            return invalid_request("media_id is not valid.")
        if media["script"]:
            step = media["script"].pop(0)
            media["state"] = step["state"]
            info = step
        else:
            info = {"state": media["state"]}
        return Reply(200, {"data": {"id": media["id"], "media_key": media["media_key"], "processing_info": info}})

    def media_metadata(self, req: Request) -> Reply:
        grant, refusal = self._caller(req, MEDIA_SCOPES)
        if refusal:
            return refusal
        body = req.json or {}
        media = self.media.get(str(body.get("id")))
        alt = ((body.get("metadata") or {}).get("alt_text") or {}).get("text")
        if not media or media["owner"] != grant["user_id"]:
            return invalid_request("id is not a valid media id.")
        if alt is None or len(alt) > 1000:
            return invalid_request("alt_text.text is required and at most 1000 characters.")
        if media["category"] in ("tweet_video", "amplify_video"):
            return invalid_request("Alt text is supported for images and GIFs only.")
        media["alt_text"] = alt
        return Reply(200, {"data": {"id": media["id"], "associated_metadata": {"alt_text": {"text": alt}}}})

    def bytes_of(self, media_id: str) -> bytes:
        segments = self.media[media_id]["segments"]
        return b"".join(segments[i] for i in sorted(segments))


def _multipart(req: Request) -> dict[str, bytes]:
    ctype = req.headers.get("content-type", "")
    if not ctype.startswith("multipart/form-data"):
        return {}
    message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {ctype}\r\n\r\n".encode() + req.body)
    fields = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if name:
            fields[name] = part.get_payload(decode=True) or b""
    return fields
