"""End to end on the local stack: the web app's call through the Functions
emulator, the Cloud Tasks emulator firing the named task at its time into the
Functions emulator's publish_post, and the network fake receiving the post."""

import datetime as _dt
import time

from posts_helpers import UTC, statuses


def _wait_for(check, timeout: float = 45.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    return check()


def test_post_due_in_two_seconds_goes_out_once_per_target(call_http, user, mastodon, mastodon2, connect, db):
    a, b = connect(user, mastodon), connect(user, mastodon2)
    # Warm the callable's worker, so the two seconds are not spent starting Python.
    assert call_http("create_post", {}, user.token)[0] == 400
    at = _dt.datetime.now(UTC) + _dt.timedelta(seconds=2)
    status, body = call_http("create_post", {"text": "Out in two seconds", "accountIds": [a, b],
                                             "scheduledAt": at.isoformat()}, user.token)
    assert status == 200, body
    post_id = body["result"]["id"]
    ref = db.collection("posts").document(post_id)
    final = _wait_for(lambda: (ref.get().to_dict() or {}).get("status") in ("published", "failed", "unconfirmed")
                      and ref.get().to_dict())
    assert final and final["status"] == "published", final
    assert [r.form["status"] for r in statuses(mastodon)] == ["Out in two seconds"]
    assert [r.form["status"] for r in statuses(mastodon2)] == ["Out in two seconds"]
    # Nothing reached either network before the scheduled time.
    assert all(t["publishedAt"] >= at for t in final["targets"].values())
    time.sleep(1.0)  # a duplicate delivery, if any, would have arrived by now
    assert len(statuses(mastodon)) == 1 and len(statuses(mastodon2)) == 1


def test_publish_now_goes_out_through_the_queue(call_http, user, mastodon, connect, db):
    a = connect(user, mastodon)
    status, body = call_http("create_post", {"text": "A draft", "accountIds": [a]}, user.token)
    assert status == 200 and body["result"]["status"] == "draft", body
    post_id = body["result"]["id"]
    status, body = call_http("publish_now", {"postId": post_id}, user.token)
    assert status == 200 and body["result"]["status"] == "scheduled", body
    ref = db.collection("posts").document(post_id)
    final = _wait_for(lambda: (ref.get().to_dict() or {}).get("status") == "published" and ref.get().to_dict())
    assert final, ref.get().to_dict()
    assert [r.form["status"] for r in statuses(mastodon)] == ["A draft"]


def test_publish_now_pressed_again_and_again_publishes_each_target_once(call_http, user, mastodon, mastodon2,
                                                                         connect, db):
    """Six presses at once, and more while the first is on its way: each press that is
    taken makes a newer schedule version with its own task, and still each target goes
    out once (a published or publishing target is never sent again)."""
    import threading

    a, b = connect(user, mastodon), connect(user, mastodon2)
    status, body = call_http("create_post", {"text": "Pressed many times", "accountIds": [a, b]}, user.token)
    assert status == 200, body
    post_id = body["result"]["id"]
    answers = []

    def press():
        answers.append(call_http("publish_now", {"postId": post_id}, user.token))

    presses = [threading.Thread(target=press) for _ in range(6)]
    for t in presses:
        t.start()
    for t in presses:
        t.join()
    for _ in range(3):  # and again while the first is on its way
        time.sleep(0.3)
        press()
    assert all(s == 200 or body["error"]["status"] in ("FAILED_PRECONDITION", "ABORTED") for s, body in answers), \
        answers
    assert any(s == 200 for s, _ in answers)
    ref = db.collection("posts").document(post_id)
    final = _wait_for(lambda: (ref.get().to_dict() or {}).get("status") == "published" and ref.get().to_dict())
    assert final, ref.get().to_dict()
    time.sleep(3.0)  # the tasks of every version taken have had time to arrive
    assert len(statuses(mastodon)) == 1 and len(statuses(mastodon2)) == 1
