"""Notifications: one function for every message postr sends a person.

Each notification is an in-app document (`notifications`, carrying uid) and, where
the person has an address, an email through Resend. The category decides what the
person's opt-outs allow (policy 7.4): transactional and legal notices always go;
marketing goes only to people who opted in. A dedupe key makes a notice go once
however often its cause repeats (a retried task, a job that runs every hour).
"""

import hashlib
from typing import Literal

from kernel import clock, db, log, settings
from kernel.collections import NOTIFICATIONS, USERS

Category = Literal["transactional", "legal", "marketing"]
CATEGORIES = ("transactional", "legal", "marketing")


def notify(
    uid: str,
    *,
    kind: str,
    category: Category,
    title: str,
    body: str,
    dedupe_key: str | None = None,
    email: bool = True,
    data: dict | None = None,
) -> dict:
    """Tell a user something. Returns what happened: {"delivered", "notificationId", "email"}.
    email=False: in-app only (the person turned that kind of email off). `data`: plain
    values the app acts on beside the text (a policy notice's version)."""
    from google.api_core.exceptions import AlreadyExists

    if category not in CATEGORIES:
        raise ValueError(f"unknown notification category {category!r}")
    profile = db.doc(USERS, uid).get()
    if not profile.exists or profile.get("status") == "deleted":
        return {"delivered": False, "reason": "no_profile"}
    user = profile.to_dict()
    if category == "marketing" and not user.get("settings", {}).get("marketingEmails", False):
        log.info("notification skipped: marketing not opted in", uid=uid, kind=kind)
        return {"delivered": False, "reason": "opted_out"}

    ref = db.client().collection(NOTIFICATIONS).document(
        hashlib.sha256(f"{uid}:{dedupe_key}".encode()).hexdigest()[:32] if dedupe_key else None
    )
    record = {
        "uid": uid,
        "kind": kind,
        "category": category,
        "title": title,
        "body": body,
        "createdAt": clock.now(),
        "read": False,
        "email": {"status": "pending"},
        **({"data": data} if data else {}),
    }
    try:
        ref.create(record)
    except AlreadyExists:
        return {"delivered": False, "reason": "duplicate", "notificationId": ref.id}

    address = user.get("email") if email else None
    status = send_email(address, title, body, idempotency_key=ref.id) if address else {
        "status": "no_address" if email else "turned_off"}
    ref.update({"email": status})
    log.info("notification sent", uid=uid, kind=kind, category=category, email=status["status"])
    return {"delivered": True, "notificationId": ref.id, "email": status}


def send_email(to: str, subject: str, text: str, *, idempotency_key: str | None = None) -> dict:
    """Send one email through Resend. Never raises: returns {"status": ..., "id"?}."""
    api_key = settings.secret_value(settings.RESEND_API_KEY)
    if not api_key:
        log.warn("email not sent: RESEND_API_KEY is not configured")
        return {"status": "not_configured"}
    import resend

    resend.api_key = api_key
    resend.api_url = settings.RESEND_API_URL.value
    options = {"idempotency_key": idempotency_key} if idempotency_key else None
    try:
        sent = resend.Emails.send(
            {"from": settings.EMAIL_FROM.value, "to": [to], "subject": subject, "text": text}, options
        )
    except Exception as exc:  # Resend errors and transport failures alike: the in-app notice stands
        log.error("email failed", error=type(exc).__name__)
        return {"status": "failed", "error": type(exc).__name__}
    return {"status": "sent", "id": sent["id"]}


def notify_operator(subject: str, text: str, *, idempotency_key: str | None = None) -> dict:
    return send_email(settings.OPERATOR_EMAIL.value, subject, text, idempotency_key=idempotency_key)
