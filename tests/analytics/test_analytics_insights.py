"""Insights through the callables, from seeded trackers and snapshots, checked
against numbers worked out by hand (comments show the sums). The person lives
in New York (UTC-5 in these weeks, before the 9 March 2031 clock change), so
periods and best times are in New York days and hours."""

import datetime as _dt

import pytest

from kernel import clock
from platforms.base import Tokens

UTC = _dt.timezone.utc
NOW = _dt.datetime(2031, 3, 10, 12, 0, tzinfo=UTC)


def at(text: str) -> _dt.datetime:
    return _dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


def values(likes, reposts, replies, views) -> dict:
    return {"likes": likes, "reposts": reposts, "replies": replies, "views": views}


@pytest.fixture
def person(new_user, call):
    user = new_user("Analyst")
    status, body = call("update_profile", {"timezone": "America/New_York"}, user.token)
    assert status == 200, body
    return user


@pytest.fixture
def seed_target(db):
    def write(uid, post_id, account_id, network, published, latest, series=()):
        db.collection("metricTargets").document(f"{post_id}__{account_id}").set({
            "uid": uid, "postId": post_id, "accountId": account_id, "network": network, "networkPostId": "n",
            "url": None, "publishedAt": at(published), "state": "active" if latest is None else "done",
            "step": 0, "nextDueAt": at(published) + _dt.timedelta(hours=1) if latest is None else None,
            "latest": None if latest is None else {**latest, "collectedAt": NOW, "checkpoint": "7d"},
            "failures": 0, "endedReason": None if latest is None else "finished"})
        for checkpoint, collected, numbers in series:
            db.collection("metrics").document(f"{post_id}__{account_id}__{checkpoint}").set({
                "uid": uid, "kind": "post", "postId": post_id, "accountId": account_id, "network": network,
                "checkpoint": checkpoint, "publishedAt": at(published), "collectedAt": at(collected), **numbers})

    return write


@pytest.fixture
def history(person, connect, seed_target, seed_post, db):
    """Two accounts (X: a, Mastodon: b) and seven posts around 1-7 March 2031 (New York)."""
    uid = person.uid
    a = connect(uid, "x", Tokens(access_token="unused-a"), handle="a")
    b = connect(uid, "mastodon", Tokens(access_token="unused-b"), handle="b")
    posts = {name: seed_post(uid, {a: ("x", name, at("2031-03-01T00:00"))}) for name in
             ("P1", "P2", "P3", "P4", "P5", "P6", "P7")}
    # this period, 1-7 March in New York = [1 March 05:00 UTC, 8 March 05:00 UTC)
    seed_target(uid, posts["P1"], a, "x", "2031-03-02T14:30", values(10, 2, 3, 500),  # Sun 09:30 NY, eng 15
                series=[("1h", "2031-03-02T15:30", values(1, 0, 0, 40)),
                        ("6h", "2031-03-02T20:30", values(6, 1, 2, None))])
    seed_target(uid, posts["P1"], b, "mastodon", "2031-03-02T14:30", values(4, 1, 0, None))  # Sun 09 NY, eng 5
    seed_target(uid, posts["P2"], a, "x", "2031-03-04T01:00", values(20, 5, 5, 1000))  # Mon 20 NY, eng 30
    seed_target(uid, posts["P3"], b, "mastodon", "2031-03-06T14:00", values(6, 2, 1, None))  # Thu 09 NY, eng 9
    seed_target(uid, posts["P4"], a, "x", "2031-03-08T04:00", values(1, 0, 0, 400))  # Fri 7 Mar 23 NY, eng 1
    seed_target(uid, posts["P7"], a, "x", "2031-03-05T12:00", None)  # not measured yet
    # the previous period, 22-28 February in New York
    seed_target(uid, posts["P5"], a, "x", "2031-03-01T04:00", values(8, 0, 2, 200))  # Fri 28 Feb 23 NY, eng 10
    seed_target(uid, posts["P6"], a, "x", "2031-02-25T15:00", values(2, 1, 1, 300))  # Tue 10 NY, eng 4
    # account a's daily follower counts
    for day, collected, followers in (("2031-02-28", "2031-02-28T06:00", 100), ("2031-03-01", "2031-03-01T06:00", 110),
                                      ("2031-03-04", "2031-03-04T06:00", None), ("2031-03-07", "2031-03-07T06:00", 130),
                                      ("2031-03-08", "2031-03-08T06:00", 150)):
        db.collection("metrics").document(f"account__{a}__{day}").set({
            "uid": uid, "kind": "account", "accountId": a, "network": "x", "day": day,
            "collectedAt": at(collected), "followers": followers})
    return {"a": a, "b": b, **posts}


