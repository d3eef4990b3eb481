"""Privacy rights (policy 6, 7, 11, 2.1): export, deletion, the request register,
policy versions, support messages; and the task and scheduled entry points
behind them. The work itself lives in the privacy package (privacy/)."""

import json
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StringConstraints

from handlers.edge import Caller, callable_handler
from handlers.schema import Confirm, Id, IsoDate, IsoDateTime, Strict, no_control, one_line
from kernel import clock, db, log
from kernel.collections import PRIVACY_REQUESTS, USERS
from kernel.errors import FailedPrecondition, InvalidArgument, NotFound
from privacy import deletion as privacy_deletion
from privacy import export as privacy_export
from privacy import operators as privacy_operators
from privacy import policy as privacy_policy
from privacy import requests as privacy_requests
from privacy import retention
from privacy import support as privacy_support
from privacy import tasks as privacy_tasks


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


class GetPolicy(Strict):
    pass


class RecordPrivacyRequest(Strict):
    """A request that reached an operator outside the app (an email, a parent's letter)."""
    type: Literal[privacy_requests.TYPES]  # type: ignore[valid-type]
    channel: Literal["email", "parent", "post", "phone"]
    email: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=254),
                     AfterValidator(one_line)] | None = None
    uid: Id | None = None
    receivedAt: IsoDateTime | None = None
    note: Annotated[str, StringConstraints(max_length=1000), AfterValidator(no_control)] | None = None


class ListSupportMessages(Strict):
    limit: int = Field(default=100, ge=1, le=500)


class CloseSupportMessage(Strict):
    messageId: Id
    note: Annotated[str, StringConstraints(max_length=1000), AfterValidator(no_control)] | None = None


class SendSupportMessage(Strict):
    topic: Literal["support", "feedback", "privacy"] = "support"
    subject: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
                       AfterValidator(one_line)]
    message: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000),
                       AfterValidator(no_control)]


# --- export (7.1) ---------------------------------------------------------------------


@callable_handler(RequestExport, before_onboarding=True)
def request_export(caller: Caller, _payload: RequestExport) -> dict:
    return privacy_export.start(caller.uid)


@callable_handler(GetExport, before_onboarding=True)
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


@callable_handler(DeleteAccount, before_onboarding=True)
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


@callable_handler(ListPrivacyRequests, before_onboarding=True)
def list_privacy_requests(caller: Caller, payload: ListPrivacyRequests) -> dict:
    privacy_operators.require(caller)
    now = clock.now()
    views = [privacy_requests.view(r, now) for r in privacy_requests.unfinished()]
    overdue = [v for v in views if v["overdue"]]
    chosen = overdue if payload.status == "overdue" else views
    return {"requests": chosen[:payload.limit], "counts": {"open": len(views), "overdue": len(overdue)}}


@callable_handler(CompletePrivacyRequest, before_onboarding=True)
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


@callable_handler(RecordPrivacyRequest, before_onboarding=True)
def record_privacy_request(caller: Caller, payload: RecordPrivacyRequest) -> dict:
    """An operator records a request that arrived by email, post or phone, or from a
    parent for a child under 13: on the register with its 30-day due date from receipt."""
    privacy_operators.require(caller)
    uid = _person(payload.uid, payload.email)
    now = clock.now()
    received = payload.receivedAt or now
    if received > now:
        raise InvalidArgument("'receivedAt' is in the future.")
    request_id, data = privacy_requests.record_by_operator(uid, payload.type, payload.channel, received,
                                                           payload.note, caller.uid)
    log.info("privacy: request recorded by an operator", privacyRequestId=request_id, operator=caller.uid,
             channel=payload.channel, type=payload.type)
    return privacy_requests.view({"id": request_id, **data}, now)


def _person(uid: str | None, email: str | None) -> str:
    """The account a request is about, by uid or by the address it signs in with."""
    from firebase_admin import auth

    if bool(uid) == bool(email):
        raise InvalidArgument("Give the person's account by 'uid' or by 'email', one of the two.")
    if uid:
        if not db.doc(USERS, uid).get().exists:
            raise NotFound("No postr account has that uid.")
        return uid
    try:
        return auth.get_user_by_email(email).uid
    except (auth.UserNotFoundError, ValueError):
        raise NotFound("No postr account signs in with that address. Record the request with the account's uid "
                       "if the person gave it, or ask them which address they use.") from None


def remind_privacy_requests(_event=None) -> dict:
    log.new_request_id()
    return privacy_requests.remind_operator()


# --- policy versions (11) -----------------------------------------------------------------


@callable_handler(PublishPolicyVersion, before_onboarding=True)
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


@callable_handler(GetPolicy, before_onboarding=True)
def get_policy(caller: Caller, _payload: GetPolicy) -> dict:
    """The policy version in force and any announced one, each with whether the person accepted it."""
    return privacy_policy.status(caller.uid, clock.now().date())


@callable_handler(AcceptPolicy, before_onboarding=True)
def accept_policy(caller: Caller, payload: AcceptPolicy) -> dict:
    return privacy_policy.accept(caller.uid, payload.version)


# --- support and feedback (2.1) ---------------------------------------------------------------


@callable_handler(SendSupportMessage, before_onboarding=True)
def send_support_message(caller: Caller, payload: SendSupportMessage) -> dict:
    """Stored, then emailed to the operator (privacy.support)."""
    _, profile = caller.profile()
    return privacy_support.store_and_send(caller.uid, profile, payload.topic, payload.subject, payload.message)


@callable_handler(ListSupportMessages, before_onboarding=True)
def list_support_messages(caller: Caller, payload: ListSupportMessages) -> dict:
    privacy_operators.require(caller)
    return {"messages": privacy_support.list_open(payload.limit)}


@callable_handler(CloseSupportMessage, before_onboarding=True)
def close_support_message(caller: Caller, payload: CloseSupportMessage) -> dict:
    privacy_operators.require(caller)
    return privacy_support.close(payload.messageId, caller.uid, payload.note)


def retry_support_emails(_event=None) -> dict:
    log.new_request_id()
    return privacy_support.resend_unsent()


def _reply(status: int, body: dict):
    from flask import Response

    return Response(json.dumps(body, default=str), status=status, mimetype="application/json")
