"""The retention purge (policy 6) with an injected clock: exactly what belongs
to accounts deleted more than two years ago goes (content, media, analytics,
AI history), nothing else does (payment records, the request register,
accounts inside the window, live accounts); a run stopped halfway leaves a
state the next run finishes; a second run is a no-op; dry runs delete nothing."""

import datetime as dt
import uuid

import pytest
from privacy_helpers import media_names, owned

from kernel import clock
from kernel.collections import USER_DATA
from privacy import retention

NOW = dt.datetime(2031, 6, 15, 12, 0, tzinfo=dt.timezone.utc)
CONTENT = ("posts", "metrics", "aiHistory", "notifications", "aiUsage", "supportMessages")


def seed(db, upload, *, deleted_at: dt.datetime | None, per_collection: int = 2, extra_history: int = 0) -> str:
    """A person with content in several collections, payment records, a request on the
    register and media. deleted_at None: a live account (no marks anywhere)."""
    uid = f"ret-{uuid.uuid4().hex[:16]}"
    mark = {"deletedAt": deleted_at} if deleted_at else {}
    batch = db.batch()
    batch.set(db.collection("users").document(uid),
              {"uid": uid, "status": "deleted", "deletedAt": deleted_at} if deleted_at else
              {"uid": uid, "status": "active", "email": f"{uid}@example.com"})
    for name in CONTENT:
        for i in range(per_collection):
            batch.set(db.collection(name).document(f"{uid}-{i}"), {"uid": uid, "n": i, **mark})
    for name in ("billingCustomers", "subscriptions"):
        batch.set(db.collection(name).document(uid), {"uid": uid, "stripeCustomerId": f"cus_{uid[-8:]}"})
    batch.set(db.collection("billingEvents").document(f"evt_{uid}"), {"uid": uid, "type": "invoice.paid"})
    batch.set(db.collection("privacyRequests").document(f"req-{uid}"),
              {"uid": uid, "type": "deletion", "status": "completed"})
    batch.commit()
    for start in range(0, extra_history, 500):
        batch = db.batch()
        for i in range(start, min(start + 500, extra_history)):
            batch.set(db.collection("aiHistory").document(f"{uid}-h{i}"), {"uid": uid, "n": i, **mark})
        batch.commit()
    upload(uid, "a.png", b"png")
    upload(uid, "dir/b.mp4", b"mp4", "video/mp4")
    return uid


def remaining(db, uid: str) -> dict:
    found = {name: len(owned(db, name, uid)) for name, spec in USER_DATA.items() if spec.kind == "owned"}
    found = {k: v for k, v in found.items() if v}
    if db.collection("users").document(uid).get().exists:
        found["users"] = 1
    if media_names(uid):
        found["media"] = len(media_names(uid))
    return found


PAYMENT_AND_LEGAL = {"billingCustomers": 1, "subscriptions": 1, "billingEvents": 1, "privacyRequests": 1}


def test_purge_deletes_exactly_what_is_past_two_years(db, upload):
    expired = seed(db, upload, deleted_at=NOW - dt.timedelta(days=2 * 365 + 2))
    inside = seed(db, upload, deleted_at=NOW - dt.timedelta(days=2 * 365 - 2))
    live = seed(db, upload, deleted_at=None)
    # Written after the deletion without a mark (a late task): found by uid all the same.
    db.collection("metrics").document(f"{expired}-late").set({"uid": expired, "likes": 1})
    before_inside, before_live = remaining(db, inside), remaining(db, live)

    with clock.frozen(NOW):
        report = retention.purge(dry_run=False)

    assert report["complete"] is True
    assert remaining(db, expired) == PAYMENT_AND_LEGAL  # payment records and the register stay
    assert remaining(db, inside) == before_inside
    assert remaining(db, live) == before_live
    assert report["removed"]["metrics"] >= 3 and report["media"] >= 2 and report["profiles"] >= 1
    assert report["cutoff"] == NOW.replace(year=2029)


def test_two_years_are_calendar_years():
    assert retention.cutoff(NOW, 2) == dt.datetime(2029, 6, 15, 12, 0, tzinfo=dt.timezone.utc)
    leap = dt.datetime(2028, 2, 29, tzinfo=dt.timezone.utc)
    assert retention.cutoff(leap, 2) == dt.datetime(2026, 2, 28, tzinfo=dt.timezone.utc)


