"""The collector on an injected clock: which targets are due when, that finished
ones are never read again, and how it treats accounts, limits and failures.
Post numbers come from the X contract fake through the real X module."""

import datetime as _dt

from analytics import collect as analytics_collect, schedule as analytics_schedule
from kernel import clock

H = _dt.timedelta(hours=1)
D = _dt.timedelta(days=1)


def run_at(at: _dt.datetime):
    with clock.frozen(at):
        return analytics_collect.run(at)


def reads(fake, network_post_id: str) -> int:
    """Requests that asked X for this post, alone or among others."""
    alone = fake.received("GET", rf"/2/tweets/{network_post_id}")
    among = [r for r in fake.received("GET", r"/2/tweets") if network_post_id in (r.arg("ids") or "").split(",")]
    return len(alone) + len(among)


def test_the_schedule_ages():
    t0 = _dt.datetime(2031, 1, 1, tzinfo=_dt.timezone.utc)
    assert [label for label, _ in analytics_schedule.CHECKPOINTS] == ["1h", "6h", "24h", "3d", "7d", "30d"]
    assert analytics_schedule.first_due(t0) == (0, t0 + H)
    assert analytics_schedule.after_reading(t0, t0 + H) == (1, t0 + 6 * H)
    assert analytics_schedule.after_reading(t0, t0 + 5 * D) == (4, t0 + 7 * D)  # late: the next age still ahead
    assert analytics_schedule.after_reading(t0, t0 + 30 * D) is None  # the last age reached: finished
    assert analytics_schedule.reached(t0, t0 + 5 * D) == 3  # a reading at 5 days stands for "3d"


def test_a_post_is_read_at_each_age_then_never_again(epoch, uid, connect, seed_post, x_fake, x_tokens, x_post,
                                                     snapshots, tracker):
    tokens = x_tokens()
    account = connect(uid, "x", tokens)
    net_id = x_post(tokens, like_count=1, retweet_count=0, reply_count=0, impression_count=10)
    post = seed_post(uid, {account: ("x", net_id, epoch)})

    expected = [(epoch + 30 * _dt.timedelta(minutes=1), 0), (epoch + H, 1), (epoch + 2 * H, 1), (epoch + 6 * H, 2),
                (epoch + 23 * H, 2), (epoch + D, 3), (epoch + 3 * D, 4), (epoch + 6 * D, 4), (epoch + 7 * D, 5),
                (epoch + 29 * D, 5), (epoch + 30 * D, 6), (epoch + 31 * D, 6), (epoch + 90 * D, 6)]
    for at, count in expected:
        x_fake.tweets[net_id]["public_metrics"]["like_count"] += 1
        run_at(at)
        assert reads(x_fake, net_id) == count, at - epoch

    taken = snapshots(post)
    assert [s["checkpoint"] for s in taken] == ["1h", "6h", "24h", "3d", "7d", "30d"]
    assert [s["collectedAt"] - epoch for s in taken] == [H, 6 * H, D, 3 * D, 7 * D, 30 * D]
    assert [s["likes"] for s in taken] == [3, 5, 7, 8, 10, 12]  # a time series of what X said each time
    assert all(s["uid"] == uid and s["accountId"] == account and s["network"] == "x" for s in taken)
    state = tracker(post, account)
    assert (state["state"], state["endedReason"], state["nextDueAt"]) == ("done", "finished", None)
    assert state["latest"]["likes"] == 12 and state["latest"]["checkpoint"] == "30d"


def test_a_late_run_reads_once_and_moves_to_the_next_age(epoch, uid, connect, seed_post, x_fake, x_tokens, x_post,
                                                          snapshots, tracker):
    tokens = x_tokens()
    account = connect(uid, "x", tokens)
    net_id = x_post(tokens, like_count=4)
    post = seed_post(uid, {account: ("x", net_id, epoch)})

    report = run_at(epoch + 5 * D)  # the collector was away for five days

    assert (report.discovered, report.collected) == (1, 1)
    assert reads(x_fake, net_id) == 1
    assert [s["checkpoint"] for s in snapshots(post)] == ["3d"]
    assert tracker(post, account)["nextDueAt"] == epoch + 7 * D


def test_only_published_targets_within_the_schedule_are_found(epoch, uid, connect, seed_post, x_fake, x_tokens,
                                                               x_post, tracker):
    tokens = x_tokens()
    account = connect(uid, "x", tokens)
    failed = seed_post(uid, {account: ("x", x_post(tokens), epoch)}, status="failed", target_status="failed")
    old_id = x_post(tokens)
    old = seed_post(uid, {account: ("x", old_id, epoch - 31 * D)})
    fresh_id = x_post(tokens)
    fresh = seed_post(uid, {account: ("x", fresh_id, epoch)})

    run_at(epoch + 2 * H)

    assert tracker(failed, account) is None
    assert tracker(old, account) is None  # past its last age: nothing left to read
    assert tracker(fresh, account)["state"] == "active"
    assert reads(x_fake, old_id) == 0 and reads(x_fake, fresh_id) == 1


