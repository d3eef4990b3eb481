"""What operators and people see of requests and notices (policy 7.5, 10, 11, 2.1):
requests that arrived by email or from a parent recorded with their due date,
overdue ones flagged, a daily reminder of those due within three days; support
messages whose email failed sent again, listed and closed by operators; the
policy in force, its acceptance at sign-up, and the version on its notice."""

import datetime as dt
import uuid

from privacy_helpers import error_status, owned

from kernel import clock
from privacy import policy as privacy_policy, requests as privacy_requests, support as privacy_support

OPERATOR_EMAIL = "support@minnerlabs.com"


def test_an_operator_records_requests_that_came_by_email_or_from_a_parent(call, user, operator, db):
    received = clock.now() - dt.timedelta(days=31)
    status, body = call("record_privacy_request", {"type": "deletion", "channel": "parent", "email": user["email"],
                                                   "receivedAt": received.isoformat(),
                                                   "note": "A parent writes that the account holder is 11."},
                        operator.token)
    assert status == 200, body
    recorded = body["result"]
    assert recorded["uid"] == user.uid and recorded["type"] == "deletion" and recorded["status"] == "open"
    assert recorded["detail"]["channel"] == "parent" and recorded["detail"]["recordedBy"] == operator.uid
    assert recorded["overdue"] is True  # 30 days from when it was received, not from when it was typed in
    stored = db.collection("privacyRequests").document(recorded["id"]).get().to_dict()
    assert (stored["dueAt"] - stored["requestedAt"]).days == 30 and stored["requestedAt"] < clock.now()

    status, body = call("record_privacy_request", {"type": "access", "channel": "email", "uid": user.uid},
                        operator.token)
    assert status == 200 and body["result"]["overdue"] is False

    _, listed = call("list_privacy_requests", {"status": "overdue", "limit": 500}, operator.token)
    assert recorded["id"] in {r["id"] for r in listed["result"]["requests"]}
    assert listed["result"]["counts"]["overdue"] >= 1


def test_recording_a_request_is_for_operators_and_needs_a_known_account(call, user, operator):
    payload = {"type": "deletion", "channel": "email", "email": user["email"]}
    status, body = call("record_privacy_request", payload, user.token)
    assert status == 403 and error_status(body) == "PERMISSION_DENIED"
    status, body = call("record_privacy_request", {**payload, "email": f"nobody-{uuid.uuid4().hex[:6]}@example.com"},
                        operator.token)
    assert status == 404 and error_status(body) == "NOT_FOUND"
    status, body = call("record_privacy_request", {**payload, "uid": user.uid}, operator.token)
    assert status == 400 and error_status(body) == "INVALID_ARGUMENT"  # one of the two, not both
    status, body = call("record_privacy_request", {**payload, "receivedAt": "2999-01-01T00:00:00Z"}, operator.token)
    assert status == 400


def test_the_daily_reminder_lists_requests_due_within_three_days_once_a_day(user, db, outbox):
    now = clock.now()
    soon, _ = privacy_requests.record_by_operator(user.uid, "access", "email", now - dt.timedelta(days=28), None,
                                                  "op")
    later, _ = privacy_requests.record_by_operator(user.uid, "access", "email", now - dt.timedelta(days=20), None,
                                                   "op")
    report = privacy_requests.remind_operator()
    assert report["due"] >= 1 and report["email"] == "sent"
    [mail] = [m for m in outbox.sent_to(OPERATOR_EMAIL) if soon in m["text"]]
    assert "due within 3 days" in mail["subject"] and later not in mail["text"]
    privacy_requests.remind_operator()  # a second run the same day sends nothing more
    assert len([m for m in outbox.sent_to(OPERATOR_EMAIL) if soon in m["text"]]) == 1


def test_a_support_message_whose_email_failed_is_sent_again(call, user, db, outbox):
    outbox.fail_next(500)  # Resend down for this send (the SDK does not retry)
    status, body = call("send_support_message", {"subject": "Lost email?", "message": "Hello"}, user.token)
    assert status == 200, body  # stored all the same: nothing the person wrote is lost
    message_id = body["result"]["id"]
    ref = db.collection("supportMessages").document(message_id)
    assert ref.get().get("operatorEmail")["status"] == "failed"
    assert not [m for m in outbox.sent_to(OPERATOR_EMAIL) if message_id in m["text"]]

    report = privacy_support.resend_unsent()
    assert report["sent"] >= 1
    assert ref.get().get("operatorEmail")["status"] == "sent" and ref.get().get("operatorEmail")["attempts"] >= 2
    privacy_support.resend_unsent()  # sent once, never twice
    assert len([m for m in outbox.sent_to(OPERATOR_EMAIL) if message_id in m["text"]]) == 1


def test_operators_list_open_support_messages_and_close_them(call, user, operator):
    _, body = call("send_support_message", {"subject": "Question", "message": "How?"}, user.token)
    message_id = body["result"]["id"]
    status, listed = call("list_support_messages", {"limit": 500}, operator.token)
    assert status == 200 and message_id in {m["id"] for m in listed["result"]["messages"]}
    assert call("list_support_messages", {}, user.token)[0] == 403
    status, closed = call("close_support_message", {"messageId": message_id, "note": "Answered."}, operator.token)
    assert status == 200 and closed["result"]["status"] == "closed"
    _, listed = call("list_support_messages", {"limit": 500}, operator.token)
    assert message_id not in {m["id"] for m in listed["result"]["messages"]}
    status, body = call("close_support_message", {"messageId": message_id}, operator.token)
    assert status == 400 and error_status(body) == "FAILED_PRECONDITION"


def test_the_app_reads_the_policy_in_force_and_its_acceptance_recorded_at_sign_up(call, new_user, operator, tasks,
                                                                                    db):
    version = f"v{uuid.uuid4().hex[:8]}"
    with clock.frozen(dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)):
        privacy_policy.publish(version, "The policy in force.", dt.date(2020, 1, 2), operator.uid)
    tasks.queued.clear()
    person = new_user()  # signs up with that version in force (unless a later test one is)
    status, body = call("get_policy", {}, person.token)
    assert status == 200, body
    current = body["result"]["current"]
    assert current["accepted"] is True and current["acceptedAt"] is not None
    [acceptance] = [d.to_dict() for d in owned(db, "policyAcceptances", person.uid)]
    assert acceptance["version"] == current["version"] and acceptance["how"] == "sign_up"

    upcoming = f"v{uuid.uuid4().hex[:8]}"
    effective = (clock.now() + dt.timedelta(days=30)).date()
    assert call("publish_policy_version", {"version": upcoming, "summary": "A change.",
                                           "effectiveDate": effective.isoformat()}, operator.token)[0] == 200
    _, body = call("get_policy", {}, person.token)
    assert body["result"]["upcoming"]["version"] == upcoming and body["result"]["upcoming"]["accepted"] is False
    tasks.run_all()
    [notice] = [d.to_dict() for d in owned(db, "notifications", person.uid) if d.get("kind") == "policy_update"]
    assert notice["data"] == {"policyVersion": upcoming, "effectiveDate": effective.isoformat()}
    assert call("accept_policy", {"version": upcoming}, person.token)[0] == 200
    _, body = call("get_policy", {}, person.token)
    assert body["result"]["upcoming"]["accepted"] is True