def test_a_purge_stopped_halfway_is_consistent_and_the_next_run_finishes(db, upload):
    expired = seed(db, upload, deleted_at=NOW - dt.timedelta(days=800), extra_history=1100)
    other = seed(db, upload, deleted_at=NOW - dt.timedelta(days=900))

    class Stop(Exception):
        pass

    def stop_inside_ai_history(report):
        if report.removed.get("aiHistory"):
            raise Stop()  # the instance dies right after a commit

    with clock.frozen(NOW), pytest.raises(Stop):
        retention.purge(dry_run=False, after_batch=stop_inside_ai_history)
    # Stopped mid-way: some content gone, every marker still there, so nothing is orphaned.
    left = remaining(db, expired)
    assert left["users"] == 1 and left["media"] == 2 and 0 < left.get("aiHistory", 0) < 1100 + 2
    assert remaining(db, other)["users"] == 1

    with clock.frozen(NOW):
        bounded = retention.purge(dry_run=False, max_deletes=300)
    assert bounded["complete"] is False and bounded["total"] == 300
    assert remaining(db, expired)["users"] == 1

    with clock.frozen(NOW):
        final = retention.purge(dry_run=False)
    assert final["complete"] is True
    assert remaining(db, expired) == PAYMENT_AND_LEGAL
    assert remaining(db, other) == PAYMENT_AND_LEGAL

    with clock.frozen(NOW):
        again = retention.purge(dry_run=False)
    assert again["complete"] is True and again["total"] == 0 and again["batches"] == 0


def test_a_dry_run_counts_and_deletes_nothing(db, upload):
    expired = seed(db, upload, deleted_at=NOW - dt.timedelta(days=1000), per_collection=3)
    before = remaining(db, expired)
    with clock.frozen(NOW):
        report = retention.purge(dry_run=True)
    assert report["dryRun"] is True and report["batches"] == 0
    assert report["removed"]["posts"] >= 3 and report["media"] >= 2 and report["profiles"] >= 1
    assert remaining(db, expired) == before


def test_the_scheduled_entry_point_reads_its_params(db, upload, monkeypatch):
    from handlers import privacy

    expired = seed(db, upload, deleted_at=NOW - dt.timedelta(days=1000))
    monkeypatch.setenv("PURGE_DRY_RUN", "true")
    with clock.frozen(NOW):
        assert privacy.purge_expired_accounts()["dryRun"] is True
    assert remaining(db, expired)["users"] == 1
    monkeypatch.setenv("PURGE_DRY_RUN", "false")
    with clock.frozen(NOW):
        report = privacy.purge_expired_accounts()
    assert report["dryRun"] is False and report["complete"] is True
    assert remaining(db, expired) == PAYMENT_AND_LEGAL


def test_a_deleted_account_is_purged_after_two_years_end_to_end(call, db, user, sign_in, upload):
    """Deletion marks; the purge two years and a day later finds and removes it all."""
    from kernel import notify

    notify.notify(user.uid, kind="x", category="transactional", title="T", body="B")
    db.collection("posts").document(f"p-{user.uid}").set({"uid": user.uid, "status": "published", "targets": {}})
    upload(user.uid, "photo.png", b"png")
    status, body = call("delete_account", {"confirm": True}, sign_in(user))
    assert status == 200, body
    stored = db.collection("users").document(user.uid).get().get("deletedAt")
    deleted_at = dt.datetime.fromtimestamp(stored.timestamp(), dt.timezone.utc)

    with clock.frozen(deleted_at + dt.timedelta(days=365)):
        retention.purge(dry_run=False)
    assert remaining(db, user.uid)["posts"] == 1 and remaining(db, user.uid)["media"] == 1

    with clock.frozen(deleted_at.replace(year=deleted_at.year + 2) + dt.timedelta(days=1)):
        retention.purge(dry_run=False)
    assert set(remaining(db, user.uid)) <= {"privacyRequests"}


def test_what_lands_after_a_deletion_is_listed_a_day_later_and_purged_with_the_rest(call, db, user, sign_in):
    """Work in flight at a deletion (here a notice) writes after it; the late listing a
    day later (the hourly deletion job) lists it, and the purge erases it with the rest
    from the lists alone."""
    from handlers import privacy
    from privacy import deletion as privacy_deletion

    db.collection("posts").document(f"p-{user.uid}").set({"uid": user.uid, "status": "published", "targets": {}})
    status, body = call("delete_account", {"confirm": True}, sign_in(user))
    assert status == 200, body
    marker = db.collection("users").document(user.uid)
    deleted_at = dt.datetime.fromtimestamp(marker.get().get("deletedAt").timestamp(), dt.timezone.utc)
    late = db.collection("notifications").document(f"late-{user.uid}")
    late.set({"uid": user.uid, "title": "written by a task that was already running"})

    def listed() -> set[str]:
        return {p for snap in marker.collection("purgeLists").stream() for p in snap.get("paths")}

    assert late.path not in listed()
    with clock.frozen(deleted_at + dt.timedelta(hours=23)):
        assert privacy_deletion.sweep_late_writes() == 0  # not yet: work in flight may still land
    with clock.frozen(deleted_at + dt.timedelta(days=1, minutes=1)):
        privacy.resume_account_deletions()
    assert late.path in listed() and f"posts/p-{user.uid}" in listed()
    saved = marker.get().to_dict()
    assert "lateSweepAt" not in saved and saved["lateSweptAt"] is not None
    with clock.frozen(deleted_at + dt.timedelta(days=2)):
        assert privacy_deletion.sweep_late_writes() == 0  # once is enough

    with clock.frozen(deleted_at.replace(year=deleted_at.year + 2) + dt.timedelta(days=1)):
        report = retention.purge(dry_run=False)
    assert report["complete"] and report["removed"]["notifications"] >= 1
    assert set(remaining(db, user.uid)) <= {"privacyRequests"}
    # The content lists went with the content; the register's entry stays its own, longer time.
    assert {snap.get("retention") for snap in marker.collection("purgeLists").stream()} == {"legal"}


