"""The request register (policy 7.5) and operators: every export, deletion,
correction and privacy message is recorded with its 30-day due date; only
operators (the server-set `admin` claim) list open and overdue ones or complete
them; anyone else gets a clear refusal and nothing changes."""

import datetime as dt

from privacy_helpers import error_status, owned

from kernel import clock
from privacy import requests as privacy_requests


def test_operators_list_open_and_overdue_requests(call, new_user, db, tasks, operator):
    person = new_user("Asks")
    status, body = call("request_export", {}, person.token)
    assert status == 200
    export_id = body["result"]["exportId"]

    status, body = call("list_privacy_requests", {}, operator.token)
    assert status == 200, body
    [mine] = [r for r in body["result"]["requests"] if r["uid"] == person.uid]
    assert mine["type"] == "export" and mine["status"] == "in_progress" and mine["ref"] == export_id
    assert mine["overdue"] is False and body["result"]["counts"]["open"] >= 1

    with clock.frozen(clock.now() + dt.timedelta(days=31)):
        status, body = call("list_privacy_requests", {"status": "overdue"}, operator.token)
    assert status == 200
    assert any(r["uid"] == person.uid and r["overdue"] for r in body["result"]["requests"])

    tasks.run_all()  # the export is built: its request is no longer open
    _, body = call("list_privacy_requests", {}, operator.token)
    assert not [r for r in body["result"]["requests"] if r["uid"] == person.uid]


def test_non_operators_are_refused_and_nothing_changes(call, user, db, operator, sign_in):
    status, body = call("send_support_message", {"topic": "privacy", "subject": "Correct my data",
                                                 "message": "My name is wrong."}, user.token)
    assert status == 200
    request_id = body["result"]["privacyRequestId"]

    for name, payload in (("list_privacy_requests", {}),
                          ("complete_privacy_request", {"requestId": request_id}),
                          ("publish_policy_version", {"version": "2099-01", "summary": "x",
                                                      "effectiveDate": "2099-01-01"})):
        status, body = call(name, payload, user.token)
        assert status == 403 and error_status(body) == "PERMISSION_DENIED", name
        assert body["error"]["message"] == "Only postr operators can do this."
    assert db.collection("privacyRequests").document(request_id).get().get("status") == "open"
    assert not db.collection("policyVersions").document("2099-01").get().exists

    # The claim is the server's to give: a person cannot write it through their profile.
    status, body = call("update_profile", {"admin": True}, user.token)
    assert status == 400 and error_status(body) == "INVALID_ARGUMENT"
    status, _ = call("list_privacy_requests", {}, sign_in(user))
    assert status == 403


def test_an_operator_completes_a_privacy_message(call, user, db, operator):
    _, body = call("send_support_message", {"topic": "privacy", "subject": "What do you keep?",
                                            "message": "Tell me what you keep about me."}, user.token)
    request_id = body["result"]["privacyRequestId"]
    status, body = call("complete_privacy_request", {"requestId": request_id, "note": "Answered by email."},
                        operator.token)
    assert status == 200, body
    assert body["result"]["status"] == "completed" and body["result"]["completedAt"]
    stored = db.collection("privacyRequests").document(request_id).get().to_dict()
    assert stored["completedBy"] == operator.uid and stored["note"] == "Answered by email."

    status, body = call("complete_privacy_request", {"requestId": request_id}, operator.token)
    assert status == 400 and error_status(body) == "FAILED_PRECONDITION"
    status, body = call("complete_privacy_request", {"requestId": "nosuchrequest"}, operator.token)
    assert status == 404 and error_status(body) == "NOT_FOUND"
    status, body = call("complete_privacy_request", {"requestId": "../users/x"}, operator.token)
    assert status == 400 and error_status(body) == "INVALID_ARGUMENT"  # an id never names a path


def test_a_correction_is_recorded_completed_with_its_due_date(db, user):
    request_id = privacy_requests.record_correction(user.uid, ["displayName", "timezone"])
    stored = db.collection("privacyRequests").document(request_id).get().to_dict()
    assert stored["type"] == "correction" and stored["status"] == "completed"
    assert stored["detail"] == {"fields": ["displayName", "timezone"]}
    assert stored["completedAt"] == stored["requestedAt"]
    assert (stored["dueAt"] - stored["requestedAt"]).days == 30
    assert [d.id for d in owned(db, "privacyRequests", user.uid)] == [request_id]
