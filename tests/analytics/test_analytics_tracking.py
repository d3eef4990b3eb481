"""Product analytics (PostHog) and error tracking (Sentry): the real SDKs against
loopback capture endpoints. Off when unset; nothing for a person who opted out."""

import datetime as _dt
import json

from analytics import collect as analytics_collect
from kernel import clock
from telemetry import product as analytics_product, sentry as analytics_error_tracking

NOW = _dt.datetime(2031, 3, 10, 12, 0, tzinfo=_dt.timezone.utc)


def view_insights(call, user):
    with clock.frozen(NOW):
        status, body = call("get_analytics_overview", {"start": "2031-03-01", "end": "2031-03-07"}, user.token)
    assert status == 200, body


def test_viewing_insights_is_an_event_for_people_who_allow_it(call, user, posthog):
    view_insights(call, user)

    (event,) = posthog.events_for(user.uid)
    assert event["event"] == "analytics_viewed"
    assert event["api_key"] == "phc_analytics_tests"
    assert event["properties"]["view"] == "overview" and event["properties"]["days"] == 7
    assert event["properties"]["$geoip_disable"] is True
    assert posthog.received("POST", r"/batch/")  # the SDK's documented batch endpoint


def test_opting_out_stops_every_event(call, user, posthog):
    view_insights(call, user)
    assert len(posthog.events_for(user.uid)) == 1

    status, body = call("update_profile", {"productAnalytics": False}, user.token)
    assert status == 200, body
    view_insights(call, user)
    assert analytics_product.capture(user.uid, "anything", {"n": 1}) is False

    assert len(posthog.events_for(user.uid)) == 1  # nothing after the opt-out
    assert len(posthog.requests) == 1

    call("update_profile", {"productAnalytics": True}, user.token)
    view_insights(call, user)
    assert len(posthog.events_for(user.uid)) == 2


def test_no_project_key_sends_nothing(call, user, posthog, monkeypatch):
    monkeypatch.delenv("POSTHOG_PROJECT_API_KEY")
    view_insights(call, user)
    assert analytics_product.capture(user.uid, "anything") is False
    assert posthog.requests == []


def test_only_plain_values_are_sent(user, posthog):
    assert analytics_product.capture(user.uid, "thing_done", {"count": 3, "nested": {"text": "a post"},
                                                              "items": ["x"]}) is True
    (event,) = posthog.events_for(user.uid)
    assert event["properties"]["count"] == 3
    assert "nested" not in event["properties"] and "items" not in event["properties"]


def test_a_refused_capture_never_fails_the_caller(call, user, posthog, monkeypatch):
    monkeypatch.setenv("POSTHOG_PROJECT_API_KEY", "phc_wrong_key")
    view_insights(call, user)  # still 200
    assert posthog.events_for(user.uid) == []
    assert posthog.received("POST", r"/batch/")  # it was tried, and refused with 401


def test_errors_reach_sentry_without_personal_data(sentry):
    try:
        raise RuntimeError("collector broke on account acc-1")
    except RuntimeError as exc:
        assert analytics_error_tracking.capture(exc, where="tests") is True

    (event,) = sentry.events()
    (exception,) = event["exception"]["values"]
    assert (exception["type"], exception["value"]) == ("RuntimeError", "collector broke on account acc-1")
    assert event["tags"]["where"] == "tests" and event["environment"] == "tests"
    assert "user" not in event and "server_name" not in event and "request" not in event
    for frame in exception["stacktrace"]["frames"]:
        assert "vars" not in frame  # local variables may hold tokens: never sent


def test_without_a_dsn_nothing_is_reported(sentry, monkeypatch):
    monkeypatch.delenv("SENTRY_DSN")
    assert analytics_error_tracking.capture(ValueError("x"), where="tests") is False
    assert sentry.requests == []


def test_a_bug_in_one_reading_is_reported_and_the_run_goes_on(sentry, epoch, uid, connect, seed_post, x_fake,
                                                              x_tokens, x_post, snapshots, monkeypatch):
    from platforms import x

    # Two accounts, so two requests (one account's due posts share one request).
    tokens_a, tokens_b = x_tokens(), x_tokens()
    account_a, account_b = connect(uid, "x", tokens_a, handle="a"), connect(uid, "x", tokens_b, handle="b")
    first = seed_post(uid, {account_a: ("x", x_post(tokens_a, like_count=1), epoch)})
    second = seed_post(uid, {account_b: ("x", x_post(tokens_b, like_count=2), epoch + _dt.timedelta(minutes=1))})
    real = x.XPlatform.metrics_many
    calls = []

    def once_broken(self, tokens, post_ids):
        calls.append(post_ids)
        if len(calls) == 1:
            raise KeyError("unexpected answer shape")
        return real(self, tokens, post_ids)

    monkeypatch.setattr(x.XPlatform, "metrics_many", once_broken)
    at = epoch + _dt.timedelta(hours=2)
    with clock.frozen(at):
        report = analytics_collect.run(at)

    assert (report.failed, report.collected) == (1, 1)
    assert snapshots(first) == [] and [s["likes"] for s in snapshots(second)] == [2]
    (event,) = sentry.events()
    assert event["exception"]["values"][0]["type"] == "KeyError"
    assert event["tags"]["where"] == "analytics.collect_due"


def test_an_unexpected_failure_in_a_callable_is_reported(call, user, sentry, monkeypatch):
    from kernel import users

    def broken(data):
        raise KeyError("a bug")

    monkeypatch.setattr(users, "public_view", broken)
    status, body = call("get_profile", {}, user.token)
    assert status == 500 and body["error"]["status"] == "INTERNAL"
    assert "logged" in body["error"]["message"]  # the person sees no internals
    (event,) = sentry.events()
    assert event["tags"]["where"] == "get_profile"
    assert event["exception"]["values"][0]["type"] == "KeyError"
    assert user.uid not in json.dumps(event) and user["email"] not in json.dumps(event)
