"""A connected account shows the scopes the network granted, and which of the
ones postr asked for it did not get (`missingScopes`), so the app can show a
narrower grant. The first tests need no emulator (`public_view` alone)."""

import datetime as dt
import os
import urllib.parse

import pytest

from accounts import store as account_store
from kernel import clock


@pytest.mark.parametrize("network, scopes, missing", [
    ("linkedin", ["openid", "profile"], ["w_member_social"]),
    ("linkedin", ["openid", "profile", "w_member_social"], []),
    ("x", ["tweet.read", "users.read", "tweet.write", "offline.access"], ["media.write"]),
    # Nothing stored: the network did not say (a Mastodon token made by hand).
    ("mastodon", [], None),
    ("mastodon", None, None),
    # Bluesky's app passwords ask for no scopes of their own.
    ("bluesky", ["com.atproto.appPass"], []),
    ("myspace", ["anything"], None),
])
def test_public_view_shows_what_was_not_granted(network, scopes, missing):
    view = account_store.public_view("acc-1", {"network": network, "scopes": scopes, "handle": "ada"})
    assert view["id"] == "acc-1" and view["scopes"] == scopes and view["handle"] == "ada"
    assert view["missingScopes"] == missing


def test_public_view_counts_the_scopes_a_linkedin_app_is_approved_for(monkeypatch):
    monkeypatch.setenv("LINKEDIN_EXTRA_SCOPES", "r_member_postAnalytics")
    view = account_store.public_view("acc-1", {"network": "linkedin", "scopes": ["openid", "profile",
                                                                                   "w_member_social"]})
    assert view["missingScopes"] == ["r_member_postAnalytics"]  # metrics stay off until a reconnect grants it


def query_of(url: str) -> dict:
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))


def listed(call, user, account_id) -> dict:
    status, body = call("list_accounts", {}, user.token)
    assert status == 200, body
    return next(a for a in body["result"]["accounts"] if a["id"] == account_id)


def test_a_narrower_grant_is_stored_and_shown(call, user, db, callback, monkeypatch):
    from fakes.pinterest import PinterestFake

    with PinterestFake(client_id=os.environ["PINTEREST_CLIENT_ID"],
                       client_secret=os.environ["PINTEREST_CLIENT_SECRET"]) as fake:
        monkeypatch.setenv("PINTEREST_API_URL", fake.url)
        ada = fake.add_user("ada.makes")
        status, body = call("start_connection", {"network": "pinterest"}, user.token)
        assert status == 200, body
        q = query_of(body["result"]["authorizationUrl"])
        assert q["scope"] == "boards:read,boards:write,pins:read,pins:write,user_accounts:read"
        # Pinterest answers the token request with what was granted: less than asked.
        code = fake.consent(ada, q["redirect_uri"], "boards:read,pins:read,user_accounts:read")
        outcome = callback(f"state={q['state']}&code={code}", user.token)[2]
        assert outcome["connected"] == "pinterest", outcome

        account = listed(call, user, outcome["account"])
        assert account["scopes"] == ["boards:read", "pins:read", "user_accounts:read"]
        assert account["missingScopes"] == ["boards:write", "pins:write"]
        sealed = db.collection("accountTokens").document(outcome["account"]).get().to_dict()
        assert sealed["scopes"] == account["scopes"]


def test_a_refresh_that_narrows_the_grant_is_shown(call, user, db, x_fake, callback):
    from handlers import accounts

    status, body = call("start_connection", {"network": "x"}, user.token)
    outcome = callback(x_fake.consent(body["result"]["authorizationUrl"]), user.token)[2]
    account_id = outcome["account"]
    assert listed(call, user, account_id)["missingScopes"] == []

    for grant in x_fake.refresh_tokens.values():  # X now answers a refresh with less than was granted
        grant["scopes"] = [s for s in grant["scopes"] if s != "media.write"]
    expires = db.collection("accounts").document(account_id).get().get("tokenExpiresAt")
    with clock.frozen(expires - dt.timedelta(minutes=10)):
        assert accounts.refresh_expiring_tokens()["refreshed"] >= 1

    account = listed(call, user, account_id)
    assert "media.write" not in account["scopes"] and account["missingScopes"] == ["media.write"]
    assert account_store.load_tokens(account_id).scopes == account["scopes"]
