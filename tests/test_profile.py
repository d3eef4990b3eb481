"""Profile callables: read, correct (policy 7.2), onboarding age gate (policy 10),
and bad input that gets a clear error and writes nothing."""

import datetime as dt

import pytest

from kernel import clock


def profile_doc(db, uid):
    return db.collection("users").document(uid).get()


def test_get_profile_returns_the_callers_profile(call, user):
    status, body = call("get_profile", {}, user.token)
    assert status == 200
    profile = body["result"]
    assert profile["uid"] == user.uid
    assert profile["email"] == user["email"]
    assert profile["displayName"] == "Test Person"
    assert profile["plan"] == "free"
    assert profile["settings"]["marketingEmails"] is False
    assert profile["settings"]["productAnalytics"] is True
    assert profile["settings"]["timezone"] == "UTC"


def test_unauthenticated_call_is_refused(call):
    status, body = call("get_profile", {})
    assert status == 401
    assert body["error"]["status"] == "UNAUTHENTICATED"


def test_malformed_or_tampered_tokens_are_refused(call, user):
    truncated = user.token[:-4] + ("AAAA" if not user.token.endswith("AAAA") else "BBBB")
    for token in (truncated, "not-a-jwt", "a.b.c"):
        status, body = call("get_profile", {}, token)
        assert status == 401, token
        assert body["error"]["status"] == "UNAUTHENTICATED"


def test_a_token_naming_another_subject_never_reads_this_profile(call, user):
    # The Auth emulator signs nothing, so a token with a rewritten subject passes
    # verification here (production rejects its signature). Even so, the caller is
    # whoever the token names: never the profile of the user it was copied from.
    import base64
    import json

    header, payload, sig = user.token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "==="))
    claims["sub"] = claims["user_id"] = "someone-else"
    other = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    status, body = call("get_profile", {}, f"{header}.{other}.{sig}")
    assert status == 404
    assert body["error"]["status"] == "NOT_FOUND"


def test_update_profile_corrects_every_field(call, user, db):
    status, body = call(
        "update_profile",
        {
            "displayName": "  Ada Lovelace  ",
            "timezone": "Europe/Paris",
            "locale": "fr-FR",
            "marketingEmails": True,
            "productAnalytics": False,
            "publishEmails": False,
            "preferredAiModel": "openai:gpt-4o-mini",
        },
        user.token,
    )
    assert status == 200, body
    profile = body["result"]
    assert profile["displayName"] == "Ada Lovelace"
    assert profile["settings"] == {
        "timezone": "Europe/Paris",
        "locale": "fr-FR",
        "marketingEmails": True,
        "productAnalytics": False,
        "publishEmails": False,
        "preferredAiModel": "openai:gpt-4o-mini",
    }
    stored = profile_doc(db, user.uid).to_dict()
    assert stored["settings"]["timezone"] == "Europe/Paris"
    assert stored["plan"] == "free"  # untouched

    # A partial update changes only what it names; the model preference can be cleared.
    status, body = call("update_profile", {"preferredAiModel": None}, user.token)
    assert status == 200
    assert body["result"]["settings"]["preferredAiModel"] is None
    assert body["result"]["settings"]["timezone"] == "Europe/Paris"


@pytest.mark.parametrize(
    "payload, message",
    [
        ({"timezone": "Mars/Olympus"}, "'timezone': 'Mars/Olympus' is not an IANA timezone"),
        ({"timezone": "../../etc/passwd"}, "is not an IANA timezone"),
        ({"displayName": "x" * 101}, "'displayName': string should have at most 100 characters"),
        ({"displayName": "   "}, "'displayName': string should have at least 1 character"),
        ({"displayName": "bad\x00name"}, "'displayName': must be one line without control characters"),
        ({"locale": "not a locale"}, "'locale': 'not a locale' is not a language tag"),
        ({"marketingEmails": "yes"}, "'marketingEmails': input should be a valid boolean"),
        ({"preferredAiModel": "gpt-99"}, "'preferredAiModel': unknown model"),
        ({"plan": "business"}, "Unknown field 'plan'."),
        ({"uid": "someone-else", "displayName": "x"}, "Unknown field 'uid'."),
        ({"status": "active"}, "Unknown field 'status'."),
        ({}, "Nothing to update"),
        ({"timezone": None}, "'timezone' cannot be null."),
    ],
)
def test_bad_profile_updates_are_refused_and_write_nothing(call, user, db, payload, message):
    before = profile_doc(db, user.uid)
    status, body = call("update_profile", payload, user.token)
    assert status == 400, body
    assert body["error"]["status"] == "INVALID_ARGUMENT"
    assert message in body["error"]["message"]
    after = profile_doc(db, user.uid)
    assert after.update_time == before.update_time
    assert after.to_dict() == before.to_dict()


@pytest.mark.parametrize("data", [["a list"], "a string", 42])
def test_payload_that_is_not_an_object_is_refused(call, user, data):
    status, body = call("update_profile", data, user.token)
    assert status == 400
    assert body["error"]["message"] == "The request data must be an object."


def test_malformed_request_body_is_refused(call, user):
    status, _ = call("update_profile", raw_body="{not json", token=user.token)
    assert status == 400


def test_get_profile_refuses_unknown_fields(call, user):
    status, body = call("get_profile", {"uid": "someone-else"}, user.token)
    assert status == 400
    assert body["error"]["message"] == "Unknown field 'uid'."


def at(year, month, day, hour=12):
    return clock.frozen(dt.datetime(year, month, day, hour, tzinfo=dt.timezone.utc))


