"""Product events fanned out to PostHog and Google Analytics 4 (issue 16): GA gets the
documented Measurement Protocol payload with a pseudonymous client id and nothing
personal, each sink is off unless configured, and a sink's failure never reaches the
caller. The opt-out check is stubbed here (no local stack); test_product_sinks.py runs
the real one against Firestore."""

import json

import httpx
import pytest

from fakes.base import Reply
from kernel import optouts as privacy_optouts
from telemetry import ga4 as analytics_ga, product as analytics_product

UID = "Zq8uT3xYb1WcL0mN5pR7sV2eA4d9"  # the shape of a Firebase uid
SETTINGS = ("POSTHOG_PROJECT_API_KEY", "POSTHOG_HOST", "GA4_MEASUREMENT_ID", "GA4_API_SECRET", "GA4_BASE_URL")

SAMPLES = {
    analytics_product.SIGNED_UP: {"method": "password"},
    analytics_product.ONBOARDED: {},
    analytics_product.ACCOUNT_CONNECTED: {"network": "bluesky", "accounts": 2},
    analytics_product.POST_PUBLISHED: {"network": "x"},
    analytics_product.SUBSCRIPTION_STARTED: {"plan": "pro"},
    analytics_product.SUBSCRIPTION_ENDED: {"plan": "pro", "status": "canceled"},
}


@pytest.fixture(autouse=True)
def no_leftover_trackers():
    """Nothing here reads Firestore (overrides the directory's tracker cleanup, which needs the stack)."""
    yield


@pytest.fixture(autouse=True)
def allowed(monkeypatch):
    """Who allows product analytics; everyone unless a test says otherwise."""
    people = {"refused": set()}
    monkeypatch.setattr(privacy_optouts, "product_analytics_allowed", lambda uid: uid not in people["refused"])
    return people["refused"]


def only_hit(ga4):
    (hit,) = ga4.hits
    return hit


def test_each_sink_is_off_until_configured(ga4, posthog_alone, monkeypatch):
    for name in SETTINGS:  # the fixtures configured both; start from nothing
        monkeypatch.delenv(name)
    assert analytics_product.capture(UID, analytics_product.ONBOARDED) is False
    monkeypatch.setenv("GA4_MEASUREMENT_ID", ga4.measurement_id)  # a measurement id alone is not enough
    monkeypatch.setenv("GA4_BASE_URL", ga4.url)
    assert analytics_product.capture(UID, analytics_product.ONBOARDED) is False
    assert ga4.hits == [] and posthog_alone.requests == []

    monkeypatch.setenv("GA4_API_SECRET", ga4.api_secret)
    assert analytics_product.capture(UID, analytics_product.ONBOARDED) is True
    assert len(ga4.collected) == 1 and posthog_alone.requests == []  # PostHog still has no key

    monkeypatch.setenv("POSTHOG_PROJECT_API_KEY", posthog_alone.api_key)
    monkeypatch.setenv("POSTHOG_HOST", posthog_alone.url)
    assert analytics_product.capture(UID, analytics_product.ONBOARDED) is True
    assert len(ga4.collected) == 2 and len(posthog_alone.events_for(UID)) == 1


def test_ga_gets_the_documented_payload(ga4):
    assert analytics_product.capture(UID, analytics_product.ACCOUNT_CONNECTED, {"network": "bluesky", "accounts": 2})

    hit = only_hit(ga4)
    assert hit.path == "/mp/collect"  # POST {base}/mp/collect?measurement_id=&api_secret=
    assert (hit.measurement_id, hit.api_secret) == (ga4.measurement_id, ga4.api_secret)
    assert hit.headers["content-type"] == "application/json"
    assert hit.messages == [] and hit.collected
    assert hit.body == {
        "client_id": analytics_ga.client_id(UID),
        "non_personalized_ads": True,
        "consent": {"ad_user_data": "DENIED", "ad_personalization": "DENIED"},
        "events": [{"name": "account_connected", "params": {"network": "bluesky", "accounts": 2}}],
    }
    # Google's validation server finds nothing to say about the same request.
    answer = httpx.post(f"{ga4.url}/debug/mp/collect", params={"measurement_id": ga4.measurement_id,
                                                               "api_secret": ga4.api_secret}, json=hit.body)
    assert answer.json() == {"validationMessages": []}


def test_the_id_is_pseudonymous_and_stable():
    cid = analytics_ga.client_id(UID)
    assert cid == analytics_ga.client_id(UID) != analytics_ga.client_id(UID + "x")
    assert UID not in cid and len(cid) == 32
    assert "user_id" not in analytics_ga.payload(UID, "x", {})


def test_every_backend_event_is_valid_for_ga(ga4, posthog_alone):
    for event, properties in SAMPLES.items():
        assert analytics_product.capture(UID, event, properties) is True

    assert [h.messages for h in ga4.hits] == [[]] * len(SAMPLES)
    assert [(e["name"], e["params"]) for e in ga4.events_for(analytics_ga.client_id(UID))] == list(SAMPLES.items())
    assert [(e["event"], {k: v for k, v in e["properties"].items() if not k.startswith("$")})
            for e in posthog_alone.events_for(UID)] == list(SAMPLES.items())


