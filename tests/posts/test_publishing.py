"""The publish task: each target exactly once, retries, refresh, unknown outcomes."""

import datetime as _dt
import threading
import time

import pytest
from posts_helpers import UTC, statuses

from fakes.base import Reply


def _when(days: float = 10) -> _dt.datetime:
    return (_dt.datetime.now(UTC) + _dt.timedelta(days=days)).replace(microsecond=0)


def _create(call, user, accounts, at, text="Hello from postr", **extra):
    status, body = call("create_post", {"text": text, "accountIds": accounts, "scheduledAt": at.isoformat(), **extra},
                        user.token)
    assert status == 200, body
    return body["result"]


def _post(db, post_id):
    return db.collection("posts").document(post_id).get().to_dict()


def test_task_publishes_each_target_once_and_records_ids(call, user, mastodon, connect, run_task, clock_at, db):
    a, b = connect(user, mastodon), connect(user, mastodon)
    at = _when()
    post = _create(call, user, [a, b], at)
    assert post["status"] == "scheduled" and post["targets"][a]["status"] == "scheduled"
    clock_at(at + _dt.timedelta(seconds=1))
    status, outcome = run_task(post["id"], 1)
    assert status == 200 and outcome["outcome"] == "published"
    sent = statuses(mastodon)
    assert len(sent) == 2 and {r.form["status"] for r in sent} == {"Hello from postr"}
    saved = _post(db, post["id"])
    assert saved["status"] == "published" and saved["publishedAt"] is not None
    ids = {saved["targets"][t]["postId"] for t in (a, b)}
    assert ids == set(mastodon.statuses) and all(saved["targets"][t]["url"] for t in (a, b))
    # A late duplicate delivery finds everything done: no second request.
    assert run_task(post["id"], 1)[1]["outcome"] == "published"
    assert len(statuses(mastodon)) == 2


