"""Identity blocking hooks: the profile is born with the account, and accounts we
disabled (under 13, abuse) or deleted cannot sign in again."""

from kernel import clock, db, log, users
from kernel.collections import USERS
from kernel.errors import PermissionDenied


def before_user_created(event) -> None:
    from google.api_core.exceptions import AlreadyExists

    user = event.data
    profile = users.new_profile(user.uid, user.email, user.display_name, getattr(event, "locale", None))
    try:
        db.doc(USERS, user.uid).create(profile)
    except AlreadyExists:
        pass  # a retried hook: the first attempt already made it
    from privacy import policy as privacy_policy

    accepted = privacy_policy.accept_at_sign_up(user.uid)  # policy 11: acceptance recorded
    log.info("profile created", uid=user.uid, policyVersion=accepted)


def before_user_signed_in(event) -> None:
    user = event.data
    ref = db.doc(USERS, user.uid)
    snap = ref.get()
    if not snap.exists:
        # Accounts created before this hook existed get their profile now.
        ref.create(users.new_profile(user.uid, user.email, user.display_name))
        snap = ref.get()
    status = snap.get("status")
    if status != users.ACTIVE:
        log.security_event("sign_in_refused", user.uid, status=status)
        raise PermissionDenied("This account is disabled. Contact support@minnerlabs.com if you think this is a mistake.")
    # The email is corrected through Firebase Auth; the profile follows it here.
    changes = {"lastSignInAt": clock.now()}
    if user.email and user.email != snap.get("email"):
        changes["email"] = user.email
    ref.update(changes)


def on_profile_created(event) -> None:
    """Firestore trigger on users/{uid} creation: the sign-up as a product event (the
    opt-out, off by default for nobody, is checked by analytics_product itself)."""
    from telemetry import product as analytics_product

    analytics_product.capture(event.params["uid"], analytics_product.SIGNED_UP)
