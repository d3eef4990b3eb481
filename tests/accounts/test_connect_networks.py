"""The connect flow for each network, against its contract fake: OAuth for
Threads, LinkedIn and Mastodon (X is in test_connect_oauth.py), and app
passwords for Bluesky."""

import os
import urllib.parse

import httpx
import pytest

import platforms
from fakes.bluesky import BlueskyFake
from fakes.linkedin import LinkedInFake
from fakes.mastodon import MastodonFake
from fakes.threads import ThreadsFake


def query_of(url: str) -> dict:
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))


def start(call, user, **payload):
    status, body = call("start_connection", payload, user.token)
    assert status == 200, body
    return body["result"]["authorizationUrl"]


def stored(db, account_id):
    acc = db.collection("accounts").document(account_id).get().to_dict()
    raw = db.collection("accountTokens").document(account_id).get().to_dict()
    return acc, raw


def test_threads(call, user, db, callback, monkeypatch):
    with ThreadsFake() as fake:
        monkeypatch.setenv("THREADS_API_URL", fake.url)
        fake.add_app(os.environ["THREADS_CLIENT_ID"], os.environ["THREADS_CLIENT_SECRET"],
                     os.environ["OAUTH_CALLBACK_URL"] if "OAUTH_CALLBACK_URL" in os.environ
                     else "http://127.0.0.1:5001/demo-postr/us-central1/oauth_callback")
        user_id = fake.add_user(username="postr.tester", followers=42)
        url = start(call, user, network="threads")
        q = query_of(url)
        assert q["client_id"] == os.environ["THREADS_CLIENT_ID"] and "threads_content_publish" in q["scope"]
        code = fake.issue_code(q["client_id"], q["redirect_uri"], user_id)
        outcome = callback(f"state={q['state']}&code={code}", user.token)[2]
        assert outcome["connected"] == "threads", outcome
        acc, raw = stored(db, outcome["account"])
        assert acc["handle"] == "postr.tester" and acc["followersCount"] == 42
        assert raw["access"].startswith("v1.") and raw["refresh"] is None  # Threads refreshes the token itself


def test_linkedin(call, user, db, callback, monkeypatch):
    with LinkedInFake(client_id=os.environ["LINKEDIN_CLIENT_ID"],
                      client_secret=os.environ["LINKEDIN_CLIENT_SECRET"]) as fake:
        monkeypatch.setenv("LINKEDIN_API_URL", fake.url)
        monkeypatch.setenv("LINKEDIN_AUTH_URL", fake.url)
        member = fake.add_member(name="Ada Lovelace")
        url = start(call, user, network="linkedin")
        q = query_of(url)
        assert "w_member_social" in q["scope"]
        code = fake.consent(member.sub, q["redirect_uri"], q["scope"])
        outcome = callback(f"state={q['state']}&code={code}", user.token)[2]
        assert outcome["connected"] == "linkedin", outcome
        acc, raw = stored(db, outcome["account"])
        assert acc["displayName"] == "Ada Lovelace" and acc["accountId"].endswith(member.sub)
        assert raw["access"].startswith("v1.")


def test_mastodon_registers_an_app_per_instance_then_connects(call, user, db, callback, monkeypatch):
    monkeypatch.setattr(platforms.get("mastodon"), "allow_private", True)  # the fake is on loopback
    with MastodonFake() as fake:
        url = start(call, user, network="mastodon", instanceUrl=fake.url)
        assert len(fake.apps) == 1
        redirect = httpx.get(url, follow_redirects=False).headers["location"]
        outcome = callback(redirect, user.token)[2]
        assert outcome["connected"] == "mastodon", outcome
        acc, raw = stored(db, outcome["account"])
        # Account ids are unique per server only, so the server's domain is part of them.
        assert acc["handle"] == "@alice@social.example" and acc["accountId"] == "109348@social.example"
        assert acc["followersCount"] == 321
        assert raw["access"].startswith("v1.")
        # A second connection to the same instance reuses the registration.
        start(call, user, network="mastodon", instanceUrl=fake.url)
        assert len(fake.apps) == 1
        secret = next(iter(fake.apps.values()))["client_secret"]
        app_docs = [d.to_dict() for d in db.collection("mastodonApps").stream()]
        assert app_docs and all(secret not in repr(d) for d in app_docs)


def test_bluesky_connects_with_an_app_password(call, user, db, monkeypatch):
    with BlueskyFake() as fake:
        status, body = call("connect_with_app_password", {
            "network": "bluesky", "identifier": BlueskyFake.HANDLE,
            "appPassword": BlueskyFake.APP_PASSWORD, "serviceUrl": fake.url}, user.token)
        assert status == 200, body
        account = body["result"]
        assert account["handle"] == BlueskyFake.HANDLE and account["accountId"] == BlueskyFake.DID
        assert not {"access", "refresh", "appPassword"} & set(account)
        acc, raw = stored(db, account["id"])
        assert BlueskyFake.APP_PASSWORD not in repr(raw) + repr(acc)