def test_ten_concurrent_deliveries_publish_once(call, user, mastodon, connect, run_task, clock_at, db):
    accounts = [connect(user, mastodon) for _ in range(3)]
    at = _when()
    post = _create(call, user, accounts, at)
    clock_at(at + _dt.timedelta(seconds=1))
    results, start = [], threading.Barrier(10)

    def deliver():
        start.wait()
        results.append(run_task(post["id"], 1))

    threads = [threading.Thread(target=deliver) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Every delivery answers: done, or (a claim that lost to the others past its retries)
    # 503 with nothing claimed, which Cloud Tasks delivers again. Never a crash.
    assert len(results) == 10
    assert {code for code, _ in results} <= {200, 503} and 200 in {code for code, _ in results}
    assert all(body["retryable"] for code, body in results if code == 503)
    assert len(statuses(mastodon)) == 3  # one per target, whatever the number of deliveries
    saved = _post(db, post["id"])
    assert {saved["targets"][a]["status"] for a in accounts} == {"published"}


def test_edit_before_due_reschedules_and_old_task_does_nothing(call, user, mastodon, connect, run_task, clock_at, db,
                                                              queued):
    a = connect(user, mastodon)
    first, later = _when(), _when(11)
    post = _create(call, user, [a], first)
    assert f"post-{post['id']}-v1" in queued()
    status, body = call("update_post", {"postId": post["id"], "text": "Edited", "scheduledAt": later.isoformat()},
                        user.token)
    assert status == 200, body
    assert body["result"]["scheduledAt"].startswith(later.strftime("%Y-%m-%dT%H:%M:%S"))
    assert f"post-{post['id']}-v2" in queued()
    clock = clock_at(first + _dt.timedelta(seconds=1))
    assert run_task(post["id"], 1)[1]["outcome"] == "stale"  # the old task, where it could not be deleted
    assert statuses(mastodon) == []
    clock.set(later + _dt.timedelta(seconds=1))
    assert run_task(post["id"], 2)[1]["outcome"] == "published"
    assert [r.form["status"] for r in statuses(mastodon)] == ["Edited"]


def test_delete_before_due_cancels(call, user, mastodon, connect, run_task, clock_at, db):
    a = connect(user, mastodon)
    at = _when()
    post = _create(call, user, [a], at)
    status, body = call("delete_post", {"postId": post["id"]}, user.token)
    assert status == 200 and body["result"] == {"deleted": post["id"]}
    clock_at(at + _dt.timedelta(seconds=1))
    assert run_task(post["id"], 1)[1]["outcome"] == "gone"
    assert statuses(mastodon) == []
    assert call("get_post", {"postId": post["id"]}, user.token)[0] == 404


def test_transient_error_then_success(call, user, mastodon, connect, run_task, clock_at, db, quick_retries):
    a = connect(user, mastodon)
    at = _when()
    post = _create(call, user, [a], at)
    mastodon.fail_next(Reply(503, {"error": "Service Unavailable"}), path="/api/v1/statuses")
    clock_at(at + _dt.timedelta(seconds=1))
    assert run_task(post["id"], 1)[1]["outcome"] == "published"
    assert len(statuses(mastodon)) == 2 and len(mastodon.statuses) == 1
    assert _post(db, post["id"])["targets"][a]["status"] == "published"


def test_retry_after_is_honoured(call, user, mastodon, connect, run_task, clock_at, db, quick_retries):
    a = connect(user, mastodon)
    at = _when()
    post = _create(call, user, [a], at)
    mastodon.fail_next(Reply(429, {"error": "Too many requests"}, headers={"Retry-After": "1"}),
                       path="/api/v1/statuses")
    clock_at(at + _dt.timedelta(seconds=1))
    assert run_task(post["id"], 1)[1]["outcome"] == "published"
    first, second = statuses(mastodon)
    assert second.headers.get("idempotency-key") == first.headers.get("idempotency-key")


def test_persistent_transient_error_retries_later_through_the_sweeper(call, main, user, mastodon, connect, run_task,
                                                                      clock_at, db, quick_retries):
    from handlers import posts
    from posts import publisher, sweeper

    a = connect(user, mastodon)
    at = _when()
    post = _create(call, user, [a], at)
    mastodon.fail_next(Reply(502, {"error": "Bad gateway"}), path="/api/v1/statuses", times=publisher.QUICK_TRIES)
    clock = clock_at(at + _dt.timedelta(seconds=1))
    assert run_task(post["id"], 1)[1]["outcome"] == "publishing"
    saved = _post(db, post["id"])
    target = saved["targets"][a]
    assert target["status"] == "scheduled" and target["deferrals"] == 1 and target["attempts"] == 1
    assert "try again" in target["error"] and saved["dueAt"] == target["retryAt"]
    assert len(statuses(mastodon)) == publisher.QUICK_TRIES
    # Before the retry time nothing happens; after it the sweeper publishes it.
    assert run_task(post["id"], 1)[1]["outcome"] == "nothing_to_claim"
    clock.set(target["retryAt"] + sweeper.GRACE + _dt.timedelta(seconds=1))
    swept = posts.sweep_due_posts()
    assert swept["outcomes"].get(post["id"]) == "published"
    assert _post(db, post["id"])["targets"][a]["status"] == "published"
    assert call("get_post", {"postId": post["id"]}, user.token)[1]["result"]["targets"][a]["attempts"] == 2
    assert len(mastodon.statuses) == 1


def test_permanent_failure_fails_that_target_only_and_tells_the_owner(call, user, mastodon, mastodon2, connect,
                                                                      run_task, clock_at, db, outbox):
    good, bad = connect(user, mastodon), connect(user, mastodon2)
    at = _when()
    post = _create(call, user, [good, bad], at)
    mastodon2.fail_next(Reply(422, {"error": "Validation failed: Text character limit of 500 exceeded"}),
                        path="/api/v1/statuses")
    clock_at(at + _dt.timedelta(seconds=1))
    assert run_task(post["id"], 1)[1]["outcome"] == "failed"
    saved = _post(db, post["id"])
    assert saved["targets"][good]["status"] == "published"
    assert saved["targets"][bad]["status"] == "failed"
    assert "character limit" in saved["targets"][bad]["error"]
    assert len(statuses(mastodon2)) == 1  # a permanent error is not retried
    notices = [n.to_dict() for n in db.collection("notifications").where("uid", "==", user.uid).stream()]
    failed = [n for n in notices if n["kind"] == "publish_failed"]
    assert len(failed) == 1 and "character limit" in failed[0]["body"]
    assert any("did not go out" in m["subject"] for m in outbox.sent_to(user["email"]))


def test_expired_token_is_refreshed_once_then_published(call, user, x_fake, connect_x, run_task, clock_at, db):
    from accounts import store as account_store

    account, granted = connect_x(user)
    at = _when()
    post = _create(call, user, [account], at)
    x_fake.expire(granted["access_token"])
    clock_at(at + _dt.timedelta(seconds=1))
    assert run_task(post["id"], 1)[1]["outcome"] == "published"
    assert len(x_fake.received("POST", r"/2/tweets")) == 2  # one refused (401), one after the refresh
    assert len(x_fake.received("POST", r"/2/oauth2/token")) == 1
    assert account_store.load_tokens(account).access_token != granted["access_token"]
    target = _post(db, post["id"])["targets"][account]
    assert target["status"] == "published" and target["url"].endswith(target["postId"])


def test_refresh_refused_fails_target_and_marks_account(call, user, x_fake, connect_x, run_task, clock_at, db):
    account, granted = connect_x(user, refresh_token="revoked-refresh-token")
    at = _when()
    post = _create(call, user, [account], at)
    x_fake.expire(granted["access_token"])
    clock_at(at + _dt.timedelta(seconds=1))
    assert run_task(post["id"], 1)[1]["outcome"] == "failed"
    target = _post(db, post["id"])["targets"][account]
    assert target["status"] == "failed" and "reconnect" in target["error"].lower()
    assert db.collection("accounts").document(account).get().get("status") == "reconnect_needed"
    assert len(x_fake.received("POST", r"/2/tweets")) == 1


def test_timeout_after_send_is_unconfirmed_never_retried(call, user, x_fake, connect_x, run_task, clock_at, db,
                                                         monkeypatch, outbox):
    """X has no idempotency key: an answer lost after sending cannot be retried safely.
    (Mastodon's Idempotency-Key makes the same retry safe, so there it is retried.)"""
    import httpx

    from platforms import http

    client = httpx.Client(timeout=httpx.Timeout(5.0, read=0.3))
    monkeypatch.setattr(http, "client", lambda network: client)
    account, _ = connect_x(user)
    at = _when()
    post = _create(call, user, [account], at)
    x_fake.fail_next(Reply(201, {"data": {"id": "1", "text": "x"}}, delay=1.0), path="/2/tweets")
    clock_at(at + _dt.timedelta(seconds=1))
    assert run_task(post["id"], 1)[1]["outcome"] == "unconfirmed"
    target = _post(db, post["id"])["targets"][account]
    assert target["status"] == "unconfirmed" and "did not try again" in target["error"]
    assert len(x_fake.received("POST", r"/2/tweets")) == 1
    assert run_task(post["id"], 1)[1]["outcome"] == "unconfirmed"
    assert len(x_fake.received("POST", r"/2/tweets")) == 1
    assert any("Check your post" in m["subject"] for m in outbox.sent_to(user["email"]))
    client.close()


def test_paused_post_does_not_publish(call, user, mastodon, connect, run_task, clock_at, db):
    a = connect(user, mastodon)
    at = _when()
    post = _create(call, user, [a], at)
    db.collection("posts").document(post["id"]).update({"status": "paused", "pausedReason": "plan_limit"})
    clock_at(at + _dt.timedelta(seconds=1))
    assert run_task(post["id"], 1)[1]["outcome"] == "paused"
    assert statuses(mastodon) == []


def test_claim_whose_worker_vanished_becomes_unconfirmed(call, user, mastodon, connect, clock_at, db):
    from handlers import posts
    from posts import publisher, sweeper

    a = connect(user, mastodon)
    at = _when()
    post = _create(call, user, [a], at)
    ref = db.collection("posts").document(post["id"])
    ref.update({"status": "publishing", f"targets.{a}.status": "publishing", f"targets.{a}.claimedAt": at,
                "dueAt": at + publisher.LEASE})
    clock_at(at + publisher.LEASE + sweeper.GRACE + _dt.timedelta(seconds=5))
    assert posts.sweep_due_posts()["outcomes"][post["id"]] == "unconfirmed"
    assert ref.get().to_dict()["targets"][a]["status"] == "unconfirmed"
    assert statuses(mastodon) == []


def test_lost_task_is_caught_by_the_sweeper(call, user, mastodon, connect, clock_at, db):
    from handlers import posts
    from posts import sweeper

    a = connect(user, mastodon)
    at = _when()
    post = _create(call, user, [a], at)
    clock_at(at + sweeper.GRACE + _dt.timedelta(seconds=1))
    assert posts.sweep_due_posts()["outcomes"][post["id"]] == "published"
    assert len(statuses(mastodon)) == 1


def test_failure_email_can_be_turned_off_but_the_notice_stays(call, user, mastodon, connect, run_task, clock_at,
                                                               db, outbox):
    assert call("update_profile", {"publishEmails": False}, user.token)[0] == 200
    a = connect(user, mastodon)
    at = _when()
    post = _create(call, user, [a], at)
    mastodon.fail_next(Reply(422, {"error": "Validation failed"}), path="/api/v1/statuses")
    clock_at(at + _dt.timedelta(seconds=1))
    run_task(post["id"], 1)
    notices = [n.to_dict() for n in db.collection("notifications").where("uid", "==", user.uid).stream()]
    assert [n["kind"] for n in notices] == ["publish_failed"]
    assert notices[0]["email"]["status"] == "turned_off"
    assert not any("did not go out" in m["subject"] for m in outbox.sent_to(user["email"]))


@pytest.mark.parametrize("version", ["1", None])
def test_task_with_a_bad_body_is_refused(main, version):
    import flask

    app = flask.Flask("t")
    with app.test_request_context("/publish_post", method="POST", json={"postId": "p", "version": version}):
        response = main.publish_post(flask.request)
    assert response.status_code == 400


def test_trigger_queues_the_task_of_a_post_written_elsewhere(user, mastodon, connect, db, queued):
    """A post written straight through the Admin SDK (an admin tool, a migration) gets
    its publish task from the on_post_written trigger, which the Firestore emulator
    fires into the Functions emulator as production would; moving it queues the new
    schedule's task."""
    from posts import model as posts_model

    a = connect(user, mastodon)
    at = _when()
    ref = db.collection("posts").document()
    ref.set({"uid": user.uid, "text": "Written by an admin tool", "status": "scheduled", "scheduledAt": at,
             "scheduleVersion": 4, "targetAccountIds": [a], "targets": {a: {"network": "mastodon",
                                                                              "status": "scheduled"}},
             "dueAt": at, "sortKey": posts_model.sort_key(at, ref.id)})

    def queued_soon(task: str) -> bool:
        deadline = time.monotonic() + 60
        while task not in queued() and time.monotonic() < deadline:
            time.sleep(0.2)
        return task in queued()

    assert queued_soon(f"post-{ref.id}-v4")
    later = at + _dt.timedelta(minutes=5)
    ref.update({"scheduledAt": later, "dueAt": later, "scheduleVersion": 5,
                "sortKey": posts_model.sort_key(later, ref.id)})
    assert queued_soon(f"post-{ref.id}-v5")


def test_post_whose_targets_were_all_cancelled_ends_cancelled(call, user, mastodon, connect, run_task, clock_at, db):
    from accounts import disconnect

    a = connect(user, mastodon)
    at = _when()
    post = _create(call, user, [a], at)
    assert disconnect.cancel_pending_publishes(a, "The account was disconnected.") == 1
    clock_at(at + _dt.timedelta(seconds=1))
    run_task(post["id"], 1)
    saved = _post(db, post["id"])
    assert saved["status"] == "cancelled" and saved["dueAt"] is None
    assert statuses(mastodon) == []


def test_video_is_polled_until_the_network_has_processed_it(call, user, mastodon, connect, upload, run_task,
                                                            clock_at, db, monkeypatch):
    import platforms

    monkeypatch.setattr(platforms.get("mastodon"), "_sleep", lambda seconds: None)  # the pauses, not the polls
    db.collection("users").document(user.uid).update({"plan": "pro"})
    mastodon.processing_polls = 3
    a = connect(user, mastodon)
    video = upload(f"users/{user.uid}/media/clip.mp4", b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 4096, "video/mp4",
                   {"width": "1280", "height": "720", "durationSeconds": "12.5"})
    at = _when()
    post = _create(call, user, [a], at, media=[{"path": video}])
    clock_at(at + _dt.timedelta(seconds=1))
    assert run_task(post["id"], 1)[1]["outcome"] == "published"
    polls = mastodon.received("GET", r"/api/v1/media/[^/]+")
    assert len(polls) >= 3  # 206 while processing, then 200
    assert len(statuses(mastodon)) == 1 and statuses(mastodon)[0].form.get("media_ids[]")


def test_video_that_never_finishes_processing_stops_polling_within_the_bound(call, user, mastodon, connect, upload, run_task,
                                                                     clock_at, db, monkeypatch, quick_retries):
    import platforms
    from posts import publisher

    db.collection("users").document(user.uid).update({"plan": "pro"})
    mastodon.processing_polls = 10**6
    monkeypatch.setattr(platforms.get("mastodon"), "_sleep", lambda seconds: None)
    monkeypatch.setattr(platforms.get("mastodon"), "media_wait_s", 3.0)  # polls after 1 s and 2 s, then gives up
    a = connect(user, mastodon)
    video = upload(f"users/{user.uid}/media/slow.mp4", b"\x00" * 4096, "video/mp4",
                   {"width": "1280", "height": "720", "durationSeconds": "12.5"})
    at = _when()
    post = _create(call, user, [a], at, media=[{"path": video}])
    clock_at(at + _dt.timedelta(seconds=1))
    run_task(post["id"], 1)
    target = _post(db, post["id"])["targets"][a]
    # Bounded: two polls per try, then a later try is scheduled (a transient state at the network).
    assert target["status"] == "scheduled" and target["deferrals"] == 1 and "still processing" in target["error"]
    assert len(mastodon.received("GET", r"/api/v1/media/[^/]+")) == 2 * publisher.QUICK_TRIES
    assert statuses(mastodon) == []  # nothing posted without its video


def test_per_network_concurrency_cap(call, user, mastodon, connect, run_task, clock_at, db, monkeypatch):
    from posts import publisher

    in_flight, peak, lock = [0], [0], threading.Lock()
    original = mastodon.create_status

    def counting(req):
        with lock:
            in_flight[0] += 1
            peak[0] = max(peak[0], in_flight[0])
        try:
            import time

            time.sleep(0.1)
            return original(req)
        finally:
            with lock:
                in_flight[0] -= 1

    mastodon._routes = [(m, p, counting if h == original else h) for m, p, h in mastodon._routes]
    import platforms

    monkeypatch.setattr(platforms.get("mastodon"), "max_concurrent_publishes", 2)
    monkeypatch.setattr(publisher, "_slots", {})
    accounts = [connect(user, mastodon) for _ in range(5)]
    at = _when()
    post = _create(call, user, accounts, at)
    clock_at(at + _dt.timedelta(seconds=1))
    assert run_task(post["id"], 1)[1]["outcome"] == "published"
    assert peak[0] == 2 and len(statuses(mastodon)) == 5


def test_deleting_the_postr_account_stops_its_scheduled_posts(call, user, mastodon, connect, run_task, clock_at, db):
    a = connect(user, mastodon)
    at = _when()
    post = _create(call, user, [a], at)
    status, body = call("delete_account", {"confirm": True}, user.token)
    assert status == 200, body
    saved = _post(db, post["id"])
    assert saved["status"] == "cancelled" and saved["targets"][a]["status"] == "cancelled"
    # The emulator cannot delete a task; one that still fires publishes nothing.
    clock_at(at + _dt.timedelta(seconds=1))
    assert run_task(post["id"], 1)[1]["outcome"] == "cancelled"
    assert statuses(mastodon) == []


@pytest.mark.parametrize("target, defined", [("", True), ("on_post_written", True), ("create_post", False)])
def test_the_trigger_is_defined_for_discovery_and_its_own_service_only(target, defined):
    """The Firebase CLI discovers functions with no FUNCTION_TARGET; Cloud Run runs each
    function's service with FUNCTION_TARGET set, and only the trigger's needs Firestore's SDK."""
    import subprocess
    import sys
    from pathlib import Path

    functions = Path(__file__).resolve().parents[2] / "functions"
    probe = ("import sys, main; print(hasattr(main, 'on_post_written'), "
             "'google.cloud.firestore_v1' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", probe], cwd=functions, capture_output=True, text=True, check=True,
                         env={"PATH": "/usr/bin:/bin", "GCLOUD_PROJECT": "demo-postr", "FUNCTION_TARGET": target})
    assert out.stdout.split() == [str(defined), str(defined)]


