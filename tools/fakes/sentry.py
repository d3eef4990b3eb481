"""A loopback Sentry ingestion endpoint (envelopes), for tests of error reports.

It answers `POST /api/{project_id}/envelope/` as Sentry documents envelopes
(develop.sentry.dev/sdk/data-model/envelopes/) and as `sentry-sdk` sends them:
the `X-Sentry-Auth: Sentry sentry_key=..., sentry_version=7, ...` header, a
gzip body when `Content-Encoding: gzip`, then newline-separated JSON: the
envelope header, and per item an item header (`type`, `length`?) and its
payload (`length` bytes, else up to the next newline). An unknown key is a
401 and a malformed envelope a 400, each with a `{"detail": ...}` body and
the `X-Sentry-Error` header. Accepted items are kept in `items`
(`{"header", "item_header", "payload"}`; JSON payloads parsed); the answer is
`{"id": <event_id>}`.

Where it falls short: no rate limits (X-Sentry-Rate-Limits), no store
endpoint, no attachments processing, no symbolication.
"""

import gzip
import json

from fakes.base import FakeServer, Reply, Request


def _refusal(status: int, detail: str) -> Reply:
    return Reply(status, {"detail": detail}, headers={"X-Sentry-Error": detail})


class SentryFake(FakeServer):
    def __init__(self, public_key: str = "0123456789abcdef0123456789abcdef", project_id: str = "42", port: int = 0):
        self.public_key, self.project_id = public_key, project_id
        self.items: list[dict] = []
        super().__init__(port)

    @property
    def dsn(self) -> str:
        host = self.url.removeprefix("http://")
        return f"http://{self.public_key}@{host}/{self.project_id}"

    def setup(self) -> None:
        self.route("POST", r"/api/(?P<project>\d+)/envelope/", self.envelope)

    def events(self) -> list[dict]:
        return [i["payload"] for i in self.items if i["item_header"].get("type") == "event"]

    def envelope(self, req: Request) -> Reply:
        auth = dict(part.strip().split("=", 1) for part in
                    req.headers.get("x-sentry-auth", "").removeprefix("Sentry ").split(",") if "=" in part)
        key = auth.get("sentry_key") or req.arg("sentry_key")
        if key != self.public_key:
            return _refusal(401, "bad sentry DSN public key")
        if req.match["project"] != self.project_id:
            return _refusal(404, "project not found")
        raw = req.body
        if req.headers.get("content-encoding", "").lower() == "gzip":
            try:
                raw = gzip.decompress(raw)
            except OSError:
                return _refusal(400, "invalid gzip body")
        try:
            header, items = _parse(raw)
        except ValueError as exc:
            return _refusal(400, f"invalid envelope: {exc}")
        for item_header, payload in items:
            self.items.append({"header": header, "item_header": item_header, "payload": payload})
        return Reply(200, {"id": header.get("event_id")})


def _parse(raw: bytes) -> tuple[dict, list[tuple[dict, object]]]:
    head, _, rest = raw.partition(b"\n")
    header = json.loads(head)
    items = []
    while rest.strip():
        line, _, rest = rest.partition(b"\n")
        if not line.strip():
            continue
        item_header = json.loads(line)
        length = item_header.get("length")
        if length is not None:
            payload, rest = rest[:length], rest[length:]
            if len(payload) != length:
                raise ValueError("item shorter than its length")
            rest = rest[1:] if rest.startswith(b"\n") else rest
        else:
            payload, _, rest = rest.partition(b"\n")
        try:
            parsed = json.loads(payload)
        except ValueError:
            parsed = payload
        items.append((item_header, parsed))
    return header, items
