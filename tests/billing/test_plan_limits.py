"""billing.limits.apply_plan_limits: downgrading pauses what is over the plan's
limits with a reason and deletes nothing; upgrading resumes what it paused. Tested
on seeded documents of the declared shapes (accounts {uid, status, connectedAt},
posts {uid, status, scheduledAt})."""

import datetime as dt

from billing_helpers import owned

from billing.limits import apply_plan_limits
from kernel import clock

NOW = dt.datetime(2026, 11, 10, 12, 0, tzinfo=dt.timezone.utc)


def seed_accounts(db, uid, statuses):
    for i, status in enumerate(statuses):
        db.collection("accounts").document(f"{uid}-a{i}").set({
            "uid": uid, "status": status, "connectedAt": NOW - dt.timedelta(days=100 - i)})


def seed_posts(db, uid, month_day_status):
    for i, (month, day, status) in enumerate(month_day_status):
        db.collection("posts").document(f"{uid}-p{i}").set({
            "uid": uid, "status": status, "scheduledAt": dt.datetime(2026, month, day, 9, tzinfo=dt.timezone.utc)})


def by_id(db, collection, uid):
    from google.cloud.firestore import FieldFilter

    snaps = db.collection(collection).where(filter=FieldFilter("uid", "==", uid)).stream()
    return {s.id.rsplit("-", 1)[-1]: s.to_dict() for s in snaps}


def test_downgrade_pauses_the_newest_accounts_and_upgrade_resumes_them(db, new_user):
    user, other = new_user(), new_user()
    seed_accounts(db, user.uid, ["active", "active", "reconnect_needed", "active", "active"])
    seed_accounts(db, other.uid, ["active"] * 5)

    with clock.frozen(NOW):
        assert apply_plan_limits(user.uid, "free")["accounts"] == {"paused": 2, "resumed": 0}
    accounts = by_id(db, "accounts", user.uid)
    assert len(accounts) == 5
    assert [accounts[f"a{i}"]["status"] for i in range(5)] == [
        "active", "active", "reconnect_needed", "paused", "paused"]
    assert accounts["a4"]["pausedReason"] == "plan_limit" and accounts["a4"]["pausedFromStatus"] == "active"
    assert {a["status"] for a in owned(db, "accounts", other.uid)} == {"active"}  # someone else's: untouched

    with clock.frozen(NOW):
        assert apply_plan_limits(user.uid, "free")["accounts"] == {"paused": 0, "resumed": 0}  # idempotent
        assert apply_plan_limits(user.uid, "pro")["accounts"] == {"paused": 0, "resumed": 2}
    accounts = by_id(db, "accounts", user.uid)
    assert [accounts[f"a{i}"]["status"] for i in range(5)] == [
        "active", "active", "reconnect_needed", "active", "active"]
    assert accounts["a4"]["pausedReason"] is None


def test_accounts_paused_for_another_reason_are_left_alone(db, user):
    seed_accounts(db, user.uid, ["active"] * 4)
    db.collection("accounts").document(f"{user.uid}-a9").set(
        {"uid": user.uid, "status": "paused", "pausedReason": "user_request", "connectedAt": NOW})

    with clock.frozen(NOW):
        apply_plan_limits(user.uid, "free")
        apply_plan_limits(user.uid, "business")
    assert by_id(db, "accounts", user.uid)["a9"]["pausedReason"] == "user_request"
    assert by_id(db, "accounts", user.uid)["a9"]["status"] == "paused"


def test_downgrade_pauses_scheduled_posts_over_each_months_limit(db, user, monkeypatch):
    import kernel.plans as plans

    # A plan allowing two scheduled posts a month keeps the example small.
    monkeypatch.setitem(plans.PLANS, "tiny", plans.Plan("tiny", 1, 2, 0, (), video=False))
    seed_posts(db, user.uid, [
        (12, 1, "scheduled"), (12, 2, "scheduled"), (12, 3, "scheduled"),  # December: one too many
        (1, 5, "scheduled"),  # January 2026: already past, not touched
        (12, 4, "draft"), (12, 5, "published"),  # not scheduled: not counted
        (11, 20, "scheduled"),  # November: within the limit
    ])

    with clock.frozen(NOW):
        assert apply_plan_limits(user.uid, "tiny")["posts"] == {"paused": 1, "resumed": 0}
    posts = by_id(db, "posts", user.uid)
    assert len(posts) == 7
    assert [posts[f"p{i}"]["status"] for i in range(7)] == [
        "scheduled", "scheduled", "paused", "scheduled", "draft", "published", "scheduled"]
    assert posts["p2"]["pausedReason"] == "plan_limit" and posts["p2"]["pausedFromStatus"] == "scheduled"

    with clock.frozen(NOW):
        assert apply_plan_limits(user.uid, "pro")["posts"] == {"paused": 0, "resumed": 1}
    assert by_id(db, "posts", user.uid)["p2"]["status"] == "scheduled"
