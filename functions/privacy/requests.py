"""The register of privacy requests (policy 7.5): every export, deletion,
correction and privacy message, with its 30-day due date and completion time.

A request is `open` (waiting), `in_progress` (being carried out) or `completed`.
Requests the system carries out itself (exports, deletions) complete themselves;
a correction made in the profile completes at once; a message to the operator
stays open until an operator completes it. Operators list open and overdue ones.
"""

import datetime as _dt

from kernel import clock, db
from kernel.collections import PRIVACY_REQUESTS

DUE_AFTER = _dt.timedelta(days=30)
TYPES = ("export", "deletion", "correction", "message", "access", "objection")
# How a request reached us: the app itself, or recorded by an operator (policy 7.5; a
# parent writing about a child under 13, policy 10).
CHANNELS = ("app", "email", "parent", "post", "phone")
REMIND_WITHIN = _dt.timedelta(days=3)
OPEN, IN_PROGRESS, COMPLETED = "open", "in_progress", "completed"
UNFINISHED = (OPEN, IN_PROGRESS)


def new(uid: str, kind: str, *, status: str = OPEN, ref: str | None = None, detail: dict | None = None,
        now: _dt.datetime | None = None) -> tuple:
    """A request document and its reference, for the caller to write (inside its own
    batch or transaction, so the request and what it starts land together)."""
    if kind not in TYPES:
        raise ValueError(f"unknown privacy request type {kind!r}")
    now = now or clock.now()
    ref_ = db.client().collection(PRIVACY_REQUESTS).document()
    return ref_, {
        "uid": uid,
        "type": kind,
        "status": status,
        "requestedAt": now,
        "dueAt": now + DUE_AFTER,
        "completedAt": now if status == COMPLETED else None,
        "ref": ref,
        "detail": detail or {},
    }


def record_correction(uid: str, fields: list[str], *, writer=None, now: _dt.datetime | None = None) -> str:
    """A correction the person made themselves (profile update): recorded, completed at
    once. With `writer` (a batch), it lands in the same commit as the correction itself.
    Only the names of the fields are kept, never their values."""
    ref, data = new(uid, "correction", status=COMPLETED, detail={"fields": sorted(fields)}, now=now)
    (writer.create(ref, data) if writer is not None else ref.set(data))
    return ref.id


def complete(request_id: str, *, by: str | None = None, note: str | None = None, writer=None) -> None:
    changes = {"status": COMPLETED, "completedAt": clock.now()}
    if by:
        changes["completedBy"] = by
    if note:
        changes["note"] = note
    ref = db.doc(PRIVACY_REQUESTS, request_id)
    (writer.update(ref, changes) if writer is not None else ref.update(changes))


def record_by_operator(uid: str, kind: str, channel: str, received_at: _dt.datetime, note: str | None,
                       by: str) -> tuple[str, dict]:
    """A request that arrived outside the app, recorded by an operator: due 30 days from
    when it was received, not from when it was typed in."""
    ref, data = new(uid, kind, now=received_at, detail={"channel": channel, "recordedBy": by,
                                                        "recordedAt": clock.now(), **({"note": note} if note else {})})
    ref.set(data)
    return ref.id, data


def remind_operator() -> dict:
    """The daily reminder: every unfinished request due within REMIND_WITHIN (or overdue)
    in one email to the operator, at most once a day."""
    from kernel import log, notify

    now = clock.now()
    due = [view(r, now) for r in unfinished() if r["dueAt"] <= now + REMIND_WITHIN]
    if not due:
        return {"due": 0, "overdue": 0, "email": None}
    overdue = [r for r in due if r["overdue"]]
    lines = [f"- {r['id']} ({r['type']}, uid {r['uid']}, channel {r['detail'].get('channel', 'app')}): due "
             f"{r['dueAt'].astimezone(_dt.timezone.utc):%Y-%m-%d %H:%M} UTC{'  OVERDUE' if r['overdue'] else ''}"
             for r in due]
    status = notify.notify_operator(
        f"[postr privacy] {len(due)} request(s) due within 3 days ({len(overdue)} overdue)",
        "Privacy requests must be answered within 30 days (policy 7.5). These are due soon or late:\n\n"
        + "\n".join(lines) + "\n\nComplete them with complete_privacy_request once answered.\n",
        idempotency_key=f"privacy-reminder-{now:%Y-%m-%d}",
    )
    log.info("privacy: operator reminded of due requests", due=len(due), overdue=len(overdue),
             email=status["status"])
    return {"due": len(due), "overdue": len(overdue), "email": status["status"]}


def record_failure(request_id: str, reason: str, *, writer=None) -> None:
    """A request whose fulfilment failed stays open (an operator sees it among the open
    and overdue ones, its due date unchanged), with what went wrong."""
    changes = {"status": OPEN, "completedAt": None, "lastFailure": {"at": clock.now(), "reason": reason}}
    ref = db.doc(PRIVACY_REQUESTS, request_id)
    (writer.update(ref, changes) if writer is not None else ref.update(changes))


def unfinished(kind: str | None = None) -> list[dict]:
    """Open and in-progress requests, oldest due first. Operators' view and the
    deletion resumer read this; it is the small set of requests not yet done."""
    from google.cloud.firestore import FieldFilter

    query = db.client().collection(PRIVACY_REQUESTS).where(filter=FieldFilter("status", "in", list(UNFINISHED)))
    if kind:
        query = query.where(filter=FieldFilter("type", "==", kind))
    found = [{"id": s.id, **s.to_dict()} for s in query.stream()]
    return sorted(found, key=lambda r: (r["dueAt"], r["id"]))


def view(request: dict, now: _dt.datetime) -> dict:
    return {
        "id": request["id"],
        "uid": request["uid"],
        "type": request["type"],
        "status": request["status"],
        "requestedAt": request["requestedAt"],
        "dueAt": request["dueAt"],
        "completedAt": request.get("completedAt"),
        "overdue": request["status"] != COMPLETED and request["dueAt"] < now,
        "ref": request.get("ref"),
        "detail": request.get("detail") or {},
    }
