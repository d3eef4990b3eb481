"""The register of privacy requests (policy 7.5): every export, deletion,
correction and privacy message, with its 30-day due date and completion time.

A request is `open` (waiting), `in_progress` (being carried out) or `completed`.
Requests the system carries out itself (exports, deletions) complete themselves;
a correction made in the profile completes at once; a message to the operator
stays open until an operator completes it. Operators list open and overdue ones.
"""

import datetime as _dt

from core import clock, db
from core.collections import PRIVACY_REQUESTS

DUE_AFTER = _dt.timedelta(days=30)
TYPES = ("export", "deletion", "correction", "message")
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
