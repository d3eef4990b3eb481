"""Disconnecting (revoke at the network, delete the tokens, cancel pending
publishes) and the scheduled refresh that marks and notifies once."""

import datetime as dt

from accounts import store as account_store
from kernel import clock


def connect_x(call, user, x_fake, callback) -> str:
    status, body = call("start_connection", {"network": "x"}, user.token)
    assert status == 200, body
    outcome = callback(x_fake.consent(body["result"]["authorizationUrl"]), user.token)[2]
    assert outcome.get("connected") == "x", outcome
    return outcome["account"]


def test_disconnect_revokes_deletes_tokens_and_cancels_pending_publishes(call, user, db, x_fake, callback, outbox):
    account_id = connect_x(call, user, x_fake, callback)
    access = account_store.load_tokens(account_id).access_token
    posts = db.collection("posts")
    posts.document(f"p1-{account_id}").set({"uid": user.uid, "status": "scheduled", "targetAccountIds": [account_id],
                                            "targets": {account_id: {"status": "scheduled"}}})
    posts.document(f"p2-{account_id}").set({"uid": user.uid, "status": "published", "targetAccountIds": [account_id],
                                            "targets": {account_id: {"status": "published", "postId": "1"}}})

    status, body = call("disconnect_account", {"accountId": account_id}, user.token)
    assert status == 200, body
    assert body["result"] == {"disconnected": account_id, "revokedAtNetwork": True, "cancelledPosts": 1}
    assert access not in x_fake.access_tokens  # revoked at X
    assert x_fake.received("POST", "/2/oauth2/revoke")
    assert not db.collection("accounts").document(account_id).get().exists
    assert not db.collection("accountTokens").document(account_id).get().exists
    pending = posts.document(f"p1-{account_id}").get().to_dict()["targets"][account_id]
    assert pending == {"status": "cancelled", "error": "The account was disconnected."}
    assert posts.document(f"p2-{account_id}").get().to_dict()["targets"][account_id]["status"] == "published"


def test_nobody_disconnects_someone_elses_account(call, new_user, db, x_fake, callback):
    alice, bob = new_user("Alice"), new_user("Bob")
    account_id = connect_x(call, alice, x_fake, callback)
    status, body = call("disconnect_account", {"accountId": account_id}, bob.token)
    assert status == 404 and body["error"]["status"] == "NOT_FOUND"
    assert db.collection("accountTokens").document(account_id).get().exists
    status, _ = call("disconnect_account", {"accountId": "x-nonexistent"}, alice.token)
    assert status == 404


def run_refresh_at(when):
    from handlers import accounts

    with clock.frozen(when):
        return accounts.refresh_expiring_tokens()


def test_refresh_renews_tokens_that_expire_soon(call, user, db, x_fake, callback):
    account_id = connect_x(call, user, x_fake, callback)
    before = account_store.load_tokens(account_id)
    expires = db.collection("accounts").document(account_id).get().get("tokenExpiresAt")

    # Two hours ahead of expiry: not yet due.
    run_refresh_at(expires - dt.timedelta(hours=2))
    assert account_store.load_tokens(account_id).access_token == before.access_token

    counts = run_refresh_at(expires - dt.timedelta(minutes=10))
    assert counts["refreshed"] >= 1
    after = account_store.load_tokens(account_id)
    assert after.access_token != before.access_token
    assert after.refresh_token  # X rotates refresh tokens; a new one is kept
    assert db.collection("accounts").document(account_id).get().get("tokenExpiresAt") > expires - dt.timedelta(minutes=10)


def test_a_revoked_refresh_marks_reconnect_needed_and_notifies_once(call, user, db, x_fake, callback, outbox):
    from google.cloud.firestore import FieldFilter

    account_id = connect_x(call, user, x_fake, callback)
    x_fake.refresh_tokens.clear()  # the person revoked postr at X
    expires = db.collection("accounts").document(account_id).get().get("tokenExpiresAt")
    for _ in range(3):
        run_refresh_at(expires - dt.timedelta(minutes=5))
    acc = db.collection("accounts").document(account_id).get().to_dict()
    assert acc["status"] == "reconnect_needed" and acc["statusReason"]
    notes = [d.to_dict() for d in db.collection("notifications")
             .where(filter=FieldFilter("uid", "==", user.uid)).stream()]
    assert [n["kind"] for n in notes] == ["account_reconnect_needed"]
    assert len(outbox.sent_to(user["email"])) == 1
    assert "Reconnect your X account" in outbox.sent_to(user["email"])[0]["subject"]


def test_connect_and_disconnect_are_security_events_without_secrets(call, user, x_fake, callback, capsys):
    import json

    account_id = connect_x(call, user, x_fake, callback)
    tokens = account_store.load_tokens(account_id)
    assert call("disconnect_account", {"accountId": account_id}, user.token)[0] == 200
    out = capsys.readouterr()
    lines = [json.loads(line) for line in (out.out + out.err).splitlines() if line.startswith("{")]
    events = [e["security"] for e in lines if "security" in e and e.get("uid") == user.uid]
    assert events == ["account_connect_started", "account_connected", "account_disconnected"]
    logged = out.out + out.err
    assert tokens.access_token not in logged and tokens.refresh_token not in logged


def test_a_disabled_accounts_tokens_are_not_refreshed(call, user, db, x_fake, callback):
    account_id = connect_x(call, user, x_fake, callback)
    before = account_store.load_tokens(account_id)
    expires = db.collection("accounts").document(account_id).get().get("tokenExpiresAt")
    token_calls = len(x_fake.received("POST", "/2/oauth2/token"))
    db.collection("users").document(user.uid).update({"status": "disabled"})
    run_refresh_at(expires - dt.timedelta(minutes=10))
    assert account_store.load_tokens(account_id).access_token == before.access_token
    assert len(x_fake.received("POST", "/2/oauth2/token")) == token_calls  # X was not asked