def test_nothing_personal_reaches_either_sink(ga4, posthog_alone):
    email, text = "someone@example.com", "My first post, do not share"
    analytics_product.capture(UID, analytics_product.POST_PUBLISHED,
                              {"network": "x", "text": text, "email": email, "handle": "@someone", "name": "Some One"})
    analytics_product.capture(UID, analytics_product.SIGNED_UP, {"method": text})  # text where a name belongs
    analytics_product.capture(UID, analytics_product.ACCOUNT_CONNECTED, {"network": "x", "accounts": "2"})

    ga_params = [e["params"] for e in ga4.collected]
    ph_props = [{k: v for k, v in e["properties"].items() if not k.startswith("$")} for e in posthog_alone.events]
    assert ga_params == ph_props == [{"network": "x"}, {}, {"network": "x"}]
    raw = b"".join(h.raw for h in ga4.hits)
    for personal in (email, text, "@someone", "Some One", UID):
        assert personal.encode() not in raw


def test_undeclared_events_keep_plain_values_within_ga_limits(ga4):
    long_text = "x" * 101
    assert analytics_product.capture(UID, "analytics_viewed", {"view": "overview", "days": 7, "ratio": 0.5,
                                                               "weekly": True, "note": long_text, "nested": {"a": 1},
                                                               "ga_thing": "y", "firebase_conversion": 1})
    (event,) = ga4.collected
    assert event["params"] == {"view": "overview", "days": 7, "ratio": 0.5, "weekly": "true"}


def test_ga_param_rules():
    many = {f"p{i}": i for i in range(30)}
    assert len(analytics_ga.params(many)) == analytics_ga.MAX_PARAMS
    assert analytics_ga.params({"1st": 1, "with-dash": 1, "x" * 41: 1, "google_a": 1, "ok": None}) == {}
    assert analytics_ga.params({"ok": "y" * 100}) == {"ok": "y" * 100}


def test_names_ga_refuses_go_to_posthog_only(ga4, posthog_alone):
    for name in ("session_start", "firebase_thing", "Bad-Name", "x" * 41):
        assert analytics_product.capture(UID, name) is True  # PostHog took it
    assert ga4.hits == []
    assert len(posthog_alone.events_for(UID)) == 4


def test_an_opted_out_person_reaches_no_sink(ga4, posthog_alone, allowed):
    allowed.add(UID)
    assert analytics_product.capture(UID, analytics_product.POST_PUBLISHED, {"network": "x"}) is False
    assert ga4.hits == [] and posthog_alone.requests == []


@pytest.mark.parametrize("failure", ["5xx", "timeout", "unreachable"])
def test_a_ga_failure_never_fails_the_caller(ga4, posthog_alone, monkeypatch, failure):
    monkeypatch.setattr(analytics_ga, "TIMEOUT_S", 0.3)
    if failure == "5xx":
        ga4.fail_next(Reply(503, {"error": "backend unavailable"}), path="/mp/collect")
    elif failure == "timeout":
        ga4.fail_next(Reply(204, b"", delay=1.0), path="/mp/collect")
    else:
        monkeypatch.setenv("GA4_BASE_URL", "http://127.0.0.1:9")  # discard port: nothing listens

    assert analytics_product.capture(UID, analytics_product.POST_PUBLISHED, {"network": "x"}) is True
    assert len(posthog_alone.events_for(UID)) == 1  # PostHog still got it
    assert ga4.collected == []

    monkeypatch.delenv("POSTHOG_PROJECT_API_KEY")  # GA alone, failing: False, and still no exception
    if failure != "unreachable":
        ga4.fail_next(Reply(500), path="/mp/collect")
    assert analytics_product.capture(UID, analytics_product.POST_PUBLISHED, {"network": "x"}) is False


def broken(*_args, **_kwargs):
    raise RuntimeError("sdk bug")


def test_a_broken_posthog_does_not_stop_ga(ga4, posthog_alone, monkeypatch):
    monkeypatch.setattr(analytics_product, "_client", broken)
    assert analytics_product.capture(UID, analytics_product.ONBOARDED) is True
    assert len(ga4.collected) == 1 and posthog_alone.events == []


def test_a_broken_ga_does_not_stop_posthog(ga4, posthog_alone, monkeypatch):
    monkeypatch.setattr(analytics_ga, "send", broken)
    assert analytics_product.capture(UID, analytics_product.ONBOARDED) is True
    assert len(posthog_alone.events_for(UID)) == 1 and ga4.hits == []


def test_the_fake_holds_google_to_its_documented_rules(ga4):
    """The stand-in answers like Google: 2xx whatever arrives, nothing collected from a
    bad request, and the validation server says why."""
    query = {"measurement_id": ga4.measurement_id, "api_secret": ga4.api_secret}
    bad = {"client_id": "c", "events": [{"name": "_bad", "params": {"ga_x": "y" * 101}}] + [{"name": "ok"}] * 25}
    assert httpx.post(f"{ga4.url}/mp/collect", params=query, json=bad).status_code == 204
    assert httpx.post(f"{ga4.url}/mp/collect", params={**query, "api_secret": "wrong"},
                      json={"client_id": "c", "events": [{"name": "ok"}]}).status_code == 204
    assert ga4.collected == []
    codes = {m["validationCode"] for m in httpx.post(f"{ga4.url}/debug/mp/collect", params=query,
                                                     json=bad).json()["validationMessages"]}
    assert codes == {"EXCEEDED_MAX_ENTITIES", "NAME_INVALID", "NAME_RESERVED", "VALUE_OUT_OF_BOUNDS"}
    missing = httpx.post(f"{ga4.url}/debug/mp/collect", params=query, content=json.dumps({"events": []}))
    assert {m["fieldPath"] for m in missing.json()["validationMessages"]} == {"client_id", "events"}


def test_an_unreadable_opt_out_sends_nothing_and_raises_nothing(ga4, posthog_alone, monkeypatch):
    monkeypatch.setattr(privacy_optouts, "product_analytics_allowed", broken)
    assert analytics_product.capture(UID, analytics_product.ONBOARDED) is False
    assert ga4.hits == [] and posthog_alone.requests == []
