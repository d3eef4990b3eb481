"""Corrections (policy 7.2) land on the request register (policy 7.5): every
profile field the person gave can be corrected through the profile callables,
and each correction that changes something is recorded, completed at once, with
its 30-day due date, naming the fields but never their values."""

import datetime as dt

from privacy_helpers import error_status, owned

from kernel import clock, users

NOW = dt.datetime(2026, 11, 30, 9, 30, tzinfo=dt.timezone.utc)


def corrections(db, uid: str) -> list[dict]:
    found = [s.to_dict() for s in owned(db, "privacyRequests", uid)]
    return sorted((r for r in found if r["type"] == "correction"), key=lambda r: r["detail"]["fields"])


def test_every_field_the_person_gave_is_correctable_and_each_correction_is_recorded(call, db, new_user):
    person = new_user("Wrong Name", onboarded=False)  # gives a first birth date below
    corrected = {"displayName": "Right Name", "timezone": "Europe/Paris", "locale": "pt-BR",
                 "marketingEmails": True, "productAnalytics": False, "publishEmails": False,
                 "preferredAiModel": "openai:gpt-4o-mini"}
    # A field a later feature adds to the profile's settings must be correctable here too.
    assert set(corrected) == {"displayName", *users.DEFAULT_SETTINGS}

    with clock.frozen(NOW):
        status, body = call("update_profile", corrected, person.token)
    assert status == 200, body
    profile = body["result"]
    assert profile["displayName"] == "Right Name"
    assert profile["settings"] == {k: v for k, v in corrected.items() if k != "displayName"}

    [record] = corrections(db, person.uid)
    assert record["status"] == "completed"
    assert record["detail"] == {"fields": sorted(corrected)}
    assert record["requestedAt"] == NOW and record["completedAt"] == NOW
    assert record["dueAt"] == NOW + dt.timedelta(days=30)
    # The register keeps which fields changed, never what they now say.
    assert "Right Name" not in repr(record) and "Europe/Paris" not in repr(record)

    # The birth date: given once at onboarding (not a correction), corrected by sending it again.
    status, _ = call("complete_onboarding", {"birthDate": "1990-04-01"}, person.token)
    assert status == 200
    assert len(corrections(db, person.uid)) == 1
    with clock.frozen(NOW + dt.timedelta(hours=1)):
        status, body = call("complete_onboarding", {"birthDate": "1990-01-04"}, person.token)
    assert status == 200 and body["result"]["onboarding"]["birthDate"] == "1990-01-04"
    birth = [r for r in corrections(db, person.uid) if r["detail"]["fields"] == ["birthDate"]]
    assert len(birth) == 1 and birth[0]["status"] == "completed"
    assert birth[0]["completedAt"] == NOW + dt.timedelta(hours=1)


def test_only_what_changes_is_recorded(call, db, user):
    status, _ = call("update_profile", {"displayName": "Test Person", "timezone": "Asia/Tokyo"}, user.token)
    assert status == 200
    [record] = corrections(db, user.uid)
    assert record["detail"] == {"fields": ["timezone"]}  # the name was already that

    status, _ = call("update_profile", {"timezone": "Asia/Tokyo"}, user.token)
    assert status == 200
    assert len(corrections(db, user.uid)) == 1  # the same value again corrects nothing


def test_refused_corrections_record_nothing(call, db, user):
    for payload in ({"timezone": "Mars/Olympus"}, {"displayName": ""}, {"email": "x@example.com"}, {}):
        status, body = call("update_profile", payload, user.token)
        assert status == 400 and error_status(body) == "INVALID_ARGUMENT", payload
    status, body = call("complete_onboarding", {"birthDate": "2999-01-01"}, user.token)
    assert status == 400
    assert corrections(db, user.uid) == []
    assert call("get_profile", {}, user.token)[1]["result"]["settings"]["timezone"] == "UTC"


def test_operators_see_corrections_as_done(call, user, operator):
    status, _ = call("update_profile", {"locale": "fr"}, user.token)
    assert status == 200
    status, body = call("list_privacy_requests", {}, operator.token)
    assert status == 200
    # Completed at once, so never open, never overdue.
    assert not [r for r in body["result"]["requests"] if r["uid"] == user.uid]
