"""Batching: the collector reads an account's due posts in requests of the
network's multi-id read (X: GET /2/tweets?ids=, up to 100), each request one
call against the budgets, and stores the same snapshots the one-post read gives.
Requests are asserted on the X contract fake's record."""

import datetime as _dt

from analytics import collect as analytics_collect, store as analytics_store
from kernel import clock

H = _dt.timedelta(hours=1)
M = _dt.timedelta(minutes=1)


def run_at(at: _dt.datetime):
    with clock.frozen(at):
        return analytics_collect.run(at)


def lookups(fake) -> list:
    """The metric reads X received: the multi-id form and the one-post form."""
    return fake.received("GET", r"/2/tweets") + fake.received("GET", r"/2/tweets/\d+")


def test_one_request_reads_every_due_post_of_an_account(epoch, uid, connect, seed_post, x_fake, x_tokens, x_post,
                                                         snapshots):
    from platforms import x

    tokens = x_tokens()
    account = connect(uid, "x", tokens)
    counts = [dict(like_count=10 + n, retweet_count=n, reply_count=2 * n, quote_count=5, impression_count=100 * n)
              for n in range(5)]
    net_ids = [x_post(tokens, **c) for c in counts]
    posts = [seed_post(uid, {account: ("x", net_id, epoch + n * M)}) for n, net_id in enumerate(net_ids)]

    report = run_at(epoch + 2 * H)

    assert (report.collected, report.deferred, report.failed) == (5, 0, 0)
    [request] = lookups(x_fake)
    assert request.path == "/2/tweets"
    assert request.headers["authorization"] == f"Bearer {tokens.access_token}"
    assert sorted(request.arg("ids").split(",")) == sorted(net_ids)
    for n, (post, net_id) in enumerate(zip(posts, net_ids)):
        [snap] = snapshots(post)
        # What the one-post read would have stored, and the numbers by hand (quotes are not reposts).
        alone = analytics_store.normalised(x.PLATFORM.metrics(tokens, net_id))
        values = {k: snap[k] for k in ("likes", "reposts", "replies", "views")}
        assert values == alone == {"likes": 10 + n, "reposts": n, "replies": 2 * n, "views": 100 * n}
        assert (snap["checkpoint"], snap["accountId"], snap["network"], snap["uid"]) == ("1h", account, "x", uid)


def test_a_post_deleted_at_x_ends_alone_in_its_batch(epoch, uid, connect, seed_post, x_fake, x_tokens, x_post,
                                                    snapshots, tracker):
    tokens = x_tokens()
    account = connect(uid, "x", tokens)
    kept_id, gone_id = x_post(tokens, like_count=3), x_post(tokens, like_count=4)
    kept = seed_post(uid, {account: ("x", kept_id, epoch)})
    gone = seed_post(uid, {account: ("x", gone_id, epoch + M)})
    del x_fake.tweets[gone_id]  # deleted on x.com

    report = run_at(epoch + 2 * H)

    assert (report.collected, report.ended) == (1, 1)
    assert len(lookups(x_fake)) == 1
    assert [s["likes"] for s in snapshots(kept)] == [3] and tracker(kept, account)["state"] == "active"
    state = tracker(gone, account)
    assert (state["state"], state["endedReason"]) == ("done", "unavailable")
    assert "no longer on X" in state["endedDetail"] and snapshots(gone) == []

    run_at(epoch + 7 * H)  # the "6h" reading: only the post still there is asked about
    assert lookups(x_fake)[-1].arg("ids") == kept_id


def test_each_account_is_read_with_its_own_token(epoch, uid, connect, seed_post, x_fake, x_tokens, x_post,
                                                snapshots):
    tokens_a, tokens_b = x_tokens(), x_tokens()
    first, second = connect(uid, "x", tokens_a, handle="a"), connect(uid, "x", tokens_b, handle="b")
    ids_a = [x_post(tokens_a, like_count=1) for _ in range(2)]
    ids_b = [x_post(tokens_b, like_count=2) for _ in range(3)]
    for n, net_id in enumerate(ids_a):
        seed_post(uid, {first: ("x", net_id, epoch + n * M)})
    for n, net_id in enumerate(ids_b):
        seed_post(uid, {second: ("x", net_id, epoch + (5 + n) * M)})

    report = run_at(epoch + 2 * H)

    assert report.collected == 5
    asked = {r.headers["authorization"]: sorted(r.arg("ids").split(",")) for r in lookups(x_fake)}
    assert asked == {f"Bearer {tokens_a.access_token}": sorted(ids_a),
                     f"Bearer {tokens_b.access_token}": sorted(ids_b)}


def test_the_network_budget_counts_requests_not_posts(epoch, uid, connect, seed_post, x_fake, x_tokens, x_post,
                                                     snapshots, monkeypatch):
    monkeypatch.setenv("ANALYTICS_CALLS_PER_NETWORK", "1")
    tokens_a, tokens_b = x_tokens(), x_tokens()
    first, second = connect(uid, "x", tokens_a, handle="a"), connect(uid, "x", tokens_b, handle="b")
    posts_a = [seed_post(uid, {first: ("x", x_post(tokens_a), epoch + n * M)}) for n in range(3)]
    posts_b = [seed_post(uid, {second: ("x", x_post(tokens_b), epoch + (5 + n) * M)}) for n in range(3)]

    report = run_at(epoch + 2 * H)

    # The one call X may have this run carries all three posts of the older account.
    assert (report.collected, report.deferred) == (3, 3)
    assert len(lookups(x_fake)) == 1
    assert [len(snapshots(p)) for p in posts_a + posts_b] == [1, 1, 1, 0, 0, 0]

    report = run_at(epoch + 2 * H + 5 * M)
    assert (report.collected, report.deferred) == (3, 0)
    assert [len(snapshots(p)) for p in posts_a + posts_b] == [1] * 6
