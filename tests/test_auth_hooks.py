"""Blocking hooks, end to end: the Auth emulator calls them in the Functions emulator."""

import pytest

import localstack


def test_sign_up_creates_the_profile_with_defaults(user, db):
    snap = db.collection("users").document(user.uid).get()
    assert snap.exists
    profile = snap.to_dict()
    assert profile["email"] == user["email"]
    assert profile["displayName"] == "Test Person"
    assert profile["plan"] == "free"
    assert profile["status"] == "active"
    assert profile["createdAt"] is not None
    assert profile["settings"]["marketingEmails"] is False
    assert profile["settings"]["productAnalytics"] is True


def test_sign_in_records_the_time_and_follows_an_email_change(stack, user, db):
    first = db.collection("users").document(user.uid).get().get("lastSignInAt")
    stack.sign_in(user["email"], user["password"])
    second = db.collection("users").document(user.uid).get().get("lastSignInAt")
    assert second is not None and (first is None or second > first)

    # The email is corrected through Firebase Auth; the profile follows at next sign-in.
    new_email = "changed-" + user["email"]
    localstack.auth_rest(stack.ports["auth"], "accounts:update", {"idToken": user.token, "email": new_email})
    stack.sign_in(new_email, user["password"])
    assert db.collection("users").document(user.uid).get().get("email") == new_email


@pytest.mark.parametrize("status", ["disabled", "deleted"])
def test_sign_in_is_refused_for_disabled_or_deleted_accounts(stack, user, db, status):
    db.collection("users").document(user.uid).update({"status": status})
    with pytest.raises(localstack.AuthError) as refused:
        stack.sign_in(user["email"], user["password"])
    assert "BLOCKING_FUNCTION_ERROR_RESPONSE" in refused.value.message
    assert "This account is disabled" in refused.value.message


def test_a_user_without_a_profile_gets_one_at_sign_in(stack, user, db):
    db.collection("users").document(user.uid).delete()
    stack.sign_in(user["email"], user["password"])
    snap = db.collection("users").document(user.uid).get()
    assert snap.exists and snap.get("status") == "active"
