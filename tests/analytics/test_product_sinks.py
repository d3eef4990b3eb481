"""Both product-analytics sinks behind the real opt-out (Firestore, through the local
stack): PostHog and Google Analytics 4 get an event only for a person who allows
product analytics, never for one who opted out, a deleted account or an unknown uid,
and a GA failure never fails the callable that sent the event."""

import datetime as _dt

from fakes.base import Reply
from kernel import clock
from telemetry import ga4 as analytics_ga, product as analytics_product

NOW = _dt.datetime(2031, 3, 10, 12, 0, tzinfo=_dt.timezone.utc)


def view_insights(call, user):
    with clock.frozen(NOW):
        status, body = call("get_analytics_overview", {"start": "2031-03-01", "end": "2031-03-07"}, user.token)
    assert status == 200, body


def test_both_sinks_get_the_event_of_a_person_who_allows_it(call, user, posthog, ga4):
    view_insights(call, user)

    (ph,) = posthog.events_for(user.uid)
    (ga,) = ga4.events_for(analytics_ga.client_id(user.uid))
    assert ph["event"] == ga["name"] == "analytics_viewed"
    assert ga["params"]["view"] == "overview" and ga["params"]["days"] == 7
    assert ga["user_id"] is None
    raw = b"".join(h.raw for h in ga4.hits)
    assert user.uid.encode() not in raw and user["email"].encode() not in raw


def test_opting_out_stops_both_sinks(call, user, posthog, ga4):
    assert analytics_product.capture(user.uid, analytics_product.ONBOARDED) is True
    status, body = call("update_profile", {"productAnalytics": False}, user.token)
    assert status == 200, body

    view_insights(call, user)
    assert analytics_product.capture(user.uid, analytics_product.POST_PUBLISHED, {"network": "x"}) is False
    assert len(posthog.requests) == 1 and len(ga4.hits) == 1  # only the event before the opt-out

    call("update_profile", {"productAnalytics": True}, user.token)
    assert analytics_product.capture(user.uid, analytics_product.POST_PUBLISHED, {"network": "x"}) is True
    assert len(posthog.events_for(user.uid)) == 2 and len(ga4.collected) == 2


def test_deleted_and_unknown_accounts_send_nothing(new_user, db, posthog, ga4):
    from kernel import users

    gone = new_user()
    db.collection("users").document(gone.uid).set({"uid": gone.uid, "status": users.DELETED,
                                                   "deletedAt": clock.now()})
    assert analytics_product.capture(gone.uid, analytics_product.SUBSCRIPTION_ENDED,
                                     {"plan": "pro", "status": "canceled"}) is False
    assert analytics_product.capture("nobody-at-all", analytics_product.SIGNED_UP, {"method": "password"}) is False
    assert posthog.requests == [] and ga4.hits == []


def test_a_ga_failure_does_not_fail_the_callable(call, user, posthog, ga4):
    ga4.fail_next(Reply(500, {"error": "internal"}), path="/mp/collect")
    view_insights(call, user)  # still 200
    assert len(posthog.events_for(user.uid)) == 1
    assert len(ga4.hits) == 0 and ga4.collected == []  # the scripted answer took the request
    assert len(ga4.received("POST", r"/mp/collect")) == 1
