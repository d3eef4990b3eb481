"""Policy changes (policy 11): an operator publishes a version, every active
person gets an in-app notice and an email (legal: whatever their marketing
choice), acceptance is recorded with its time. Support (2.1): messages stored
and emailed to the operator."""

import datetime as dt
import uuid

from privacy_helpers import error_status, owned

from kernel import clock
from privacy import policy as privacy_policy

OPERATOR_EMAIL = "support@minnerlabs.com"


def policy_notices(db, uid: str) -> list[dict]:
    return [d.to_dict() for d in owned(db, "notifications", uid) if d.get("kind") == "policy_update"]


def test_a_published_version_reaches_every_active_person_once(call, new_user, db, tasks, operator, outbox,
                                                              monkeypatch, sign_in):
    monkeypatch.setattr(privacy_policy, "PAGE", 2)  # several pages, whatever else the database holds
    opted_out, opted_in, leaving = new_user("No Marketing"), new_user("Marketing"), new_user("Leaving")
    assert call("update_profile", {"marketingEmails": True}, opted_in.token)[0] == 200
    assert call("delete_account", {"confirm": True}, sign_in(leaving))[0] == 200
    version = f"2031-{uuid.uuid4().hex[:6]}"
    effective = (clock.now() + dt.timedelta(days=30)).date().isoformat()

    status, body = call("publish_policy_version", {"version": version, "summary": "We now keep AI history.",
                                                   "effectiveDate": effective}, operator.token)
    assert status == 200, body
    assert [t[0] for t in tasks.queued] == ["announce_policy_version"]
    outcomes = tasks.run_all()
    assert all(code == 200 for code, _ in outcomes) and len(outcomes) >= 2

    for person in (opted_out, opted_in, operator):
        [note] = policy_notices(db, person.uid)
        assert note["category"] == "legal" and "We now keep AI history." in note["body"]
        assert [m["subject"] for m in outbox.sent_to(person["email"])].count("We're updating our privacy policy") == 1
    assert policy_notices(db, leaving.uid) == []
    record = db.collection("policyVersions").document(version).get().to_dict()
    assert record["announcedAt"] is not None and record["pages"] == len(outcomes)

    # A page delivered again sends nothing twice.
    tasks.deliver("announce_policy_version", {"version": version, "after": "", "page": 1})
    assert len(policy_notices(db, opted_out.uid)) == 1
    assert [m["subject"] for m in outbox.sent_to(opted_out["email"])].count("We're updating our privacy policy") == 1

    # Acceptance, with its time; once.
    status, body = call("accept_policy", {"version": version}, opted_out.token)
    assert status == 200, body
    accepted_at = body["result"]["acceptedAt"]
    _, again = call("accept_policy", {"version": version}, opted_out.token)
    assert again["result"]["acceptedAt"] == accepted_at
    # (besides, perhaps, the version in force when this person signed up)
    [acceptance] = [d.to_dict() for d in owned(db, "policyAcceptances", opted_out.uid) if d.get("version") == version]
    assert acceptance["how"] == "in_app" and acceptance["acceptedAt"] is not None


def test_publishing_refuses_bad_versions_and_dates(call, operator, db, tasks):
    version = f"v-{uuid.uuid4().hex[:6]}"
    tomorrow = (clock.now() + dt.timedelta(days=1)).date().isoformat()
    assert call("publish_policy_version", {"version": version, "summary": "s", "effectiveDate": tomorrow},
                operator.token)[0] == 200
    status, body = call("publish_policy_version", {"version": version, "summary": "s", "effectiveDate": tomorrow},
                        operator.token)
    assert status == 409 and error_status(body) == "ALREADY_EXISTS"
    yesterday = (clock.now() - dt.timedelta(days=1)).date().isoformat()
    for payload in ({"version": "v-new", "summary": "s", "effectiveDate": yesterday},
                    {"version": "a/b", "summary": "s", "effectiveDate": tomorrow},
                    {"version": "v-new", "summary": "", "effectiveDate": tomorrow},
                    {"version": "v-new", "summary": "s", "effectiveDate": "soon"}):
        status, body = call("publish_policy_version", payload, operator.token)
        assert status == 400 and error_status(body) == "INVALID_ARGUMENT", payload
    assert not db.collection("policyVersions").document("v-new").get().exists
    assert len(tasks.queued) == 1


def test_accepting_an_unknown_version_is_not_found(call, user):
    status, body = call("accept_policy", {"version": "never-published"}, user.token)
    assert status == 404 and error_status(body) == "NOT_FOUND"


def test_a_support_message_is_stored_and_emailed_to_the_operator(call, user, db, outbox):
    status, body = call("send_support_message", {"subject": "Scheduling question",
                                                 "message": "How do I post\nto two accounts?"}, user.token)
    assert status == 200, body
    result = body["result"]
    assert result["privacyRequestId"] is None and result["dueAt"] is None
    stored = db.collection("supportMessages").document(result["id"]).get().to_dict()
    assert stored["uid"] == user.uid and stored["topic"] == "support"
    assert stored["message"] == "How do I post\nto two accounts?" and stored["operatorEmail"]["status"] == "sent"
    [mail] = [m for m in outbox.sent_to(OPERATOR_EMAIL) if result["id"] in m["text"]]
    assert mail["subject"] == "[postr support] Scheduling question"
    assert user["email"] in mail["text"] and "How do I post\nto two accounts?" in mail["text"]


def test_a_privacy_message_opens_a_request_due_in_30_days(call, user, db):
    _, body = call("send_support_message", {"topic": "privacy", "subject": "Delete my old posts",
                                            "message": "Please."}, user.token)
    request = db.collection("privacyRequests").document(body["result"]["privacyRequestId"]).get().to_dict()
    assert request["type"] == "message" and request["status"] == "open" and request["ref"] == body["result"]["id"]
    assert (request["dueAt"] - request["requestedAt"]).days == 30


def test_bad_support_messages_are_refused_and_nothing_is_stored(call, user, db, outbox):
    for payload in ({"subject": "", "message": "m"}, {"subject": "s", "message": ""},
                    {"subject": "two\nlines", "message": "m"}, {"subject": "s", "message": "bell\x07"},
                    {"subject": "s" * 201, "message": "m"}, {"subject": "s", "message": "m", "topic": "sales"},
                    {"subject": "s", "message": "m", "uid": "someone-else"}):
        status, body = call("send_support_message", payload, user.token)
        assert status == 400 and error_status(body) == "INVALID_ARGUMENT", payload
    assert owned(db, "supportMessages", user.uid) == []
    assert not [m for m in outbox.sent_to(OPERATOR_EMAIL) if user.uid in m["text"]]