def test_accounts_that_need_reconnecting_are_skipped_until_they_are_back(epoch, uid, connect, seed_post, db,
                                                                         x_fake, x_tokens, x_post, snapshots):
    tokens = x_tokens()
    account = connect(uid, "x", tokens, status="reconnect_needed")
    net_id = x_post(tokens, like_count=2)
    post = seed_post(uid, {account: ("x", net_id, epoch)})

    report = run_at(epoch + 2 * H)
    assert report.skipped_reconnect == 1 and reads(x_fake, net_id) == 0 and snapshots(post) == []

    db.collection("accounts").document(account).update({"status": "active"})  # the person reconnected
    run_at(epoch + 3 * H)
    assert reads(x_fake, net_id) == 1 and [s["likes"] for s in snapshots(post)] == [2]


def test_a_disconnected_account_ends_its_targets(epoch, uid, connect, seed_post, db, x_fake, x_tokens, x_post,
                                                 tracker):
    tokens = x_tokens()
    account = connect(uid, "x", tokens)
    net_id = x_post(tokens)
    post = seed_post(uid, {account: ("x", net_id, epoch)})
    run_at(epoch)  # found, not yet due
    db.collection("accounts").document(account).delete()

    run_at(epoch + 2 * H)

    assert reads(x_fake, net_id) == 0
    assert (tracker(post, account)["state"], tracker(post, account)["endedReason"]) == ("done", "account_removed")


def test_a_post_deleted_at_the_network_is_not_asked_about_again(epoch, uid, connect, seed_post, x_fake, x_tokens,
                                                                x_post, tracker):
    tokens = x_tokens()
    account = connect(uid, "x", tokens)
    net_id = x_post(tokens)
    post = seed_post(uid, {account: ("x", net_id, epoch)})
    del x_fake.tweets[net_id]  # deleted on x.com

    run_at(epoch + H)
    run_at(epoch + 7 * D)

    assert reads(x_fake, net_id) == 1
    state = tracker(post, account)
    assert (state["state"], state["endedReason"]) == ("done", "unavailable")
    assert "no longer on X" in state["endedDetail"]


def test_a_network_that_limits_us_gets_no_more_calls_this_run(epoch, uid, connect, seed_post, x_fake, x_tokens,
                                                              x_post, snapshots):
    from fakes.base import Reply

    tokens_a, tokens_b = x_tokens(), x_tokens()
    first, second = connect(uid, "x", tokens_a, handle="a"), connect(uid, "x", tokens_b, handle="b")
    id_a, id_b = x_post(tokens_a, like_count=1), x_post(tokens_b, like_count=2)
    post_a = seed_post(uid, {first: ("x", id_a, epoch)})
    post_b = seed_post(uid, {second: ("x", id_b, epoch + _dt.timedelta(minutes=1))})
    x_fake.fail_next(Reply(429, {"title": "Too Many Requests", "detail": "Too Many Requests", "type":
                                 "about:blank", "status": 429}, headers={"x-rate-limit-reset": "0"}),
                     path="/2/tweets")

    report = run_at(epoch + 2 * H)

    assert (report.rate_limited, report.deferred, report.collected) == (1, 1, 0)
    assert len(x_fake.received("GET", r"/2/tweets(/\d+)?")) == 1  # the second account's was not tried
    run_at(epoch + 3 * H)  # the next run takes both
    assert [s["likes"] for s in snapshots(post_a)] == [1] and [s["likes"] for s in snapshots(post_b)] == [2]


def test_an_account_budget_spreads_requests_over_runs(epoch, uid, connect, seed_post, x_fake, x_tokens, x_post,
                                                      snapshots, monkeypatch):
    from platforms import x

    monkeypatch.setenv("ANALYTICS_CALLS_PER_ACCOUNT", "2")
    monkeypatch.setattr(x.XPlatform, "metrics_batch", 2)  # small requests, to see the budget count them
    tokens = x_tokens()
    account = connect(uid, "x", tokens)
    posts = [seed_post(uid, {account: ("x", x_post(tokens, like_count=n), epoch + n * _dt.timedelta(minutes=1))})
             for n in range(5)]

    report = run_at(epoch + 2 * H)
    assert (report.collected, report.deferred) == (4, 1)  # two requests of two posts each
    assert len(x_fake.received("GET", r"/2/tweets")) == 2
    assert [len(snapshots(p)) for p in posts] == [1, 1, 1, 1, 0]  # oldest due first

    report = run_at(epoch + 2 * H + _dt.timedelta(minutes=5))
    assert (report.collected, report.deferred) == (1, 0)
    assert [len(snapshots(p)) for p in posts] == [1, 1, 1, 1, 1]