def ask(call, name, data, user):
    with clock.frozen(NOW):
        return call(name, data, user.token)


def test_overview_totals_change_and_top_posts(call, person, history):
    status, body = ask(call, "get_analytics_overview", {"start": "2031-03-01", "end": "2031-03-07", "topPosts": 3},
                       person)
    assert status == 200, body
    result = body["result"]
    assert result["period"] == {"start": "2031-03-01", "end": "2031-03-07", "days": 7, "timezone": "America/New_York"}
    assert result["previousPeriod"]["start"] == "2031-02-22" and result["previousPeriod"]["end"] == "2031-02-28"
    totals = result["totals"]
    # likes 10+4+20+6+1, reposts 2+1+5+2+0, replies 3+0+5+1+0, views 500+1000+400 (Mastodon gives none)
    assert (totals["likes"], totals["reposts"], totals["replies"], totals["views"]) == (41, 10, 9, 1900)
    assert totals["reported"] == {"likes": 5, "reposts": 5, "replies": 5, "views": 3}
    assert (totals["posts"], totals["targets"], totals["measuredTargets"]) == (5, 6, 5)
    assert totals["engagements"] == 60  # 15 + 5 + 30 + 9 + 1
    assert totals["engagementRate"] == 0.0242  # (15 + 30 + 1) / 1900, only targets with views
    previous = result["previousTotals"]
    assert (previous["likes"], previous["views"], previous["engagements"], previous["engagementRate"]) == (
        10, 500, 14, 0.028)  # 8+2; 200+300; 10+4; 14/500
    assert result["change"]["likes"] == {"current": 41, "previous": 10, "change": 31, "changePercent": 310.0}
    assert result["change"]["engagementRate"]["change"] == -0.0038
    # per post: P2 30 engagements, P1 15+5, P3 9, P4 1; P7 is not measured yet
    top = result["topPosts"]
    assert [p["postId"] for p in top] == [history["P2"], history["P1"], history["P3"]]
    assert (top[1]["engagements"], top[1]["views"], top[1]["likes"]) == (20, 500, 14)
    assert top[2]["views"] is None  # Mastodon gives no views: unknown, not 0


def test_one_account_with_its_followers(call, person, history):
    status, body = ask(call, "get_account_analytics",
                       {"accountId": history["a"], "start": "2031-03-01", "end": "2031-03-07"}, person)
    assert status == 200, body
    result = body["result"]
    totals = result["totals"]
    # a's targets this period: P1 (10,2,3,500), P2 (20,5,5,1000), P4 (1,0,0,400), P7 pending
    assert (totals["likes"], totals["reposts"], totals["replies"], totals["views"], totals["engagements"]) == (
        31, 7, 8, 1900, 46)
    assert result["followers"]["start"] == 110 and result["followers"]["end"] == 130
    assert result["followers"]["change"] == 20  # 28 Feb and 8 Mar are outside New York's 1-7 March
    assert [s["followers"] for s in result["followers"]["series"]] == [110, None, 130]
    assert (result["network"], result["handle"]) == ("x", "a")


def test_one_post_latest_and_over_time(call, person, history):
    status, body = ask(call, "get_post_analytics", {"postId": history["P1"]}, person)
    assert status == 200, body
    result = body["result"]
    assert result["totals"]["likes"] == 14 and result["totals"]["views"] == 500
    by_network = {t["network"]: t for t in result["targets"]}
    x = by_network["x"]
    assert x["latest"]["likes"] == 10 and x["latest"]["engagements"] == 15 and x["latest"]["engagementRate"] == 0.03
    assert [(s["checkpoint"], s["likes"], s["views"]) for s in x["series"]] == [("1h", 1, 40), ("6h", 6, None)]
    assert by_network["mastodon"]["latest"]["views"] is None
    assert by_network["mastodon"]["latest"]["engagementRate"] is None


