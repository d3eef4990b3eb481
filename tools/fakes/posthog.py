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

Persons: an accepted event makes (or joins) a person for its distinct id
unless it says `"$process_person_profile": false`, PostHog's switch for
personless events (posthog.com/docs/data/persons); each event keeps
`person_id` (None when personless).

The private API, as PostHog documents it (posthog.com/docs/api, "persons";
posthog.com/docs/privacy/data-deletion) and as PostHog's person API answers:
authenticated by a personal API key (`Authorization: Bearer phx_...`, 401
without or unknown; 403 when the key lacks the endpoint's scope), for one
project (404 for another):

- `GET /api/projects/{project_id}/persons/?distinct_id=`: `{"results":
  [{"id", "uuid", "name", "distinct_ids", "properties", "created_at"}],
  "next", "previous"}`; scope person:read.
- `POST /api/projects/{project_id}/persons/bulk_delete/`: `{"distinct_ids"
  or "ids" (not both, at most 1000), "delete_events"?, "delete_recordings"?,
  "keep_person"?}`; scope person:write. 202 `{"persons_found",
  "persons_deleted", "events_queued_for_deletion",
  "recordings_queued_for_deletion", "deletion_errors"}`. Only persons are
  resolved: a distinct id with personless events only is `persons_found: 0`,
  and its events are not queued (PostHog deletes events by person).
  Event deletion is asynchronous in PostHog (a weekly batch): queued
  deletions are kept in `deletions` until `run_deletions()`, which removes
  the events of those persons captured before the request.

Where it falls short: no feature flags (/flags), the v1 capture protocol
(/i/v1/analytics/events), person properties ($set), merging, rate limits or
quotas; no single-person DELETE or /api/environments/ paths.
"""

import datetime as _dt
import gzip
import itertools
import json
import uuid

from fakes.base import FakeServer, Reply, Request


def _refusal(status: int, kind: str, code: str, detail: str) -> Reply:
    return Reply(status, {"type": kind, "code": code, "detail": detail, "attr": None})


class PostHogFake(FakeServer):
    def __init__(self, api_key: str = "phc_test_postr", port: int = 0, *, project_id: str = "4242",
                 personal_api_key: str = "phx_test_postr", scopes: tuple[str, ...] = ("person:read", "person:write")):
        self.api_key = api_key
        self.project_id, self.personal_api_key, self.scopes = project_id, personal_api_key, set(scopes)
        self.events: list[dict] = []
        self.persons: dict[str, dict] = {}  # uuid -> person
        self.deletions: list[dict] = []  # queued event deletions: {"person_uuid", "seq"}
        self._ids = itertools.count(1)
        self._seq = itertools.count(1)  # capture order, for "events captured before the request"
        super().__init__(port)

    def setup(self) -> None:
        self.route("POST", r"/batch/?", self.batch)
        self.route("POST", r"/i/v0/e/?", self.single)
        self.route("GET", r"/api/projects/(?P<project>[^/]+)/persons/?", self.list_persons)
        self.route("POST", r"/api/projects/(?P<project>[^/]+)/persons/bulk_delete/?", self.bulk_delete)

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
        with self._lock:
            for event in checked:
                personless = (event.get("properties") or {}).get("$process_person_profile") is False
                person = None if personless else self._person_for(event["distinct_id"])
                self.events.append({**event, "person_id": person["uuid"] if person else None,
                                    "seq": next(self._seq)})
        return Reply(200, {"status": "Ok"})

    def _person_for(self, distinct_id: str) -> dict:
        for person in self.persons.values():
            if distinct_id in person["distinct_ids"]:
                return person
        person = {"id": next(self._ids), "uuid": str(uuid.uuid4()), "name": distinct_id,
                  "distinct_ids": [distinct_id], "properties": {},
                  "created_at": _dt.datetime.now(_dt.timezone.utc).isoformat().replace("+00:00", "Z")}
        self.persons[person["uuid"]] = person
        return person

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

    # --- the private API -----------------------------------------------------------

    def _authorize(self, req: Request, scope: str) -> Reply | None:
        header = req.headers.get("authorization", "")
        key = header[7:].strip() if header.lower().startswith("bearer ") else req.arg("personal_api_key")
        if not key:
            return _refusal(401, "authentication_error", "not_authenticated",
                            "Authentication credentials were not provided.")
        if key != self.personal_api_key:
            return _refusal(401, "authentication_error", "authentication_failed",
                            "Personal API key found in request is invalid.")
        if req.match["project"] != self.project_id:
            return _refusal(404, "invalid_request", "not_found", "Project not found.")
        if scope not in self.scopes:
            return _refusal(403, "authentication_error", "permission_denied",
                            f"API key missing required scope '{scope}'")
        return None

    def list_persons(self, req: Request) -> Reply:
        refused = self._authorize(req, "person:read")
        if refused:
            return refused
        wanted = req.arg("distinct_id")
        with self._lock:
            found = [dict(p) for p in self.persons.values() if wanted is None or wanted in p["distinct_ids"]]
        return Reply(200, {"results": found, "next": None, "previous": None})

    def bulk_delete(self, req: Request) -> Reply:
        refused = self._authorize(req, "person:write")
        if refused:
            return refused
        try:
            body = json.loads(req.body or b"{}")
        except ValueError:
            return _refusal(400, "validation_error", "parse_error", "JSON parse error.")
        if not isinstance(body, dict):
            return _refusal(400, "validation_error", "parse_error", "Expected a JSON object.")
        distinct_ids, ids = body.get("distinct_ids"), body.get("ids")
        if distinct_ids and ids:
            return _refusal(400, "validation_error", "invalid_input",
                            "You must provide either distinct_ids or ids, not both")
        if not distinct_ids and not ids:
            return _refusal(400, "validation_error", "invalid_input", "You need to specify either distinct_ids or ids")
        wanted = distinct_ids or ids
        if not isinstance(wanted, list) or len(wanted) > 1000:
            which = "distinct_ids" if distinct_ids else "ids"
            return _refusal(400, "validation_error", "invalid_input", f"You can only pass 1000 {which} in one call")
        with self._lock:
            persons = [p for p in self.persons.values()
                       if (set(p["distinct_ids"]) & set(map(str, wanted)) if distinct_ids else p["uuid"] in wanted)]
            delete_events, keep = bool(body.get("delete_events")), bool(body.get("keep_person"))
            seq = next(self._seq)
            if delete_events:
                for person in persons:
                    if not any(d["person_uuid"] == person["uuid"] for d in self.deletions):
                        self.deletions.append({"person_uuid": person["uuid"], "seq": seq})
            if not keep:
                for person in persons:
                    del self.persons[person["uuid"]]
        return Reply(202, {"persons_found": len(persons), "persons_deleted": 0 if keep else len(persons),
                           "events_queued_for_deletion": delete_events and bool(persons),
                           "recordings_queued_for_deletion": bool(body.get("delete_recordings")) and bool(persons),
                           "deletion_errors": []})

    def run_deletions(self) -> int:
        """PostHog's batch: delete the events of queued persons captured before each request."""
        with self._lock:
            before = len(self.events)
            queued = {d["person_uuid"]: d["seq"] for d in self.deletions}
            self.events = [e for e in self.events
                           if not (e["person_id"] in queued and e["seq"] < queued[e["person_id"]])]
            self.deletions.clear()
            return before - len(self.events)