def test_transient_failures_retry_then_give_the_checkpoint_up(epoch, uid, connect, seed_post, x_fake, x_tokens,
                                                              x_post, tracker, snapshots):
    from fakes.base import Reply

    tokens = x_tokens()
    account = connect(uid, "x", tokens)
    net_id = x_post(tokens, like_count=9)
    post = seed_post(uid, {account: ("x", net_id, epoch)})
    x_fake.fail_next(Reply(503, {"title": "Service Unavailable", "status": 503}), path="/2/tweets",
                     times=analytics_collect.MAX_FAILURES)

    for minute in range(analytics_collect.MAX_FAILURES):
        run_at(epoch + 2 * H + minute * _dt.timedelta(minutes=1))

    state = tracker(post, account)
    assert snapshots(post) == [] and state["state"] == "active"
    assert (state["step"], state["nextDueAt"]) == (1, epoch + 6 * H)  # "1h" given up, "6h" still comes
    run_at(epoch + 6 * H)
    assert [(s["checkpoint"], s["likes"]) for s in snapshots(post)] == [("6h", 9)]


def test_follower_counts_once_a_day_per_account(epoch, uid, connect, db, x_fake, x_tokens):
    tokens = x_tokens()
    active = connect(uid, "x", tokens, handle="active")
    waiting = connect(uid, "x", x_tokens(), handle="waiting", status="reconnect_needed")
    accounts = [db.collection("accounts").document(a).get() for a in (active, waiting)]

    def count(at):
        with clock.frozen(at):
            return analytics_collect.collect_followers(at, accounts=accounts)

    report = count(epoch)
    assert report.followers == 1 and len(x_fake.received("GET", r"/2/users/me")) == 1
    count(epoch + 6 * H)  # same UTC day: not asked again
    assert len(x_fake.received("GET", r"/2/users/me")) == 1
    x_fake.users["2244994945"]["public_metrics"]["followers_count"] = 1600
    count(epoch + D)
    assert len(x_fake.received("GET", r"/2/users/me")) == 2

    day0 = db.collection("metrics").document(f"account__{active}__{epoch.date().isoformat()}").get().to_dict()
    day1 = db.collection("metrics").document(f"account__{active}__{(epoch + D).date().isoformat()}").get().to_dict()
    assert (day0["followers"], day1["followers"]) == (1523, 1600)
    assert (day0["uid"], day0["kind"], day0["network"]) == (uid, "account", "x")
    assert not db.collection("metrics").document(f"account__{waiting}__{epoch.date().isoformat()}").get().exists


def test_a_follower_count_the_network_hides_stays_unknown(epoch, uid, connect, db, monkeypatch):
    from fakes.youtube import YouTubeFake
    from platforms.base import Tokens

    with YouTubeFake() as fake:
        monkeypatch.setenv("YOUTUBE_API_URL", fake.url)
        granted = fake.grant()
        tokens = Tokens(access_token=granted["access_token"], scopes=granted["scope"].split())
        fake.channel_of(tokens.access_token)["statistics"]["hiddenSubscriberCount"] = True
        account = connect(uid, "youtube", tokens)
        with clock.frozen(epoch):
            analytics_collect.collect_followers(epoch, accounts=[db.collection("accounts").document(account).get()])
    doc = db.collection("metrics").document(f"account__{account}__{epoch.date().isoformat()}").get().to_dict()
    assert doc["followers"] is None  # hidden: unknown, not 0


def test_a_closed_accounts_posts_and_followers_are_not_read(epoch, uid, connect, seed_post, db, x_fake, x_tokens,
                                                             x_post, snapshots, tracker):
    tokens = x_tokens()
    account = connect(uid, "x", tokens)
    net_id = x_post(tokens, like_count=3)
    post = seed_post(uid, {account: ("x", net_id, epoch)})
    db.collection("users").document(uid).update({"status": "disabled"})

    run_at(epoch + H)
    assert reads(x_fake, net_id) == 0 and snapshots(post) == []
    assert tracker(post, account)["endedReason"] == "owner_inactive"
    with clock.frozen(epoch + H):
        report = analytics_collect.collect_followers(epoch + H,
                                                     accounts=[db.collection("accounts").document(account).get()])
    assert report.followers == 0 and x_fake.received("GET", r"/2/users/me") == []