def test_best_hours_and_weekdays_in_the_persons_timezone(call, person, history):
    status, body = ask(call, "get_best_times", {"start": "2031-02-01", "end": "2031-03-10"}, person)
    assert status == 200, body
    result = body["result"]
    assert result["timezone"] == "America/New_York" and result["measuredTargets"] == 7
    # New York hours: 9 -> 15, 5, 9 (avg 9.67); 10 -> 4; 20 -> 30; 23 -> 1, 10 (avg 5.5)
    assert [(h["hour"], h["posts"], h["averageEngagements"]) for h in result["byHour"]] == [
        (9, 3, 9.67), (10, 1, 4.0), (20, 1, 30.0), (23, 2, 5.5)]
    assert result["bestHours"] == [9, 23]  # 20 h has one post only: not enough to call it best
    # Sunday 15, 5; Monday 30; Tuesday 4; Thursday 9; Friday 1, 10
    assert {d["weekday"]: (d["posts"], d["averageEngagements"]) for d in result["byWeekday"]} == {
        "Sunday": (2, 10.0), "Monday": (1, 30.0), "Tuesday": (1, 4.0), "Thursday": (1, 9.0), "Friday": (2, 5.5)}
    assert result["bestWeekdays"] == ["Sunday", "Friday"]


def test_an_account_filter_narrows_the_overview(call, person, history):
    status, body = ask(call, "get_analytics_overview", {"start": "2031-03-01", "end": "2031-03-07",
                                                        "accountIds": [history["b"]]}, person)
    assert status == 200, body
    totals = body["result"]["totals"]
    assert (totals["likes"], totals["views"], totals["engagementRate"]) == (10, None, None)  # 4 + 6; no views


# --- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize("period, says", [
    ({"start": "2031-03-07", "end": "2031-03-01"}, "before it starts"),
    ({"start": "2029-03-07", "end": "2031-03-07"}, "at most 2 years"),
    ({"start": "2031-04-01", "end": "2031-04-30"}, "in the future"),
    ({"start": "1 March"}, "'start'"),
])
def test_bad_periods_are_refused_plainly(call, person, period, says):
    status, body = ask(call, "get_analytics_overview", period, person)
    assert status == 400 and body["error"]["status"] == "INVALID_ARGUMENT"
    assert says in body["error"]["message"]


def test_a_period_of_exactly_the_retention_window_is_fine(call, person):
    status, body = ask(call, "get_analytics_overview", {"start": "2029-03-08", "end": "2031-03-07"}, person)
    assert status == 200, body
    assert body["result"]["totals"]["likes"] is None  # nothing measured: unknown, not 0


def test_other_peoples_posts_and_accounts_are_not_found(call, person, history, new_user):
    stranger = new_user("Stranger")
    missing = []
    for name, data in (("get_post_analytics", {"postId": history["P1"]}),
                       ("get_post_analytics", {"postId": "no-such-post"}),
                       ("get_account_analytics", {"accountId": history["a"]}),
                       ("get_analytics_overview", {"accountIds": [history["a"]]}),
                       ("get_best_times", {"accountIds": [history["b"]]})):
        status, body = ask(call, name, data, stranger)
        assert status == 404 and body["error"]["status"] == "NOT_FOUND", (name, body)
        missing.append(body["error"]["message"])
    assert missing[0] == missing[1]  # someone else's post reads exactly like one that does not exist
    assert "likes" not in str(missing)


def test_unknown_fields_and_no_sign_in_are_refused(call, person):
    status, body = ask(call, "get_post_analytics", {"postId": "x", "uid": person.uid}, person)
    assert status == 400 and "Unknown field 'uid'" in body["error"]["message"]
    with clock.frozen(NOW):
        status, body = call("get_analytics_overview", {}, None)
    assert status == 401 and body["error"]["status"] == "UNAUTHENTICATED"
