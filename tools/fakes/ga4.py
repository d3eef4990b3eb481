"""A loopback Google Analytics 4 Measurement Protocol endpoint, for tests of what
postr sends to GA (and does not).

It answers the two documented endpoints for a web data stream
(developers.google.com/analytics/devguides/collection/protocol/ga4/reference,
.../ga4/sending-events, .../ga4/validating-events):

- `POST /mp/collect?measurement_id=G-...&api_secret=...`: a JSON body
  `{"client_id", "user_id"?, "timestamp_micros"?, "user_properties"?,
  "consent"?, "non_personalized_ads"?, "events": [{"name", "params"?}]}`.
  Like Google it answers 2xx to every request it receives (204, no body),
  even a malformed one, an unknown api_secret or a wrong measurement id:
  "The Measurement Protocol doesn't return an error code if the payload is
  malformed, or if the data is incorrect or not processed". What Google would
  not process is recorded but not collected.
- `POST /debug/mp/collect?...`: the validation server. Same request; the
  answer is `{"validationMessages": [{"fieldPath", "description",
  "validationCode"}]}`, empty when valid. Like Google's, it does not check the
  api_secret, and what it validates is never collected.

The rules checked are the documented ones: `client_id` required (web streams);
at most 25 events per request and 25 params per event; event and param names
up to 40 characters, a letter first then letters, digits and underscores, not
a reserved name (the sending-events guide's list) nor a reserved prefix
(`google_`, `ga_`, `firebase_`); string param values up to 100 characters
(standard property); user properties at most 25, names up to 24 characters
and not reserved, values up to 36; user_id up to 256 characters; a body under
130 kB. Validation codes are Google's enum (VALUE_INVALID, VALUE_REQUIRED,
NAME_INVALID, NAME_RESERVED, VALUE_OUT_OF_BOUNDS, EXCEEDED_MAX_ENTITIES,
NAME_DUPLICATED); the descriptions are ours, and which code a rule gives is
ours where Google's docs do not say.

Every request is kept in `hits` (query, body, validation messages, whether it
counted); events Google would process are in `collected`. `fail_next` scripts
5xx answers or delays, which the real endpoint may give when it is unwell.

Where it falls short: no app streams (firebase_app_id/app_instance_id), no
sessions, no `validation_behavior` strictness levels, no user_data or
user_location checks, no processing beyond recording.
"""

import json
import re
from dataclasses import dataclass, field

from fakes.base import FakeServer, Reply, Request

# Reserved event names (sending-events guide, "Reserved names").
RESERVED_EVENT_NAMES = frozenset({
    "ad_activeview", "ad_click", "ad_exposure", "ad_query", "ad_reward", "adunit_exposure", "app_background",
    "app_clear_data", "app_exception", "app_remove", "app_store_refund", "app_store_subscription_cancel",
    "app_store_subscription_convert", "app_store_subscription_renew", "app_update", "app_upgrade",
    "dynamic_link_app_open", "dynamic_link_app_update", "dynamic_link_first_open", "error", "firebase_campaign",
    "firebase_in_app_message_action", "firebase_in_app_message_dismiss", "firebase_in_app_message_impression",
    "first_open", "first_visit", "in_app_purchase", "notification_dismiss", "notification_foreground",
    "notification_open", "notification_receive", "os_update", "session_start", "session_start_with_rollout",
    "user_engagement",
})
RESERVED_PARAM_NAMES = frozenset({"firebase_conversion"})
RESERVED_USER_PROPERTY_NAMES = frozenset({
    "first_open_time", "first_visit_time", "last_deep_link_referrer", "user_id", "first_open_after_install",
})
RESERVED_PREFIXES = ("google_", "ga_", "firebase_")
NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
MAX_EVENTS = MAX_PARAMS = MAX_USER_PROPERTIES = 25
MAX_NAME_LENGTH = 40
MAX_PARAM_VALUE_LENGTH = 100
MAX_USER_PROPERTY_NAME_LENGTH = 24
MAX_USER_PROPERTY_VALUE_LENGTH = 36
MAX_USER_ID_LENGTH = 256
MAX_BODY_BYTES = 130_000


@dataclass
class Hit:
    path: str
    measurement_id: str | None
    api_secret: str | None
    headers: dict
    raw: bytes
    body: object  # the parsed JSON, or None
    messages: list[dict] = field(default_factory=list)
    collected: bool = False


def _message(path: str, code: str, description: str) -> dict:
    return {"fieldPath": path, "description": description, "validationCode": code}


def _name_problems(kind: str, path: str, name, reserved: frozenset, max_length: int) -> list[dict]:
    if not isinstance(name, str) or not name:
        return [_message(path, "VALUE_REQUIRED", f"{kind} name is required.")]
    if len(name) > max_length:
        return [_message(path, "VALUE_OUT_OF_BOUNDS", f"{kind} name [{name}] is longer than {max_length} characters.")]
    if not NAME.fullmatch(name):
        return [_message(path, "NAME_INVALID", f"{kind} name [{name}] must start with a letter and contain only "
                                               "letters, digits and underscores.")]
    if name in reserved or name.startswith(RESERVED_PREFIXES):
        return [_message(path, "NAME_RESERVED", f"{kind} name [{name}] is reserved.")]
    return []


