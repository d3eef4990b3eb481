"""Graph error answers, as Meta documents them for graph.facebook.com,
graph.instagram.com and graph.threads.net alike ({"error": {"message",
"type", "code", "error_subcode", "is_transient", "error_user_msg",
"fbtrace_id"}}), for the Facebook, Instagram and Threads fakes and the tests
that script failures with them (`fail_next`); and `ContainerHost`, what the
Threads and Instagram fakes share: apps, people and their tokens, the
long-lived token endpoints, who a request speaks for, and media containers
with scripted video states."""

import itertools
import json
import secrets
from dataclasses import dataclass, field

from fakes.base import FakeServer, Reply, Request

LONG_LIVED_SECONDS = 5183944  # the figure in Meta's example answers


def graph_error(status: int, message: str, *, code: int, type_: str = "OAuthException", subcode: int | None = None,
                transient: bool = False, user_msg: str | None = None, headers: dict | None = None) -> Reply:
    """A Graph error answer; `error_subcode` and `error_user_msg` only when
    given, as Meta leaves them out when it has none."""
    body = {"message": message, "type": type_, "code": code, "is_transient": transient,
            "fbtrace_id": "A" + secrets.token_hex(8)}
    if subcode is not None:
        body["error_subcode"] = subcode
    if user_msg:
        body["error_user_msg"] = user_msg
    return Reply(status, {"error": body}, headers=dict(headers or {}))


def invalid_token() -> Reply:
    return graph_error(400, "Invalid OAuth access token - Cannot parse access token", code=190)


def expired_token(message: str = "Error validating access token: Session has expired.") -> Reply:
    return graph_error(400, message, code=190, subcode=463)


class LongLivedTokens:
    """Token exchange and refresh as graph.threads.net and graph.instagram.com
    both document them: a code's one-hour token is exchanged for a 60-day one
    (`GET /access_token?grant_type=<prefix>_exchange_token` with the app
    secret), which refreshes itself (`GET /refresh_access_token?grant_type=
    <prefix>_refresh_token`). Mixed into a fake that holds `apps` (client_id ->
    (secret, redirect URIs)), `tokens` and `issue_token`."""

    grant_prefix = ""  # "th" or "ig"
    LONG_LIVED_SECONDS = LONG_LIVED_SECONDS

    def exchange_long_lived(self, req: Request) -> Reply:
        if req.arg("grant_type") != f"{self.grant_prefix}_exchange_token":
            return graph_error(400, "Unsupported grant_type", code=100)
        if not any(secret == req.arg("client_secret") for secret, _ in self.apps.values()):
            return graph_error(400, "Error validating client secret.", code=1)
        short = self.tokens.get(req.arg("access_token") or "")
        if short is None or short["kind"] != "short" or short["expired"]:
            return invalid_token()
        token = self.issue_token(short["user_id"], tuple(short["scopes"]))
        return Reply(200, {"access_token": token, "token_type": "bearer", "expires_in": self.LONG_LIVED_SECONDS})

    def refresh(self, req: Request) -> Reply:
        if req.arg("grant_type") != f"{self.grant_prefix}_refresh_token":
            return graph_error(400, "Unsupported grant_type", code=100)
        held = self.tokens.get(req.arg("access_token") or "")
        if held is None or held["expired"]:
            return expired_token() if held else invalid_token()
        if held["kind"] != "long":
            return graph_error(400, "Only long-lived tokens can be refreshed.", code=100)
        token = self.issue_token(held["user_id"], tuple(held["scopes"]))
        return Reply(200, {"access_token": token, "token_type": "bearer", "expires_in": self.LONG_LIVED_SECONDS})


def graph_args(req: Request) -> dict:
    """Graph parameters: the query string, overridden by a form or JSON body."""
    out: dict = {k: v[0] for k, v in req.query.items()}
    if req.method == "POST" and req.body:
        if req.headers.get("content-type", "").startswith("application/json"):
            out.update(json.loads(req.body))
        else:
            out.update(req.form)
    return out


@dataclass
class Container:
    """A media container: the fields it was made with, the states it reports
    next (one per status read; the last one stays), its state now and what the
    host says of an ERROR (Threads an error_message, Instagram a subcode)."""

    id: str
    owner: str
    fields: dict
    states: list[tuple[str, object]] = field(default_factory=list)
    status: str = "FINISHED"
    said: object = None

    def read_state(self) -> tuple[str, object]:
        if self.states:
            self.status, self.said = self.states.pop(0) if len(self.states) > 1 else self.states[0]
        return self.status, self.said


