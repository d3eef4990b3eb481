"""Connecting an account through OAuth (X here; the flow is the same for every
OAuth network): state bound to the user, single-use, short-lived; tokens sealed;
reconnecting updates the same account; the callback never carries a token."""

import datetime as dt

import pytest

from kernel import clock


def start(call, user, network="x", **extra):
    status, body = call("start_connection", {"network": network, **extra}, user.token)
    assert status == 200, body
    return body["result"]["authorizationUrl"]


def accounts_of(db, uid):
    from google.cloud.firestore import FieldFilter

    return list(db.collection("accounts").where(filter=FieldFilter("uid", "==", uid)).stream())


def test_full_connect_flow_stores_the_account_and_sealed_tokens(call, user, db, x_fake, callback):
    url = start(call, user)
    assert "code_challenge=" in url and "code_challenge_method=S256" in url
    status, location, outcome = callback(x_fake.consent(url), user.token)
    assert status == 302
    assert location.startswith("http://127.0.0.1:3000/accounts?")
    assert outcome["connected"] == "x"
    account_id = outcome["account"]

    acc = db.collection("accounts").document(account_id).get().to_dict()
    assert acc["uid"] == user.uid and acc["network"] == "x"
    assert acc["accountId"] == "2244994945" and acc["handle"] == "postr_tester"
    assert acc["followersCount"] == 1523 and acc["status"] == "active"
    assert "tweet.write" in acc["scopes"] and acc["tokenExpiresAt"] is not None

    # Tokens are ciphertext at rest, and nowhere in what the browser or the owner sees.
    issued = list(x_fake.access_tokens) + list(x_fake.refresh_tokens)
    raw = db.collection("accountTokens").document(account_id).get().to_dict()
    assert raw["access"].startswith("v1.") and raw["refresh"].startswith("v1.")
    stored = repr(raw) + repr(acc) + location
    assert issued and not any(token in stored for token in issued)

    status, body = call("list_accounts", {}, user.token)
    assert status == 200
    [listed] = body["result"]["accounts"]
    assert listed["id"] == account_id and listed["handle"] == "postr_tester"
    assert not {"access", "refresh", "accessToken", "refreshToken", "extra"} & set(listed)
    assert not any(token in repr(body) for token in issued)


def test_a_state_works_once(call, user, x_fake, callback):
    redirect = x_fake.consent(start(call, user))
    assert callback(redirect, user.token)[2]["connected"] == "x"
    status, _, outcome = callback(redirect, user.token)
    assert status == 302 and outcome == {"error": "invalid_state"}


def test_unknown_or_missing_state_is_refused(callback, user, db):
    assert callback("state=forged-state&code=abc", user.token)[2] == {"error": "invalid_state"}
    assert callback("code=abc", user.token)[2] == {"error": "invalid_state"}
    assert accounts_of(db, user.uid) == []


def test_an_expired_state_is_refused(call, user, db, x_fake, callback):
    redirect = x_fake.consent(start(call, user))
    with clock.frozen(dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=11)):
        outcome = callback(redirect, user.token)[2]
    assert outcome == {"error": "expired_state", "network": "x"}
    assert accounts_of(db, user.uid) == []


def test_another_users_state_is_refused(call, new_user, db, x_fake, callback):
    alice, mallory = new_user("Alice"), new_user("Mallory")
    # Mallory starts a flow and gets Alice's browser to finish it.
    redirect = x_fake.consent(start(call, mallory))
    assert callback(redirect, alice.token)[2] == {"error": "wrong_user", "network": "x"}
    assert accounts_of(db, alice.uid) == [] and accounts_of(db, mallory.uid) == []


def test_a_callback_without_a_signed_in_browser_is_refused(call, user, db, x_fake, callback):
    redirect = x_fake.consent(start(call, user))
    assert callback(redirect)[2] == {"error": "not_signed_in", "network": "x"}
    assert callback(redirect.replace("state=", "state=x"), "not-a-token")[2] == {"error": "invalid_state"}
    assert accounts_of(db, user.uid) == []


def test_the_network_saying_no_is_reported(call, user, db, callback):
    url = start(call, user)
    state = dict(p.split("=", 1) for p in url.split("?", 1)[1].split("&"))["state"]
    outcome = callback(f"state={state}&error=access_denied&error_description=denied", user.token)[2]
    assert outcome == {"error": "denied", "network": "x"}
    assert accounts_of(db, user.uid) == []


