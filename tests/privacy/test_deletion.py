"""Account deletion (policy 7.3): with a recent sign-in only; at once, tokens
revoked and deleted, pending publishes cancelled, the Stripe subscription
cancelled, the Auth user deleted, profile PII erased; content marked and kept
out of reach for the retention purge. Refusals change nothing."""

import datetime as dt

import pytest
from privacy_helpers import error_status, media_names, owned

from accounts import store as account_store
from fakes.base import Reply
from kernel import clock, notify
from kernel.collections import USER_DATA
from localstack import AuthError
from privacy import deletion as privacy_deletion


def snapshot(db, uid: str) -> dict:
    """Everything of the person in every declared collection, with write times."""
    state = {"users": db.collection("users").document(uid).get().to_dict()}
    for name, spec in USER_DATA.items():
        if spec.kind == "owned":
            state[name] = sorted((s.id, s.update_time) for s in owned(db, name, uid))
    return state


@pytest.fixture
def full_account(db, user, sign_in, connect_x, subscribed, upload, call):
    """A person with what deletion must deal with: a connected X account, a pending
    OAuth flow, a paid subscription, posts in every state, AI history, a notice, media."""
    account_id = connect_x(user)
    status, _ = call("start_connection", {"network": "x"}, user.token)  # an OAuth flow left pending
    assert status == 200
    subscription = subscribed(user)
    assert call("complete_onboarding", {"birthDate": "1990-04-02"}, user.token)[0] == 200
    posts = db.collection("posts")
    for state in ("scheduled", "draft", "published"):
        target = {"status": state, **({"postId": "1"} if state == "published" else {})}
        posts.document(f"{state}-{user.uid}").set({"uid": user.uid, "status": state, "targetAccountIds": [account_id],
                                                   "targets": {account_id: target}})
    db.collection("aiHistory").document(f"ai-{user.uid}").set({"uid": user.uid, "feature": "generate",
                                                               "input": {"brief": "hello"}, "createdAt": clock.now()})
    db.collection("metrics").document(f"m-{user.uid}").set({"uid": user.uid, "likes": 3})
    notify.notify(user.uid, kind="welcome", category="transactional", title="Welcome", body="Hello")
    upload(user.uid, "photo.png", b"\x89PNG" + b"0" * 100)
    token = sign_in(user)
    return {"account": account_id, "subscription": subscription, "token": token}


def test_deletion_leaves_no_token_no_auth_user_no_pii_and_nothing_pending(call, db, user, full_account, x_fake,
                                                                           stripe_fake, outbox):
    from firebase_admin import auth

    account_id = full_account["account"]
    access = account_store.load_tokens(account_id).access_token
    status, body = call("delete_account", {"confirm": True}, full_account["token"])
    assert status == 200, body
    result = body["result"]
    assert result["deleted"] is True and result["cancelledSubscriptions"] == 1
    assert result["disconnectedAccounts"] == 1 and result["cancelledPosts"] == 2

    # Tokens: revoked at X, and none left here.
    assert x_fake.received("POST", "/2/oauth2/revoke") and access not in x_fake.access_tokens
    for name, spec in USER_DATA.items():
        if spec.kind == "owned" and not spec.export:
            assert owned(db, name, user.uid) == [], f"{name} still holds token material"
    assert owned(db, "accounts", user.uid) == []

    # Stripe: cancelled now, not at the period's end; the customer (email, payment methods) deleted,
    # the invoices kept as the payment records they are, and our record keeps the id only.
    sub = stripe_fake.subscriptions[full_account["subscription"]]
    assert sub["status"] == "canceled" and sub["ended_at"] is not None
    assert stripe_fake.received("DELETE", f"/v1/subscriptions/{full_account['subscription']}")
    customer_id = sub["customer"]
    assert stripe_fake.received("DELETE", f"/v1/customers/{customer_id}")
    assert stripe_fake.customers[customer_id] == {"id": customer_id, "object": "customer", "deleted": True}
    assert any(i["customer"] == customer_id for i in stripe_fake.invoices.values())
    [record] = owned(db, "billingCustomers", user.uid)
    assert set(record.to_dict()) <= {"uid", "stripeCustomerId", "claimedAt", "createdAt", "customerDeletedAt"}

    # No Auth user; no way back in with the password.
    with pytest.raises(auth.UserNotFoundError):
        auth.get_user(user.uid)
    from localstack import auth_rest

    with pytest.raises(AuthError):
        auth_rest(9099, "accounts:signInWithPassword",
                  {"email": user["email"], "password": user["password"], "returnSecureToken": True})

    # The profile is a marker with no personal data.
    profile = db.collection("users").document(user.uid).get().to_dict()
    assert set(profile) == {"uid", "status", "deletedAt", "deletedReason", "plan", "deletionRequestId", "mediaObjects",
                            "lateSweepAt"}
    assert profile["deletedReason"] == "requested"
    assert profile["mediaObjects"] == 1
    assert profile["status"] == "deleted"
    assert user["email"] not in repr(profile) and "1990" not in repr(profile)

    # Nothing pending goes out; published history is kept as it was.
    posts = {p.id.split("-")[0]: p.to_dict() for p in owned(db, "posts", user.uid)}
    assert posts["scheduled"]["status"] == "cancelled" and posts["draft"]["status"] == "cancelled"
    assert posts["scheduled"]["targets"][account_id]["status"] == "cancelled"
    assert posts["published"]["status"] == "published"
    assert posts["published"]["targets"][account_id]["status"] == "published"

    # Content and analytics stay, marked and listed for the purge; media stays in Storage.
    deleted_at = profile["deletedAt"]
    listed = {path for snap in db.collection("users").document(user.uid).collection("purgeLists").stream()
              for path in snap.get("paths")}
    for name in ("posts", "aiHistory", "metrics", "notifications"):
        docs = owned(db, name, user.uid)
        assert docs and all(d.get("deletedAt") == deleted_at for d in docs), name
        assert {d.reference.path for d in docs} <= listed, name
    assert media_names(user.uid) == [f"users/{user.uid}/media/photo.png"]
    # Payment records are kept for regulations, unmarked.
    assert owned(db, "billingCustomers", user.uid) and all("deletedAt" not in d.to_dict()
                                                           for d in owned(db, "billingCustomers", user.uid))

    # The request is recorded and completed; a receipt went to the address we had.
    [request] = [d.to_dict() for d in owned(db, "privacyRequests", user.uid) if d.get("type") == "deletion"]
    assert request["status"] == "completed" and request["completedAt"] is not None
    assert (request["dueAt"] - request["requestedAt"]).days == 30
    assert [m["subject"] for m in outbox.sent_to(user["email"])][-1] == "Your postr account has been deleted"

    # The old token opens nothing any more.
    status, body = call("get_profile", {}, full_account["token"])
    assert status == 403 and error_status(body) == "PERMISSION_DENIED"
    status, body = call("delete_account", {"confirm": True}, full_account["token"])
    assert status == 403