def validate(body) -> list[dict]:
    """Google's documented rules for a web stream's request body; [] when valid."""
    if not isinstance(body, dict):
        return [_message("", "VALUE_INVALID", "The body must be a JSON object.")]
    out: list[dict] = []
    client_id = body.get("client_id")
    if not isinstance(client_id, str) or not client_id:
        out.append(_message("client_id", "VALUE_REQUIRED", "client_id is required for a web data stream."))
    user_id = body.get("user_id")
    if user_id is not None and (not isinstance(user_id, str) or len(user_id) > MAX_USER_ID_LENGTH):
        out.append(_message("user_id", "VALUE_INVALID", f"user_id must be a string of at most {MAX_USER_ID_LENGTH} "
                                                        "characters."))
    if "non_personalized_ads" in body and not isinstance(body["non_personalized_ads"], bool):
        out.append(_message("non_personalized_ads", "VALUE_INVALID", "non_personalized_ads must be a boolean."))
    consent = body.get("consent")
    if consent is not None:
        if not isinstance(consent, dict) or any(k not in ("ad_user_data", "ad_personalization") or
                                                v not in ("GRANTED", "DENIED") for k, v in consent.items()):
            out.append(_message("consent", "VALUE_INVALID", "consent takes ad_user_data and ad_personalization, "
                                                            "each GRANTED or DENIED."))
    out.extend(_user_properties(body.get("user_properties")))
    events = body.get("events")
    if not isinstance(events, list) or not events:
        out.append(_message("events", "VALUE_REQUIRED", "events must be a non-empty array."))
        return out
    if len(events) > MAX_EVENTS:
        out.append(_message("events", "EXCEEDED_MAX_ENTITIES", f"A request can have at most {MAX_EVENTS} events."))
    for i, event in enumerate(events):
        out.extend(_event(i, event))
    return out


def _user_properties(props) -> list[dict]:
    if props is None:
        return []
    if not isinstance(props, dict):
        return [_message("user_properties", "VALUE_INVALID", "user_properties must be an object.")]
    out = []
    if len(props) > MAX_USER_PROPERTIES:
        out.append(_message("user_properties", "EXCEEDED_MAX_ENTITIES",
                            f"At most {MAX_USER_PROPERTIES} user properties."))
    for name, prop in props.items():
        path = f"user_properties.{name}"
        out.extend(_name_problems("User property", path, name, RESERVED_USER_PROPERTY_NAMES,
                                  MAX_USER_PROPERTY_NAME_LENGTH))
        value = prop.get("value") if isinstance(prop, dict) else None
        if isinstance(value, str) and len(value) > MAX_USER_PROPERTY_VALUE_LENGTH:
            out.append(_message(path, "VALUE_OUT_OF_BOUNDS",
                                f"User property values are at most {MAX_USER_PROPERTY_VALUE_LENGTH} characters."))
    return out


def _event(i: int, event) -> list[dict]:
    path = f"events[{i}]"
    if not isinstance(event, dict):
        return [_message(path, "VALUE_INVALID", f"Event at index: [{i}] must be an object.")]
    out = _name_problems("Event", f"{path}.name", event.get("name"), RESERVED_EVENT_NAMES, MAX_NAME_LENGTH)
    params = event.get("params", {})
    if not isinstance(params, dict):
        return [*out, _message(f"{path}.params", "VALUE_INVALID", "params must be an object.")]
    if len(params) > MAX_PARAMS:
        out.append(_message(f"{path}.params", "EXCEEDED_MAX_ENTITIES", f"An event can have at most {MAX_PARAMS} "
                                                                       "params."))
    for name, value in params.items():
        p = f"{path}.params.{name}"
        out.extend(_name_problems("Param", p, name, RESERVED_PARAM_NAMES, MAX_NAME_LENGTH))
        if name == "items" and isinstance(value, list):
            continue  # e-commerce items: not used by postr, not checked here
        if isinstance(value, str):
            if len(value) > MAX_PARAM_VALUE_LENGTH:
                out.append(_message(p, "VALUE_OUT_OF_BOUNDS",
                                    f"Param values are at most {MAX_PARAM_VALUE_LENGTH} characters."))
        elif not isinstance(value, int | float):
            out.append(_message(p, "VALUE_INVALID", f"Param [{name}] must be a string or a number."))
    return out


class GA4Fake(FakeServer):
    def __init__(self, measurement_id: str = "G-POSTRTEST1", api_secret: str = "ga4-test-secret", port: int = 0):
        self.measurement_id, self.api_secret = measurement_id, api_secret
        self.hits: list[Hit] = []
        super().__init__(port)

    def setup(self) -> None:
        self.route("POST", r"/mp/collect", self.collect)
        self.route("POST", r"/debug/mp/collect", self.debug)

    def _hit(self, req: Request) -> Hit:
        try:
            body = json.loads(req.body) if req.body else None
        except ValueError:
            body = None
        hit = Hit(req.path, req.arg("measurement_id"), req.arg("api_secret"), req.headers, req.body, body)
        hit.messages = validate(body) if body is not None else [_message("", "VALUE_INVALID", "The body is not JSON.")]
        if len(req.body) >= MAX_BODY_BYTES:
            hit.messages.append(_message("", "VALUE_OUT_OF_BOUNDS", "The body must be smaller than 130kB."))
        with self._lock:
            self.hits.append(hit)
        return hit

    def collect(self, req: Request) -> Reply:
        hit = self._hit(req)
        # Google drops what it cannot process, silently: the answer is the same either way.
        hit.collected = (not hit.messages and hit.measurement_id == self.measurement_id
                         and hit.api_secret == self.api_secret)
        return Reply(204, b"")

    def debug(self, req: Request) -> Reply:
        hit = self._hit(req)
        return Reply(200, {"validationMessages": hit.messages})

    @property
    def collected(self) -> list[dict]:
        """The events Google would process, each with the request's identifiers beside it."""
        with self._lock:
            return [{**event, "client_id": hit.body.get("client_id"), "user_id": hit.body.get("user_id")}
                    for hit in self.hits if hit.collected for event in hit.body["events"]]

    def events_for(self, client_id: str) -> list[dict]:
        return [e for e in self.collected if e["client_id"] == client_id]
