"""Privacy rights (policy 6, 7, 11, 2.1): export, deletion, the request register,
policy versions, support messages; and the task and scheduled entry points
behind them. The work itself lives in core.privacy_* and core.retention."""

import json
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StringConstraints

from core import (clock, db, log, notify, privacy_deletion, privacy_export, privacy_operators, privacy_policy,
                  privacy_requests, privacy_tasks, retention)
from core.collections import PRIVACY_REQUESTS, SUPPORT_MESSAGES
from core.edge import Caller, callable_handler
from core.errors import FailedPrecondition, InvalidArgument, NotFound
from handlers.schema import Confirm, Id, IsoDate, Strict, no_control, one_line


class RequestExport(Strict):
    pass


class GetExport(Strict):
    exportId: Id | None = None


class DeleteAccount(Strict):
    # Deleting cannot be undone: the app asks the person, and says so here.
    confirm: Confirm


class ListPrivacyRequests(Strict):
    status: Literal["open", "overdue"] = "open"
    limit: int = Field(default=100, ge=1, le=500)


class CompletePrivacyRequest(Strict):
    requestId: Id
    note: Annotated[str, StringConstraints(max_length=1000), AfterValidator(no_control)] | None = None


Version = Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z][0-9A-Za-z._-]{0,39}$")]


class PublishPolicyVersion(Strict):
    version: Version
    summary: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000),
                       AfterValidator(no_control)]
    effectiveDate: IsoDate = Field(description="YYYY-MM-DD")


class AcceptPolicy(Strict):
    version: Version


class SendSupportMessage(Strict):
    topic: Literal["support", "feedback", "privacy"] = "support"
    subject: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
                       AfterValidator(one_line)]
    message: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000),
                       AfterValidator(no_control)]


# --- export (7.1) ---------------------------------------------------------------------


@callable_handler(RequestExport)
def request_export(caller: Caller, _payload: RequestExport) -> dict:
    return privacy_export.start(caller.uid)


@callable_handler(GetExport)
def get_export(caller: Caller, payload: GetExport) -> dict:
    return privacy_export.latest(caller.uid, payload.exportId)


def build_export(request):
    """The export task (Cloud Tasks POST {"exportId"}). 2xx ends the task; 500 makes
    Cloud Tasks deliver it again (a failed attempt that may succeed next time)."""
    log.new_request_id(request.headers.get("X-Cloud-Trace-Context"))
    body = privacy_tasks.json_body(request)
    if body is None or not isinstance(body.get("exportId"), str):
        return _reply(400, {"error": "Expected a JSON body {\"exportId\": \"...\"}."})
    outcome = privacy_export.build(body["exportId"])
    return _reply(500 if outcome == "retry" else 200, {"outcome": outcome})


# --- deletion (7.3) -------------------------------------------------------------------


@callable_handler(DeleteAccount)
def delete_account(caller: Caller, _payload: DeleteAccount) -> dict:
    privacy_deletion.check_recent_sign_in(caller.auth_time)
    return privacy_deletion.delete(caller.uid)


def resume_account_deletions(_event=None) -> None:
    log.new_request_id()
    done = privacy_deletion.resume_unfinished()
    log.info("privacy: unfinished deletions resumed", resumed=done)
    swept = privacy_deletion.sweep_late_writes()
    if swept:
        log.info("privacy: late writes of deleted accounts listed", accounts=swept)


# --- retention (6) ------------------------------------------------------------------------


def purge_expired_accounts(_event=None) -> dict:
    log.new_request_id()
    report = retention.purge()
    expired = privacy_export.expire_archives()
    if expired:
        log.info("privacy: expired export archives deleted", archives=expired)
    return report


# --- the request register (7.5) --------------------------------------------------------------


@callable_handler(ListPrivacyRequests)
def list_privacy_requests(caller: Caller, payload: ListPrivacyRequests) -> dict:
    privacy_operators.require(caller)
    now = clock.now()
    views = [privacy_requests.view(r, now) for r in privacy_requests.unfinished()]
    overdue = [v for v in views if v["overdue"]]
    chosen = overdue if payload.status == "overdue" else views
    return {"requests": chosen[:payload.limit], "counts": {"open": len(views), "overdue": len(overdue)}}