def test_a_post_resumed_after_a_pause_gets_a_task_of_its_own_name(user, mastodon, connect, db, queued):
    """Cloud Tasks refuses a deleted task's name for a while: the resumed schedule's task
    must not reuse the name of the one deleted at the pause."""
    from posts import tasks as publish_tasks

    a = connect(user, mastodon)
    at = _when()
    base = {"uid": user.uid, "scheduledAt": at, "scheduleVersion": 3, "dueAt": at, "targetAccountIds": [a],
            "targets": {a: {"network": "mastodon", "status": "scheduled"}}}
    paused_at = _dt.datetime.now(UTC).replace(microsecond=0)
    paused = {**base, "status": "paused", "pausedReason": "plan_limit", "pausedAt": paused_at}
    resumed = {**base, "status": "scheduled", "pausedAt": None}
    tid = publish_tasks.sync("resumed-post", resumed, paused)
    assert tid == f"post-resumed-post-v3-p{int(paused_at.timestamp())}" and tid in queued()
    # Any other write keeps the plain name of the version.
    assert publish_tasks.sync("resumed-post", resumed, resumed) == "post-resumed-post-v3"


def test_the_running_task_is_not_deleted_when_its_post_starts_publishing(monkeypatch):
    """The trigger sees the claim (scheduled -> publishing): the task doing that work must stay."""
    from kernel import tasks
    from posts import tasks as publish_tasks

    deleted = []
    monkeypatch.setattr(tasks, "delete", lambda queue, task_id: deleted.append(task_id) or True)
    monkeypatch.setattr(tasks, "enqueue", lambda *a, **k: True)
    at = _when()
    scheduled = {"status": "scheduled", "scheduledAt": at, "scheduleVersion": 2}
    publish_tasks.sync("p1", {**scheduled, "status": "publishing"}, scheduled)
    publish_tasks.sync("p1", {**scheduled, "status": "published"}, {**scheduled, "status": "publishing"})
    assert deleted == []
    publish_tasks.sync("p1", {**scheduled, "status": "paused"}, scheduled)
    publish_tasks.sync("p1", {**scheduled, "scheduleVersion": 3}, scheduled)
    publish_tasks.sync("p1", None, scheduled)
    assert deleted == ["post-p1-v2"] * 3