@pytest.mark.parametrize("payload, code, message", [
    ({"identifier": BlueskyFake.HANDLE, "appPassword": "wrong-pass-word-xxxx"}, 400, "handle and app password"),
])
def test_bad_bluesky_credentials_store_nothing(call, user, db, payload, code, message):
    with BlueskyFake() as fake:
        payload = {"network": "bluesky", "serviceUrl": fake.url, **payload}
        status, body = call("connect_with_app_password", payload, user.token)
    assert status == code, body
    assert message in body["error"]["message"]
    assert list(db.collection("accounts").where("uid", "==", user.uid).stream()) == []


def test_app_passwords_are_only_for_networks_without_oauth(call, user):
    status, body = call("connect_with_app_password",
                        {"network": "x", "identifier": "a", "appPassword": "b"}, user.token)
    assert status == 400 and "sign-in page" in body["error"]["message"]


@pytest.mark.parametrize("service, message", [
    ("http://bsky.example", "must be an https:// URL"),
    ("https://127.0.0.1:2583", "loopback address"),
    ("https://localhost", "loopback address"),
    ("https://10.1.2.3", "private address"),
    ("https://169.254.169.254", "link-local address"),
])
def test_a_bluesky_server_address_inside_our_network_is_refused(call, user, db, monkeypatch, service, message):
    monkeypatch.setenv("ALLOW_PRIVATE_HOSTS", "false")  # as deployed
    status, body = call("connect_with_app_password", {
        "network": "bluesky", "identifier": BlueskyFake.HANDLE, "appPassword": BlueskyFake.APP_PASSWORD,
        "serviceUrl": service}, user.token)
    assert status == 400, body
    assert message in body["error"]["message"]
    assert list(db.collection("accounts").where("uid", "==", user.uid).stream()) == []


def test_facebook_connects_the_page_the_person_picks(call, user, new_user, db, callback, monkeypatch):
    from fakes.facebook import FacebookFake

    with FacebookFake() as fake:
        monkeypatch.setenv("FACEBOOK_API_URL", fake.url)
        monkeypatch.setenv("FACEBOOK_VIDEO_API_URL", f"{fake.url}/graph-video")
        person = fake.add_user("Ada")
        bakery = fake.add_page("Ada's Bakery", managers={person: ("CREATE_CONTENT", "MANAGE")})
        other = fake.add_page("Someone Else's Page", managers={})
        q = query_of(start(call, user, network="facebook"))
        fake.add_app(q["client_id"], os.environ["FACEBOOK_CLIENT_SECRET"], q["redirect_uri"])
        code = fake.issue_code(q["client_id"], q["redirect_uri"], person)
        outcome = callback(f"state={q['state']}&code={code}", user.token)[2]
        assert outcome["choose"] == "facebook" and outcome["pending"]
        assert list(db.collection("accounts").where("uid", "==", user.uid).stream()) == []
        pending = outcome["pending"]

        status, body = call("list_pending_choices", {"pendingId": pending}, user.token)
        assert status == 200, body
        assert [c["name"] for c in body["result"]["choices"]] == ["Ada's Bakery"]
        assert "token" not in repr(body).lower()
        # Nobody else can see or finish this person's pending connection.
        stranger = new_user("Stranger")
        assert call("list_pending_choices", {"pendingId": pending}, stranger.token)[0] == 404

        status, body = call("complete_connection", {"pendingId": pending, "choiceId": other}, user.token)
        assert status == 400 and "do not manage that page" in body["error"]["message"]
        status, body = call("complete_connection", {"pendingId": pending, "choiceId": bakery}, user.token)
        assert status == 200, body
        assert body["result"]["displayName"] == "Ada's Bakery"
        acc, raw = stored(db, body["result"]["id"])
        assert acc["accountId"] == bakery and raw["access"].startswith("v1.")
        # A pending connection is used once.
        assert call("complete_connection", {"pendingId": pending, "choiceId": bakery}, user.token)[0] == 404


def test_pinterest_connects_and_lists_only_the_persons_boards(call, user, new_user, db, callback, monkeypatch):
    from fakes.pinterest import PinterestFake

    with PinterestFake(client_id=os.environ["PINTEREST_CLIENT_ID"],
                       client_secret=os.environ["PINTEREST_CLIENT_SECRET"]) as fake:
        monkeypatch.setenv("PINTEREST_API_URL", fake.url)
        ada, bob = fake.add_user("ada.makes"), fake.add_user("bob.bakes", business_name=None)
        fake.add_board(ada, "Recipes")
        fake.add_board(bob, "Bob's secret board")
        q = query_of(start(call, user, network="pinterest"))
        code = fake.consent(ada, q["redirect_uri"], q["scope"])
        outcome = callback(f"state={q['state']}&code={code}", user.token)[2]
        assert outcome["connected"] == "pinterest", outcome
        status, body = call("list_boards", {"accountId": outcome["account"]}, user.token)
        assert status == 200, body
        assert [b["name"] for b in body["result"]["boards"]] == ["Recipes"]
        stranger = new_user("Stranger")
        assert call("list_boards", {"accountId": outcome["account"]}, stranger.token)[0] == 404
