"""A Bluesky PDS fake for the contract tests: the XRPC methods the Bluesky
module calls, in the shapes the lexicons define, plus an AppView behind it
(app.bsky.feed.getPosts, app.bsky.actor.getProfile) that the real reference
PDS cannot give here.

The end-to-end tests run against the real @atproto/pds (tools/bluesky-pds);
this fake is for what that server cannot be made to show offline: AppView
answers (counts), and scripted error answers (`fail_next`) such as 5xx,
UpstreamFailure and AccountTakedown. Errors use the XRPC shape
{"error": <name>, "message": <text>} with the statuses the reference PDS uses
(an expired or bad token is a 400, not a 401).

Where it falls short: no repository, signatures or CIDs that mean anything
(CIDs are made up from a hash); no record validation beyond what a test
asserts on the recorded requests.
"""

import base64
import hashlib
import json
import time

from fakes.base import FakeServer, Reply


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt(claims: dict) -> str:
    """A JWT-shaped token (unsigned here: the module only reads its claims)."""
    header = _b64(json.dumps({"typ": "at+jwt", "alg": "HS256"}).encode())
    return f"{header}.{_b64(json.dumps(claims).encode())}.{_b64(b'fake-signature')}"


def cid_of(data: bytes, prefix: str = "bafkrei") -> str:
    return prefix + base64.b32encode(hashlib.sha256(data).digest()).decode().lower().rstrip("=")[:52]


def xrpc_error(status: int, name: str, message: str, headers: dict | None = None) -> Reply:
    return Reply(status, {"error": name, "message": message}, headers or {})