def test_deletion_needs_a_recent_sign_in_and_changes_nothing_without_one(call, db, user, full_account, stripe_fake,
                                                                         x_fake):
    before = snapshot(db, user.uid)
    with clock.frozen(clock.now() + dt.timedelta(minutes=6)):
        status, body = call("delete_account", {"confirm": True}, full_account["token"])
    assert status == 400 and error_status(body) == "FAILED_PRECONDITION"
    assert body["error"]["details"] == {"reason": "recent_sign_in_required"}
    assert "sign in again" in body["error"]["message"]
    assert snapshot(db, user.uid) == before
    assert stripe_fake.subscriptions[full_account["subscription"]]["status"] == "active"
    assert not x_fake.received("POST", "/2/oauth2/revoke")


def test_deletion_needs_the_confirmation(call, db, user, sign_in):
    token = sign_in(user)
    for payload in ({}, {"confirm": False}, {"confirm": "yes"}, {"confirm": True, "uid": "someone-else"}):
        status, body = call("delete_account", payload, token)
        assert status == 400 and error_status(body) == "INVALID_ARGUMENT", payload
    assert db.collection("users").document(user.uid).get().get("status") == "active"


def test_stripe_unreachable_means_nothing_changed(call, db, user, full_account, stripe_fake):
    before = snapshot(db, user.uid)
    # The SDK retries twice itself: every attempt fails.
    stripe_fake.fail_next(Reply(500, {"error": {"type": "api_error", "message": "down"}}), path="/v1/subscriptions",
                          times=3)
    status, body = call("delete_account", {"confirm": True}, full_account["token"])
    assert status == 503 and error_status(body) == "UNAVAILABLE"
    assert snapshot(db, user.uid) == before


def test_a_deletion_stopped_halfway_is_finished_by_the_scheduled_job(call, db, user, full_account, stripe_fake,
                                                                     x_fake, monkeypatch):
    from firebase_admin import auth

    from handlers import privacy

    def crash(uid):
        raise RuntimeError("instance stopped")

    monkeypatch.setattr(privacy_deletion, "_delete_auth_user", crash)
    status, body = call("delete_account", {"confirm": True}, full_account["token"])
    assert status == 500 and error_status(body) == "INTERNAL"
    assert db.collection("users").document(user.uid).get().get("status") == "deleted"
    [request] = [d for d in owned(db, "privacyRequests", user.uid) if d.get("type") == "deletion"]
    assert request.get("status") == "in_progress"
    assert auth.get_user(user.uid)
    monkeypatch.undo()

    privacy.resume_account_deletions()  # too early: it may still be running in its callable
    assert db.collection("privacyRequests").document(request.id).get().get("status") == "in_progress"
    with clock.frozen(clock.now() + dt.timedelta(minutes=15)):
        privacy.resume_account_deletions()
    assert db.collection("privacyRequests").document(request.id).get().get("status") == "completed"
    with pytest.raises(auth.UserNotFoundError):
        auth.get_user(user.uid)
    assert all(d.get("deletedAt") for d in owned(db, "posts", user.uid))
