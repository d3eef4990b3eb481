"""Support and feedback messages (policy 2.1): stored, emailed to the operator,
listed for operators until one closes them.

A message is stored before its email is sent, so nothing a person wrote is lost
when the email fails; the hourly job sends again every message whose email did
not go (Resend's idempotency key, one per message, keeps a retry from sending
twice). A message on a privacy topic is also a privacy request (policy 7.5),
open until an operator completes it. Messages are content: kept while the
account lives, purged with its content two years after deletion (policy 6).
"""

import datetime as _dt

from kernel import clock, db, log, notify
from kernel.collections import SUPPORT_MESSAGES
from privacy import requests as privacy_requests

OPEN, CLOSED = "open", "closed"
# An email still "pending" this long after the message was stored lost its sender (an instance stopped).
PENDING_FOR = _dt.timedelta(minutes=10)
RETRY_LIMIT = 200


def store_and_send(uid: str, profile: dict, topic: str, subject: str, message: str) -> dict:
    now = clock.now()
    ref = db.client().collection(SUPPORT_MESSAGES).document()
    doc = {"uid": uid, "topic": topic, "subject": subject, "message": message, "email": profile.get("email"),
           "displayName": profile.get("displayName") or "", "createdAt": now, "status": OPEN,
           "operatorEmail": {"status": "pending", "attempts": 0}, "privacyRequestId": None}
    batch = db.client().batch()
    if topic == "privacy":
        request_ref, request = privacy_requests.new(uid, "message", ref=ref.id, now=now)
        doc["privacyRequestId"] = request_ref.id
        batch.create(request_ref, request)
    batch.create(ref, doc)
    batch.commit()
    status = _send(ref.id, doc)
    log.info("privacy: support message stored", uid=uid, supportMessageId=ref.id, topic=topic,
             operatorEmail=status["status"])
    return {"id": ref.id, "createdAt": now, "privacyRequestId": doc["privacyRequestId"],
            "dueAt": now + privacy_requests.DUE_AFTER if doc["privacyRequestId"] else None}


def _send(message_id: str, doc: dict) -> dict:
    sender = f"{doc.get('displayName') or 'A postr user'} <{doc.get('email') or 'no email'}>"
    request = doc.get("privacyRequestId")
    status = notify.notify_operator(
        f"[postr {doc['topic']}] {doc['subject']}",
        f"From: {sender}\nuid: {doc['uid']}\nTopic: {doc['topic']}\nMessage id: {message_id}\n"
        + (f"Privacy request: {request} (answer within 30 days)\n" if request else "")
        + f"\n{doc['message']}\n",
        idempotency_key=f"support-{message_id}",
    )
    attempts = int((doc.get("operatorEmail") or {}).get("attempts") or 0) + 1
    db.doc(SUPPORT_MESSAGES, message_id).update({"operatorEmail": {**status, "attempts": attempts,
                                                                   "at": clock.now()}})
    return status


def resend_unsent(limit: int = RETRY_LIMIT) -> dict:
    """Send again every message whose email to the operator failed (or whose sender
    stopped before it could say): the hourly job."""
    from google.cloud.firestore import FieldFilter

    now = clock.now()
    query = (db.client().collection(SUPPORT_MESSAGES)
             .where(filter=FieldFilter("operatorEmail.status", "in", ["failed", "pending", "not_configured"]))
             .limit(limit))
    counts = {"sent": 0, "failed": 0}
    for snap in query.stream():
        doc = snap.to_dict()
        if doc["operatorEmail"].get("status") == "pending" and now - doc["createdAt"] < PENDING_FOR:
            continue  # its first send may still be under way
        status = _send(snap.id, doc)
        counts["sent" if status.get("status") == "sent" else "failed"] += 1
    if any(counts.values()):
        log.info("privacy: support emails retried", **counts)
    return counts


def list_open(limit: int) -> list[dict]:
    """Open messages, oldest first, for operators."""
    from google.cloud.firestore import FieldFilter

    query = db.client().collection(SUPPORT_MESSAGES).where(filter=FieldFilter("status", "==", OPEN))
    found = sorted(query.stream(), key=lambda s: (s.get("createdAt"), s.id))[:limit]
    return [view(s.id, s.to_dict()) for s in found]


def close(message_id: str, by: str, note: str | None) -> dict:
    from kernel.errors import FailedPrecondition, NotFound

    ref = db.doc(SUPPORT_MESSAGES, message_id)
    snap = ref.get()
    if not snap.exists:
        raise NotFound("No such support message.")
    if snap.get("status") == CLOSED:
        raise FailedPrecondition("This message is already closed.")
    changes = {"status": CLOSED, "closedAt": clock.now(), "closedBy": by, **({"closeNote": note} if note else {})}
    ref.update(changes)
    return view(message_id, {**snap.to_dict(), **changes})


def view(message_id: str, doc: dict) -> dict:
    return {"id": message_id, "uid": doc["uid"], "topic": doc["topic"], "subject": doc["subject"],
            "message": doc["message"], "email": doc.get("email"), "createdAt": doc["createdAt"],
            "status": doc.get("status", OPEN), "operatorEmail": (doc.get("operatorEmail") or {}).get("status"),
            "privacyRequestId": doc.get("privacyRequestId"), "closedAt": doc.get("closedAt")}