class BlueskyFake(FakeServer):
    DID = "did:plc:ewvi7nxzyoun6zhxrhs64oiz"
    HANDLE = "alice.bsky.social"
    APP_PASSWORD = "abcd-efgh-ijkl-mnop"
    ACCOUNT_PASSWORD = "account-password"

    def setup(self):
        self.app_view = True  # False: answer app.bsky.* as a PDS with no AppView does
        self.handles = {self.HANDLE: self.DID, "bob.bsky.social": "did:plc:bobbobbobbobbobbobbobbob"}
        self.records: dict[str, dict] = {}
        self.blobs: dict[str, bytes] = {}
        self.counts: dict[str, dict] = {}  # post uri -> {"likeCount": ..., ...}
        self.profile = {"displayName": "Alice", "avatar": "https://cdn.bsky.app/img/avatar/plain/x/y@jpeg",
                        "followersCount": 42, "followsCount": 7, "postsCount": 3}
        self.did_doc_endpoint = None  # an https PDS to put in the session's didDoc
        self.access: set[str] = set()
        self.refresh: set[str] = set()
        self._serial = 0
        self.creates = 0
        self.fail_create: dict[int, Reply] = {}  # n-th createRecord (1-based) -> scripted answer
        x = "/xrpc/"
        self.route("POST", x + "com.atproto.server.createSession", self.create_session)
        self.route("POST", x + "com.atproto.server.refreshSession", self.refresh_session)
        self.route("POST", x + "com.atproto.server.deleteSession", self.delete_session)
        self.route("GET", x + "com.atproto.identity.resolveHandle", self.resolve_handle)
        self.route("POST", x + "com.atproto.repo.uploadBlob", self.upload_blob)
        self.route("POST", x + "com.atproto.repo.createRecord", self.create_record)
        self.route("POST", x + "com.atproto.repo.deleteRecord", self.delete_record)
        self.route("GET", x + "com.atproto.repo.getRecord", self.get_record)
        self.route("GET", x + "com.atproto.repo.describeRepo", self.describe_repo)
        self.route("GET", x + "app.bsky.actor.getProfile", self.get_profile)
        self.route("GET", x + "app.bsky.feed.getPosts", self.get_posts)

    def reset(self) -> None:
        """Forget everything, as a new server would (one server serves many tests)."""
        with self._lock:
            self.requests.clear()
            self._scripted.clear()
            self._routes.clear()
        self.setup()

    # --- sessions ---------------------------------------------------------------
    def _session(self, scope: str) -> dict:
        self._serial += 1
        now = int(time.time())
        access = jwt({"scope": scope, "aud": "did:web:pds.example", "sub": self.DID,
                      "iat": now, "exp": now + 7200, "n": self._serial})
        refresh = jwt({"scope": "com.atproto.refresh", "aud": "did:web:pds.example", "sub": self.DID,
                       "jti": f"r{self._serial}", "iat": now, "exp": now + 90 * 86400})
        self.access.add(access)
        self.refresh.add(refresh)
        session = {"accessJwt": access, "refreshJwt": refresh, "handle": self.HANDLE, "did": self.DID,
                   "email": "alice@example.com", "emailConfirmed": True, "active": True}
        if self.did_doc_endpoint:
            session["didDoc"] = {
                "id": self.DID, "alsoKnownAs": [f"at://{self.HANDLE}"],
                "service": [{"id": "#atproto_pds", "type": "AtprotoPersonalDataServer",
                             "serviceEndpoint": self.did_doc_endpoint}],
            }
        return session

    def _bearer(self, req) -> str | None:
        value = req.headers.get("authorization", "")
        return value[7:] if value.startswith("Bearer ") else None

    def _auth(self, req) -> Reply | None:
        token = self._bearer(req)
        if token is None:
            return xrpc_error(401, "AuthMissing", "Authentication Required")
        if token not in self.access:
            return xrpc_error(400, "InvalidToken", "Token could not be verified")
        return None

    def create_session(self, req):
        body = req.json
        if body.get("identifier") not in (self.HANDLE, self.DID, "alice@example.com"):
            return xrpc_error(401, "AuthenticationRequired", "Invalid identifier or password")
        if body.get("password") == self.APP_PASSWORD:
            return Reply(200, self._session("com.atproto.appPass"))
        if body.get("password") == self.ACCOUNT_PASSWORD:
            return Reply(200, self._session("com.atproto.access"))
        return xrpc_error(401, "AuthenticationRequired", "Invalid identifier or password")

    def refresh_session(self, req):
        token = self._bearer(req)
        if token not in self.refresh:
            return xrpc_error(400, "ExpiredToken", "Token has been revoked")
        self.refresh.discard(token)
        return Reply(200, self._session("com.atproto.appPass"))

    def delete_session(self, req):
        token = self._bearer(req)
        if token not in self.refresh:
            return xrpc_error(400, "ExpiredToken", "Token has been revoked")
        self.refresh.discard(token)
        return Reply(200, b"")

    # --- repo ---------------------------------------------------------------------
    def resolve_handle(self, req):
        did = self.handles.get((req.arg("handle") or "").lower())
        if did is None:
            return xrpc_error(400, "HandleNotFound", "Unable to resolve handle")
        return Reply(200, {"did": did})

    def upload_blob(self, req):
        if refused := self._auth(req):
            return refused
        cid = cid_of(req.body)
        self.blobs[cid] = req.body
        return Reply(200, {"blob": {"$type": "blob", "ref": {"$link": cid},
                                    "mimeType": req.headers.get("content-type"), "size": len(req.body)}})

    def create_record(self, req):
        if refused := self._auth(req):
            return refused
        self.creates += 1
        if self.creates in self.fail_create:
            return self.fail_create[self.creates]
        body = req.json
        self._serial += 1
        rkey = f"3l{self._serial:011d}"
        uri = f"at://{body['repo']}/{body['collection']}/{rkey}"
        cid = cid_of(json.dumps(body["record"], sort_keys=True).encode() + rkey.encode(), "bafyrei")
        self.records[uri] = {"uri": uri, "cid": cid, "value": body["record"]}
        return Reply(200, {"uri": uri, "cid": cid, "commit": {"cid": cid_of(uri.encode(), "bafyrei"),
                                                              "rev": rkey}, "validationStatus": "valid"})

    def delete_record(self, req):
        if refused := self._auth(req):
            return refused
        body = req.json
        self.records.pop(f"at://{body['repo']}/{body['collection']}/{body['rkey']}", None)
        return Reply(200, {})

    def get_record(self, req):
        uri = f"at://{req.arg('repo')}/{req.arg('collection')}/{req.arg('rkey')}"
        if uri not in self.records:
            return xrpc_error(400, "RecordNotFound", f"Could not locate record: {uri}")
        return Reply(200, self.records[uri])

    def describe_repo(self, req):
        return Reply(200, {"handle": self.HANDLE, "did": self.DID, "didDoc": {}, "handleIsCorrect": True,
                           "collections": sorted({u.split("/")[3] for u in self.records})})

    # --- AppView ------------------------------------------------------------------
    def _no_app_view(self, nsid: str) -> Reply:
        return xrpc_error(400, "InvalidRequest", f"No service configured for {nsid}")

    def get_profile(self, req):
        if refused := self._auth(req):
            return refused
        if not self.app_view:
            return self._no_app_view("app.bsky.actor.getProfile")
        return Reply(200, {"did": self.DID, "handle": self.HANDLE, **self.profile})

    def get_posts(self, req):
        if refused := self._auth(req):
            return refused
        if not self.app_view:
            return self._no_app_view("app.bsky.feed.getPosts")
        posts = []
        for uri in req.query.get("uris", []):
            if uri in self.records:
                posts.append({"uri": uri, "cid": self.records[uri]["cid"],
                              "author": {"did": self.DID, "handle": self.HANDLE},
                              "record": self.records[uri]["value"], "indexedAt": "2026-01-01T00:00:00.000Z",
                              **self.counts.get(uri, {})})
        return Reply(200, {"posts": posts})