@pytest.fixture
def newcomer(new_user):
    """A person who has signed up and not yet given a birth date."""
    return new_user(onboarded=False)


def test_onboarding_accepts_someone_who_turns_13_today(call, newcomer, db):
    user = newcomer
    with at(2026, 11, 30):
        status, body = call("complete_onboarding", {"birthDate": "2013-11-30"}, user.token)
    assert status == 200, body
    assert body["result"]["onboarding"]["birthDate"] == "2013-11-30"
    assert body["result"]["onboarding"]["completedAt"].startswith("2026-11-30T12:00:00")
    # The birth date is the user's to correct (policy 7.2).
    with at(2026, 11, 30):
        status, body = call("complete_onboarding", {"birthDate": "1990-01-02"}, user.token)
    assert status == 200
    assert profile_doc(db, user.uid).get("onboarding.birthDate") == "1990-01-02"


def test_age_is_counted_in_the_users_timezone(call, newcomer):
    user = newcomer
    assert call("update_profile", {"timezone": "Pacific/Kiritimati"}, user.token)[0] == 200
    # 2026-11-29 20:00 UTC is already 2026-11-30 in Kiritimati (UTC+14): 13 today there.
    with clock.frozen(dt.datetime(2026, 11, 29, 20, tzinfo=dt.timezone.utc)):
        status, body = call("complete_onboarding", {"birthDate": "2013-11-30"}, user.token)
    assert status == 200, body


def test_under_13_is_refused_and_everything_goes_as_a_deletion_would(call, newcomer, db, stack, outbox):
    from firebase_admin import auth
    from google.cloud.firestore import FieldFilter

    user = newcomer
    with at(2026, 11, 30):
        status, body = call("complete_onboarding", {"birthDate": "2013-12-01"}, user.token)
    assert status == 403
    assert body["error"]["status"] == "PERMISSION_DENIED"
    assert "aged 13 or older" in body["error"]["message"]

    stored = profile_doc(db, user.uid).to_dict()
    assert stored["status"] == "deleted" and stored["deletedReason"] == "under_minimum_age"
    assert "onboarding" not in stored and "2013" not in repr(stored)  # no child's birth date is kept
    assert "email" not in stored and "displayName" not in stored
    with pytest.raises(auth.UserNotFoundError):
        auth.get_user(user.uid)
    [request] = [d.to_dict() for d in db.collection("privacyRequests")
                 .where(filter=FieldFilter("uid", "==", user.uid)).stream()]
    assert request["type"] == "deletion" and request["status"] == "completed"
    assert request["detail"] == {"reason": "under_minimum_age"}
    assert [m["subject"] for m in outbox.sent_to(user["email"])] == ["Your postr account has been deleted"]

    # The account can no longer sign in, and its still-valid ID token no longer works.
    with pytest.raises(Exception, match="EMAIL_NOT_FOUND|USER_DISABLED|INVALID_LOGIN_CREDENTIALS"):
        stack.sign_in(user["email"], user["password"])
    status, body = call("get_profile", {}, user.token)
    assert status == 403


def test_nothing_beyond_the_profile_works_before_a_birth_date(call, newcomer):
    for name, payload in (("list_posts", {}), ("list_accounts", {}), ("ai_hashtags", {"text": "x", "network": "x"}),
                          ("create_checkout_session", {"plan": "pro"}), ("get_analytics_overview", {})):
        status, body = call(name, payload, newcomer.token)
        assert (status, body["error"]["status"]) == (400, "FAILED_PRECONDITION"), (name, body)
        assert body["error"]["details"] == {"reason": "onboarding_required"}
    for name, payload in (("get_profile", {}), ("update_profile", {"timezone": "Europe/Paris"})):
        assert call(name, payload, newcomer.token)[0] == 200, name
    with at(2026, 11, 30):
        assert call("complete_onboarding", {"birthDate": "1990-05-01"}, newcomer.token)[0] == 200
    assert call("list_posts", {}, newcomer.token)[0] == 200


@pytest.mark.parametrize(
    "payload, message",
    [
        ({"birthDate": "2030-01-01"}, "'birthDate' is in the future."),
        ({"birthDate": "1850-01-01"}, "'birthDate' must be after 1900."),
        ({"birthDate": "31/12/1990"}, "'birthDate': must be a date as an ISO 8601 string, YYYY-MM-DD"),
        ({"birthDate": "1990-02-30"}, "'birthDate': input should be a valid date"),
        # Dates are ISO 8601 strings only: Unix seconds, a number of days or a datetime are not dates.
        ({"birthDate": 631152000}, "'birthDate': must be a date as an ISO 8601 string, YYYY-MM-DD"),
        ({"birthDate": 631152000.0}, "'birthDate': must be a date as an ISO 8601 string, YYYY-MM-DD"),
        ({"birthDate": "631152000"}, "'birthDate': must be a date as an ISO 8601 string, YYYY-MM-DD"),
        ({"birthDate": "1990-01-01T00:00:00Z"}, "'birthDate': must be a date as an ISO 8601 string, YYYY-MM-DD"),
        ({"birthDate": True}, "'birthDate': must be a date as an ISO 8601 string, YYYY-MM-DD"),
        ({}, "'birthDate' is required."),
        ({"birthDate": "1990-01-01", "age": 36}, "Unknown field 'age'."),
    ],
)
def test_bad_birth_dates_are_refused_and_write_nothing(call, user, db, payload, message):
    before = profile_doc(db, user.uid)
    with at(2026, 11, 30):
        status, body = call("complete_onboarding", payload, user.token)
    assert status == 400, body
    assert message in body["error"]["message"]
    assert profile_doc(db, user.uid).update_time == before.update_time