def test_a_move_just_before_the_claim_leaves_the_old_task_nothing_to_publish(call, user, mastodon, connect, run_task,
                                                                              clock_at, monkeypatch):
    """The owner moves the post after its task has started and before it claims: the
    claim, which checks the schedule version itself, finds the post moved and
    publishes nothing at the old time; the move stands."""
    from kernel import db as core_db

    a = connect(user, mastodon)
    at, later = _when(), _when(12)
    post = _create(call, user, [a], at)
    clock_at(at + _dt.timedelta(seconds=1))
    real, moved = core_db.transaction, []

    def transaction(fn, **kwargs):
        if fn.__qualname__.startswith("_claim") and not moved:
            moved.append(call("update_post", {"postId": post["id"], "scheduledAt": later.isoformat()}, user.token))
        return real(fn, **kwargs)

    monkeypatch.setattr(core_db, "transaction", transaction)
    code, outcome = run_task(post["id"], 1)
    assert moved[0][0] == 200, moved
    assert (code, outcome) == (200, {"outcome": "stale"})
    assert statuses(mastodon) == []


def test_a_move_while_the_claim_holds_the_post_is_refused_or_wins_never_both(call, user, mastodon, connect, run_task,
                                                                             clock_at, monkeypatch):
    """The owner moves the post while the claim transaction has read it and not yet
    committed: Firestore lets one of them through. Either the claim wins (the post goes
    out, and the owner is told it could not be moved) or the move wins (nothing goes out
    at the old time); never a move the owner was told of and a publish at the old time."""
    from google.cloud.firestore_v1.document import DocumentReference

    a = connect(user, mastodon)
    at, later = _when(), _when(12)
    post = _create(call, user, [a], at)
    clock_at(at + _dt.timedelta(seconds=1))
    real_get, moved = DocumentReference.get, {}

    def get(self, *args, **kwargs):
        snap = real_get(self, *args, **kwargs)
        if kwargs.get("transaction") is not None and self.id == post["id"] and "thread" not in moved:
            def move():
                moved["answer"] = call("update_post", {"postId": post["id"], "scheduledAt": later.isoformat()},
                                       user.token)
            moved["thread"] = threading.Thread(target=move)
            moved["thread"].start()
            moved["thread"].join(1.0)  # the move waits for the claim's lock, or has gone through
        return snap

    monkeypatch.setattr(DocumentReference, "get", get)
    code, outcome = run_task(post["id"], 1)
    moved["thread"].join(60)
    status, answer = moved["answer"]
    if status == 200:
        assert outcome["outcome"] == "stale" and statuses(mastodon) == []
    else:
        assert answer["error"]["status"] in ("FAILED_PRECONDITION", "ABORTED"), answer
        assert outcome["outcome"] == "published" and len(statuses(mastodon)) == 1


@pytest.mark.parametrize("status", ["disabled", "deleted"])
def test_a_closed_accounts_posts_publish_neither_by_task_nor_by_sweeper(call, user, mastodon, connect, run_task,
                                                                        clock_at, db, status):
    from handlers import posts

    a = connect(user, mastodon)
    at = _when()
    post = _create(call, user, [a], at)
    db.collection("users").document(user.uid).update({"status": status})
    clock_at(at + _dt.timedelta(seconds=1))
    assert run_task(post["id"], 1)[1] == {"outcome": "account_closed"}
    saved = _post(db, post["id"])
    assert saved["status"] == "cancelled" and saved["dueAt"] is None
    assert saved["targets"][a]["status"] == "cancelled"
    clock_at(at + _dt.timedelta(minutes=5))
    assert post["id"] not in posts.sweep_due_posts()["outcomes"]
    assert statuses(mastodon) == []