class ContainerHost(LongLivedTokens, FakeServer):
    """graph.threads.net and graph.instagram.com as their fakes share them.
    Subclasses name their token prefix and scopes, register their own routes
    after these, and word a missing permission (`denied`)."""

    token_prefix = ""  # "THAA", "IGAA"
    all_scopes: tuple[str, ...] = ()
    bearer = False  # whether the token may also come in an Authorization header
    unsupported_type = ""  # the error type of a request for a node the caller cannot reach

    def setup(self):
        self._ids = itertools.count(17841400000000001)
        self.apps: dict[str, tuple[str, set[str]]] = {}  # client_id -> (secret, redirect URIs)
        self.tokens: dict[str, dict] = {}  # token -> {user_id, kind, scopes, expired}
        self.users: dict[str, dict] = {}
        self.containers: dict[str, Container] = {}
        # Statuses each new video container reports, one per status read; the last one stays.
        self.video_states: list[tuple[str, object]] = [("IN_PROGRESS", None), ("FINISHED", None)]
        self.route("GET", r"/access_token", self.exchange_long_lived)
        self.route("GET", r"/refresh_access_token", self.refresh)

    # --- what tests set up ---------------------------------------------------------
    def add_app(self, client_id: str, secret: str, redirect_uri: str) -> None:
        self.apps[client_id] = (secret, {redirect_uri})

    def issue_token(self, user_id: str, scopes: tuple[str, ...] | None = None, kind: str = "long") -> str:
        token = self.token_prefix + secrets.token_urlsafe(16)
        self.tokens[token] = {"user_id": user_id, "kind": kind, "scopes": set(self.all_scopes if scopes is None
                                                                              else scopes), "expired": False}
        return token

    # --- reads ----------------------------------------------------------------------------
    def read_object(self, req: Request) -> Reply:
        """`GET /{id}?fields=...`: a container's status, or a published post's fields."""
        who, refusal = self._caller(req)
        if refusal:
            return refusal
        object_id = req.match.group(1)
        wanted = (req.arg("fields") or "id").split(",")
        container = self.containers.get(object_id)
        if container is not None and container.owner == who:
            shown = self.status_fields(*container.read_state())
            return Reply(200, {k: v for k, v in shown.items() if k in wanted and v is not None} | {"id": object_id})
        node = self.published(object_id)
        if node is None or node["owner"] != who:
            return self.unsupported("get", object_id)
        return Reply(200, {k: node[k] for k in wanted if k in node} | {"id": object_id})

    def status_fields(self, status: str, said: object) -> dict:
        """A container's status as the host's fields show it."""
        raise NotImplementedError

    def published(self, object_id: str) -> dict | None:
        """A published post, with its "owner"."""
        raise NotImplementedError

    def unsupported(self, verb: str, object_id: str) -> Reply:
        return graph_error(400, f"Unsupported {verb} request. Object with ID '{object_id}' does not exist, cannot be "
                                "loaded due to missing permissions, or does not support this operation", code=100,
                           subcode=33, type_=self.unsupported_type)

    # --- internals ----------------------------------------------------------------------
    def new_container(self, owner: str, fields: dict, *, video: bool) -> Reply:
        """A new container, answered with its id; a video follows `video_states`."""
        container = Container(id=str(next(self._ids)), owner=owner, fields=fields)
        if video:
            container.states = list(self.video_states)
            container.status = "IN_PROGRESS"
        self.containers[container.id] = container
        return Reply(200, {"id": container.id})

    def _caller(self, req: Request, needs: str | None = None) -> tuple[str | None, Reply | None]:
        """Whom the request's token speaks for, or the refusal."""
        auth = req.headers.get("authorization", "") if self.bearer else ""
        token = auth.split(" ", 1)[1] if auth.lower().startswith(("bearer ", "oauth ")) else \
            graph_args(req).get("access_token")
        if not token:
            return None, graph_error(400, "An active access token must be used to query information about the "
                                          "current user.", code=2500)
        held = self.tokens.get(token)
        if held is None:
            return None, invalid_token()
        if held["expired"]:
            return None, expired_token()
        if needs and needs not in held["scopes"]:
            return None, self.denied()
        return held["user_id"], None

    def denied(self) -> Reply:
        """The answer to a token without the permission a request needs."""
        raise NotImplementedError
