"""The user profile document (users/{uid}): its shape, defaults and status checks."""

from kernel import clock, db
from kernel.collections import USERS
from kernel.errors import NotFound, PermissionDenied
from kernel.plans import DEFAULT_PLAN

ACTIVE, DISABLED, DELETED = "active", "disabled", "deleted"

DEFAULT_SETTINGS = {
    "timezone": "UTC",
    "locale": "en",
    # Marketing email is opt-in; product analytics is on until the user opts out (policy 7.4).
    "marketingEmails": False,
    "productAnalytics": True,
    # Email when a post fails or cannot be confirmed (the in-app notice always stays).
    "publishEmails": True,
    "preferredAiModel": None,
}


def new_profile(uid: str, email: str | None, display_name: str | None, locale: str | None = None) -> dict:
    settings = dict(DEFAULT_SETTINGS)
    if locale:
        settings["locale"] = locale
    return {
        "uid": uid,
        "email": email,
        "displayName": display_name or "",
        "plan": DEFAULT_PLAN,
        "status": ACTIVE,
        "createdAt": clock.now(),
        "lastSignInAt": None,
        "onboarding": {"completedAt": None},
        "settings": settings,
    }


def load_active(uid: str) -> tuple[object, dict]:
    """The caller's profile snapshot and data; refuses disabled or deleted accounts."""
    snap = db.doc(USERS, uid).get()
    if not snap.exists:
        raise NotFound("Your profile was not found. Sign out and sign in again to create it.")
    data = snap.to_dict()
    if data.get("status") != ACTIVE:
        raise PermissionDenied("This account is disabled.")
    return snap, data


def active_uids(uids) -> set[str]:
    """Which of these people have an active account (one read per person, batched):
    the scheduled jobs do nothing for a disabled or deleted account (policy 7.3, 10)."""
    wanted = list(dict.fromkeys(u for u in uids if u))
    found: set[str] = set()
    for start in range(0, len(wanted), 300):
        refs = [db.doc(USERS, uid) for uid in wanted[start:start + 300]]
        found.update(s.id for s in db.client().get_all(refs) if s.exists and s.get("status") == ACTIVE)
    return found


def onboarded(data: dict) -> bool:
    """Whether the person has given their birth date (policy 10: nobody under 13 uses postr)."""
    return bool((data.get("onboarding") or {}).get("birthDate"))


def require_onboarded(data: dict) -> None:
    from kernel.errors import FailedPrecondition

    if not onboarded(data):
        raise FailedPrecondition(
            "Give your date of birth first: postr is for people aged 13 or older, and nothing beyond your "
            "profile works until you have.", {"reason": "onboarding_required"})


def public_view(data: dict) -> dict:
    """What the owner sees of their profile (everything they gave, nothing internal)."""
    return {
        "uid": data["uid"],
        "email": data.get("email"),
        "displayName": data.get("displayName", ""),
        "plan": data.get("plan", DEFAULT_PLAN),
        "status": data.get("status"),
        "createdAt": data.get("createdAt"),
        "lastSignInAt": data.get("lastSignInAt"),
        "onboarding": {
            "completedAt": data.get("onboarding", {}).get("completedAt"),
            "birthDate": data.get("onboarding", {}).get("birthDate"),
        },
        "settings": {**DEFAULT_SETTINGS, **data.get("settings", {})},
    }
