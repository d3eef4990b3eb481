"""A loopback PostHog capture endpoint, for tests of what postr sends (and does not).

It answers the public, POST-only capture endpoints as PostHog documents them
(posthog.com/docs/api/capture) and as the `posthog` Python SDK uses them:

- `POST /batch/`: `{"api_key", "batch": [{"event", "distinct_id" or
  properties.distinct_id, "properties", "timestamp", "uuid", ...}],
  "historical_migration"?, "sent_at"?}`, optionally gzip-compressed
  (`Content-Encoding: gzip`, the SDK's `gzip=True`).
- `POST /i/v0/e/`: one event `{"api_key", "event", "distinct_id",
  "properties"?, "timestamp"?}`.

Every event needs a name and a distinct id and the body the project API key;
a bad body is a 400 and an unknown key a 401, each with a
`{"type", "code", "detail"}` body. The exact wording is ours: PostHog documents
the statuses, not every message. Accepted events are kept in `events` (each
with the api_key it came with); `fail_next` scripts 5xx/429 answers.

Where it falls short: no person processing, feature flags (/flags), the v1
capture protocol (/i/v1/analytics/events), rate limits or quotas.
"""

import gzip
import json

from fakes.base import FakeServer, Reply, Request


def _refusal(status: int, kind: str, code: str, detail: str) -> Reply:
    return Reply(status, {"type": kind, "code": code, "detail": detail, "attr": None})


class PostHogFake(FakeServer):
    def __init__(self, api_key: str = "phc_test_postr", port: int = 0):
        self.api_key = api_key
        self.events: list[dict] = []
        super().__init__(port)

    def setup(self) -> None:
        self.route("POST", r"/batch/?", self.batch)
        self.route("POST", r"/i/v0/e/?", self.single)

    def _body(self, req: Request):
        raw = req.body
        if req.headers.get("content-encoding", "").lower() == "gzip":
            try:
                raw = gzip.decompress(raw)
            except OSError:
                return None
        try:
            return json.loads(raw)
        except ValueError:
            return None

    def _accept(self, body, events: list) -> Reply:
        if not isinstance(body, dict):
            return _refusal(400, "validation_error", "invalid_payload", "Malformed request data: expected JSON.")
        key = body.get("api_key") or body.get("token")
        if not key:
            return _refusal(401, "authentication_error", "missing_api_key",
                            "API key not provided. You can find your project API key in PostHog project settings.")
        if key != self.api_key:
            return _refusal(401, "authentication_error", "invalid_api_key",
                            "Project API key invalid. You can find your project API key in PostHog project settings.")
        checked = []
        for event in events:
            if not isinstance(event, dict) or not event.get("event"):
                return _refusal(400, "validation_error", "invalid_event", "Invalid payload: event name is required.")
            distinct = event.get("distinct_id") or (event.get("properties") or {}).get("distinct_id")
            if distinct in (None, ""):
                return _refusal(400, "validation_error", "invalid_payload",
                                "Invalid payload: All events must have the event field \"distinct_id\"!")
            checked.append({**event, "distinct_id": str(distinct), "api_key": key})
        self.events.extend(checked)
        return Reply(200, {"status": "Ok"})

    def batch(self, req: Request) -> Reply:
        body = self._body(req)
        batch = body.get("batch") if isinstance(body, dict) else None
        if not isinstance(batch, list):
            return _refusal(400, "validation_error", "invalid_payload", "Malformed request data: no batch list.")
        return self._accept(body, batch)

    def single(self, req: Request) -> Reply:
        body = self._body(req)
        return self._accept(body, [body] if isinstance(body, dict) else [])

    def events_for(self, distinct_id: str) -> list[dict]:
        return [e for e in self.events if e["distinct_id"] == distinct_id]
