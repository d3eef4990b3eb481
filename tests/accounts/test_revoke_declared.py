"""Revoking at the network on disconnect: every network module says whether it
can (`Platform.revokes`) and its `revoke` does what it says; a network without
a way to revoke, or one that fails, never keeps a disconnect from finishing.

The first test needs no emulator: it runs every registered module's `revoke`
with the HTTP layer replaced. The others disconnect through the handler."""

import os
import urllib.parse

import pytest

import platforms
from platforms import addresses, http
from platforms.base import AppCredentials, Tokens
from platforms.errors import PlatformError, Transient

APP = AppCredentials("client-1", "secret-1")


def any_tokens() -> Tokens:
    """What any network's revoke might read: Mastodon's instance, Bluesky's PDS
    and DID, Facebook's user id. The instance is on loopback so no name is resolved."""
    return Tokens(access_token="access-1", refresh_token="refresh-1",
                  extra={"instance": "http://127.0.0.1:9", "pds": "http://127.0.0.1:9",
                         "service": "http://127.0.0.1:9", "did": "did:plc:abc", "user_id": "1234567890"})


@pytest.mark.parametrize("name", platforms.names())
def test_every_module_declares_whether_it_revokes_and_does_so(name, monkeypatch):
    sent = []

    def send(network, method, url, **kwargs):
        sent.append((network, method, url))
        raise Transient(network, "no network in this test")

    monkeypatch.setattr(http, "send", send)
    monkeypatch.setattr(addresses, "private_allowed", lambda: True)
    platform = platforms.get(name)
    assert isinstance(platform.revokes, bool), f"{name} must say whether it revokes"
    try:
        revoked = platform.revoke(APP, any_tokens())
    except PlatformError:
        revoked = None  # a network that revokes asked, and the (replaced) network failed
    if platform.revokes:
        assert sent and all(network == name for network, _, _ in sent), f"{name} claims to revoke but sent nothing"
    else:
        assert sent == [] and revoked is False, f"{name} has no way to revoke, so it must send nothing and say False"


def query_of(url: str) -> dict:
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))


def test_disconnecting_a_network_without_revocation_deletes_the_tokens_and_says_so(call, user, db, callback,
                                                                                    monkeypatch):
    from fakes.linkedin import LinkedInFake

    with LinkedInFake(client_id=os.environ["LINKEDIN_CLIENT_ID"],
                      client_secret=os.environ["LINKEDIN_CLIENT_SECRET"]) as fake:
        monkeypatch.setenv("LINKEDIN_API_URL", fake.url)
        monkeypatch.setenv("LINKEDIN_AUTH_URL", fake.url)
        member = fake.add_member(name="Ada Lovelace")
        status, body = call("start_connection", {"network": "linkedin"}, user.token)
        assert status == 200, body
        q = query_of(body["result"]["authorizationUrl"])
        outcome = callback(f"state={q['state']}&code={fake.consent(member.sub, q['redirect_uri'], q['scope'])}",
                           user.token)[2]
        account_id = outcome["account"]
        fake.requests.clear()

        status, body = call("disconnect_account", {"accountId": account_id}, user.token)

        assert status == 200, body
        assert body["result"] == {"disconnected": account_id, "revokedAtNetwork": False, "cancelledPosts": 0}
        assert fake.requests == []  # LinkedIn documents no revocation: nothing is sent
        assert not db.collection("accountTokens").document(account_id).get().exists
        assert not db.collection("accounts").document(account_id).get().exists


def test_a_network_failing_to_revoke_does_not_keep_the_tokens(call, user, db, x_fake, callback):
    from fakes.base import Reply

    status, body = call("start_connection", {"network": "x"}, user.token)
    outcome = callback(x_fake.consent(body["result"]["authorizationUrl"]), user.token)[2]
    account_id = outcome["account"]
    x_fake.fail_next(Reply(503, {"title": "Service Unavailable", "status": 503}), path="/2/oauth2/revoke")

    status, body = call("disconnect_account", {"accountId": account_id}, user.token)

    assert status == 200, body
    assert body["result"]["revokedAtNetwork"] is False
    assert x_fake.received("POST", "/2/oauth2/revoke")  # X was asked
    assert not db.collection("accountTokens").document(account_id).get().exists
    assert not db.collection("accounts").document(account_id).get().exists