def test_a_missing_code_is_refused(call, user, db, callback):
    url = start(call, user)
    state = dict(p.split("=", 1) for p in url.split("?", 1)[1].split("&"))["state"]
    assert callback(f"state={state}", user.token)[2] == {"error": "missing_code", "network": "x"}
    assert accounts_of(db, user.uid) == []


def test_a_failed_code_exchange_stores_nothing(call, user, db, x_fake, callback):
    redirect = x_fake.consent(start(call, user))
    x_fake.codes.clear()  # the code is no longer valid at X
    assert callback(redirect, user.token)[2] == {"error": "exchange_failed", "network": "x"}
    assert accounts_of(db, user.uid) == []


def test_reconnecting_updates_the_same_account_and_keeps_the_refresh_token(call, user, db, x_fake, callback):
    from accounts import store as account_store
    from platforms.base import Profile, Tokens

    first = callback(x_fake.consent(start(call, user)), user.token)[2]["account"]
    refresh_before = account_store.load_tokens(first).refresh_token
    assert refresh_before

    second = callback(x_fake.consent(start(call, user)), user.token)[2]["account"]
    assert second == first and len(accounts_of(db, user.uid)) == 1

    # A reconnect whose answer has no refresh token keeps the one we have.
    profile = Profile("2244994945", "postr_tester", "Postr Tester", None, 1523)
    account_store.save(user.uid, "x", profile, Tokens(access_token="new-access", refresh_token=None))
    tokens = account_store.load_tokens(first)
    assert tokens.access_token == "new-access"
    assert tokens.refresh_token == account_store.load_tokens(first).refresh_token != ""
    assert tokens.refresh_token is not None


def test_the_plan_limit_on_connected_accounts(call, user, db, x_fake, callback):
    for i in range(3):  # the free plan allows 3
        db.collection("accounts").document(f"seed-{user.uid}-{i}").set({"uid": user.uid, "network": "mastodon"})
    status, body = call("start_connection", {"network": "x"}, user.token)
    assert status == 429
    assert body["error"]["status"] == "RESOURCE_EXHAUSTED"
    assert "allows 3 connected accounts" in body["error"]["message"]


def test_at_the_limit_a_reconnect_works_but_a_new_account_is_refused(call, user, db, x_fake, callback):
    account_id = callback(x_fake.consent(start(call, user)), user.token)[2]["account"]
    for i in range(2):
        db.collection("accounts").document(f"seed-{user.uid}-{i}").set({"uid": user.uid, "network": "mastodon"})
    # The same X account again: allowed, same document.
    assert callback(x_fake.consent(start(call, user)), user.token)[2] == {"connected": "x", "account": account_id}
    # Another X account would be a fourth: refused at the callback, nothing stored.
    x_fake.users["99"] = dict(x_fake.users["2244994945"], id="99", username="other")
    outcome = callback(x_fake.consent(start(call, user), user_id="99"), user.token)[2]
    assert outcome == {"error": "plan_limit", "network": "x"}
    assert len(accounts_of(db, user.uid)) == 3


@pytest.mark.parametrize("payload, message", [
    ({"network": "myspace"}, "Unknown network 'myspace'"),
    ({"network": "bluesky"}, "connects with an app password"),
    ({}, "'network' is required."),
    ({"network": "x", "uid": "someone"}, "Unknown field 'uid'."),
    ({"network": "mastodon"}, "Mastodon needs your server's address"),
    ({"network": "mastodon", "instanceUrl": "http://mastodon.example"}, "https"),
    ({"network": "mastodon", "instanceUrl": "https://localhost"}, "loopback"),
    ({"network": "mastodon", "instanceUrl": "https://10.0.0.8"}, "private"),
])
def test_bad_connection_requests_are_refused_and_store_nothing(call, user, db, payload, message, monkeypatch):
    monkeypatch.setenv("ALLOW_PRIVATE_HOSTS", "false")  # as deployed: the local stack allows loopback fakes
    status, body = call("start_connection", payload, user.token)
    assert status == 400, body
    assert message in body["error"]["message"]
    assert list(db.collection("oauthStates").where("uid", "==", user.uid).stream()) == []


def test_reconnecting_an_account_paused_for_the_plan_keeps_it_paused(call, user, db, x_fake, callback):
    account_id = callback(x_fake.consent(start(call, user)), user.token)[2]["account"]
    db.collection("accounts").document(account_id).update({"status": "paused", "statusReason": "plan_limit"})
    assert callback(x_fake.consent(start(call, user)), user.token)[2]["account"] == account_id
    acc = db.collection("accounts").document(account_id).get().to_dict()
    assert (acc["status"], acc["statusReason"]) == ("paused", "plan_limit")