def test_a_bound_inside_a_purge_list_takes_a_prefix_and_the_next_run_the_rest(call, db, user, sign_in):
    from handlers import privacy

    batch = db.batch()
    for i in range(40):
        batch.set(db.collection("aiHistory").document(f"{user.uid}-b{i}"), {"uid": user.uid, "n": i})
    batch.commit()
    status, body = call("delete_account", {"confirm": True}, sign_in(user))
    assert status == 200, body
    marker = db.collection("users").document(user.uid)
    deleted_at = dt.datetime.fromtimestamp(marker.get().get("deletedAt").timestamp(), dt.timezone.utc)
    with clock.frozen(deleted_at + dt.timedelta(days=1, minutes=1)):
        privacy.resume_account_deletions()
    [one_list] = [snap for snap in marker.collection("purgeLists").stream() if snap.get("retention") == "content"]
    paths = one_list.get("paths")
    assert len(paths) >= 40

    later = deleted_at.replace(year=deleted_at.year + 2) + dt.timedelta(days=1)
    with clock.frozen(later):
        bounded = retention.purge(dry_run=False, max_deletes=15)
    assert bounded["complete"] is False and bounded["total"] == 15
    left = one_list.reference.get().get("paths")
    assert left == paths[15:]  # the prefix went, the rest is still listed, in order
    assert all(not db.document(p).get().exists for p in paths[:15])
    assert all(db.document(p).get().exists for p in paths[15:])

    with clock.frozen(later):
        final = retention.purge(dry_run=False)
    assert final["complete"] is True
    assert set(remaining(db, user.uid)) <= {"privacyRequests"}


def test_payment_records_and_the_register_are_kept_their_own_times_then_purged(call, db, user, sign_in):
    """Policy 6: content goes two years after the deletion, the privacy-request register
    six (LEGAL_RETENTION_YEARS), payment records ten (PAYMENT_RETENTION_YEARS), and a live
    account's register entries six years after they were completed."""
    db.collection("billingEvents").document(f"evt_{user.uid}").set({"uid": user.uid, "type": "invoice.paid"})
    db.collection("subscriptions").document(user.uid).set({"uid": user.uid, "status": "canceled"})
    db.collection("posts").document(f"p-{user.uid}").set({"uid": user.uid, "status": "published", "targets": {}})
    status, body = call("delete_account", {"confirm": True}, sign_in(user))
    assert status == 200, body
    deleted_at = dt.datetime.fromtimestamp(
        db.collection("users").document(user.uid).get().get("deletedAt").timestamp(), dt.timezone.utc)

    def left() -> set[str]:
        return set(remaining(db, user.uid)) - {"media"}

    def purge_after(years: int, days: int = 1) -> None:
        with clock.frozen(deleted_at.replace(year=deleted_at.year + years) + dt.timedelta(days=days)):
            assert retention.purge(dry_run=False)["complete"] is True

    purge_after(2, days=-1)
    assert {"posts", "privacyRequests", "billingEvents", "subscriptions"} <= left()
    purge_after(2)
    assert left() == {"privacyRequests", "billingEvents", "subscriptions"}
    purge_after(6, days=-1)
    assert left() == {"privacyRequests", "billingEvents", "subscriptions"}
    purge_after(6)
    assert left() == {"billingEvents", "subscriptions"}
    purge_after(10, days=-1)
    assert left() == {"billingEvents", "subscriptions"}
    purge_after(10)
    assert left() == set()


def test_a_live_accounts_register_entries_go_six_years_after_completion(db, user):
    from privacy import requests as privacy_requests

    with clock.frozen(dt.datetime(2024, 3, 1, tzinfo=dt.timezone.utc)):
        old = privacy_requests.record_correction(user.uid, ["timezone"])
    with clock.frozen(dt.datetime(2029, 3, 1, tzinfo=dt.timezone.utc)):
        recent = privacy_requests.record_correction(user.uid, ["locale"])
    with clock.frozen(dt.datetime(2030, 3, 2, tzinfo=dt.timezone.utc)):
        retention.purge(dry_run=False)
    assert not db.collection("privacyRequests").document(old).get().exists
    assert db.collection("privacyRequests").document(recent).get().exists
    assert db.collection("users").document(user.uid).get().get("status") == "active"