@callable_handler(CompletePrivacyRequest)
def complete_privacy_request(caller: Caller, payload: CompletePrivacyRequest) -> dict:
    privacy_operators.require(caller)
    snap = db.doc(PRIVACY_REQUESTS, payload.requestId).get() if payload.requestId.isalnum() else None
    if snap is None or not snap.exists:
        raise NotFound("No such privacy request.")
    if snap.get("status") == privacy_requests.COMPLETED:
        raise FailedPrecondition("This request is already completed.")
    privacy_requests.complete(snap.id, by=caller.uid, note=payload.note)
    log.info("privacy: request completed by an operator", privacyRequestId=snap.id, operator=caller.uid)
    return privacy_requests.view({"id": snap.id, **db.doc(PRIVACY_REQUESTS, snap.id).get().to_dict()}, clock.now())


# --- policy versions (11) -----------------------------------------------------------------


@callable_handler(PublishPolicyVersion)
def publish_policy_version(caller: Caller, payload: PublishPolicyVersion) -> dict:
    privacy_operators.require(caller)
    if payload.effectiveDate < clock.now().date():
        raise InvalidArgument("'effectiveDate' is in the past: people must be told before a change takes effect.")
    return privacy_policy.publish(payload.version, payload.summary, payload.effectiveDate, caller.uid)


def announce_policy_version(request):
    """The announcement task (Cloud Tasks POST {"version", "after", "page"})."""
    log.new_request_id(request.headers.get("X-Cloud-Trace-Context"))
    body = privacy_tasks.json_body(request)
    if body is None or not isinstance(body.get("version"), str) or not isinstance(body.get("after"), str) \
            or not isinstance(body.get("page"), int):
        return _reply(400, {"error": "Expected a JSON body {\"version\", \"after\", \"page\"}."})
    return _reply(200, privacy_policy.announce_page(body["version"], body["after"], body["page"]))


@callable_handler(AcceptPolicy)
def accept_policy(caller: Caller, payload: AcceptPolicy) -> dict:
    return privacy_policy.accept(caller.uid, payload.version)


# --- support and feedback (2.1) ---------------------------------------------------------------


@callable_handler(SendSupportMessage)
def send_support_message(caller: Caller, payload: SendSupportMessage) -> dict:
    """Stored, then emailed to the operator. A message on a privacy topic is also a
    privacy request (policy 7.5), open until an operator completes it."""
    _, profile = caller.profile()
    now = clock.now()
    ref = db.client().collection(SUPPORT_MESSAGES).document()
    message = {"uid": caller.uid, "topic": payload.topic, "subject": payload.subject, "message": payload.message,
               "email": profile.get("email"), "createdAt": now, "operatorEmail": {"status": "pending"},
               "privacyRequestId": None}
    batch = db.client().batch()
    if payload.topic == "privacy":
        request_ref, request = privacy_requests.new(caller.uid, "message", ref=ref.id, now=now)
        message["privacyRequestId"] = request_ref.id
        batch.create(request_ref, request)
    batch.create(ref, message)
    batch.commit()
    sender = f"{profile.get('displayName') or 'A postr user'} <{profile.get('email') or 'no email'}>"
    status = notify.notify_operator(
        f"[postr {payload.topic}] {payload.subject}",
        f"From: {sender}\nuid: {caller.uid}\nTopic: {payload.topic}\nMessage id: {ref.id}\n"
        + (f"Privacy request: {message['privacyRequestId']} (answer within 30 days)\n" if message["privacyRequestId"]
           else "")
        + f"\n{payload.message}\n",
        idempotency_key=f"support-{ref.id}",
    )
    ref.update({"operatorEmail": status})
    log.info("privacy: support message stored", uid=caller.uid, supportMessageId=ref.id, topic=payload.topic,
             operatorEmail=status["status"])
    return {"id": ref.id, "createdAt": now, "privacyRequestId": message["privacyRequestId"],
            "dueAt": now + privacy_requests.DUE_AFTER if message["privacyRequestId"] else None}


def _reply(status: int, body: dict):
    from flask import Response

    return Response(json.dumps(body, default=str), status=status, mimetype="application/json")
