"""The person's opt-outs (policy 7.4), for every sender to ask before sending.

Marketing email is opt-in (`settings.marketingEmails`, off by default) and
kernel.notify refuses marketing notices without it; product analytics is on
until the person opts out (`settings.productAnalytics`). Anything that sends
product analytics (the analytics feature's PostHog events) asks
`product_analytics_allowed` first. Deleted and unknown accounts allow nothing.
"""

from kernel import db, users
from kernel.collections import USERS


def _settings(uid: str) -> dict | None:
    snap = db.doc(USERS, uid).get()
    if not snap.exists or snap.get("status") == users.DELETED:
        return None
    return {**users.DEFAULT_SETTINGS, **((snap.to_dict() or {}).get("settings") or {})}


def product_analytics_allowed(uid: str) -> bool:
    settings = _settings(uid)
    return bool(settings and settings["productAnalytics"])


def marketing_email_allowed(uid: str) -> bool:
    settings = _settings(uid)
    return bool(settings and settings["marketingEmails"])
