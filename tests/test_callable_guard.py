"""Every callable in main.py refuses an account that is not active, whatever it
sends: an ID token stays valid for up to an hour after its account is disabled
(under 13) or deleted, so the check is the edge's, on every call. The list of
callables is read from main.py, so a new one cannot slip past."""

import pytest


def callable_names(main) -> list[str]:
    names = []
    for name in dir(main):
        endpoint = getattr(getattr(main, name), "__firebase_endpoint__", None)
        if endpoint is not None and getattr(endpoint, "callableTrigger", None) is not None:
            names.append(name)
    return sorted(names)


def test_main_declares_the_callables_we_expect(main):
    names = callable_names(main)
    assert len(names) >= 35
    assert {"get_post", "list_posts", "delete_post", "get_profile", "delete_account", "ai_generate"} <= set(names)


@pytest.fixture(params=["disabled", "deleted"])
def inactive(request, db, user):
    """A signed-in person whose account was disabled or deleted after the token was issued."""
    ref = db.collection("users").document(user.uid)
    if request.param == "disabled":
        ref.update({"status": "disabled", "disabledReason": "under_minimum_age"})
    else:
        ref.set({"uid": user.uid, "status": "deleted", "deletedAt": ref.get().get("createdAt")})
    return user


def test_every_callable_refuses_an_inactive_account_whatever_it_sends(main, call, inactive):
    payloads = [{}, {"postId": "abc", "accountId": "mastodon-0123", "text": "hello", "confirm": True},
                {"unknown": 1}]
    for name in callable_names(main):
        for payload in payloads:
            status, body = call(name, payload, inactive.token)
            assert (status, body["error"]["status"]) == (403, "PERMISSION_DENIED"), (name, payload, body)


def test_an_inactive_account_can_neither_read_nor_delete_its_posts(call, db, user):
    ref = db.collection("posts").document()
    ref.set({"uid": user.uid, "status": "draft", "text": "kept", "targets": {}, "targetAccountIds": [],
             "sortKey": "2026-01-01T00:00:00.000000Z|" + ref.id})
    db.collection("users").document(user.uid).update({"status": "disabled"})
    for name, payload in (("get_post", {"postId": ref.id}), ("list_posts", {}), ("delete_post", {"postId": ref.id})):
        status, body = call(name, payload, user.token)
        assert status == 403 and body["error"]["status"] == "PERMISSION_DENIED", (name, body)
    assert ref.get().get("text") == "kept"
