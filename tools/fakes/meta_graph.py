"""Graph error answers, as Meta documents them for graph.facebook.com,
graph.instagram.com and graph.threads.net alike ({"error": {"message",
"type", "code", "error_subcode", "is_transient", "error_user_msg",
"fbtrace_id"}}), for the Facebook, Instagram and Threads fakes and the tests
that script failures with them (`fail_next`)."""

import secrets

from fakes.base import Reply, Request

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
