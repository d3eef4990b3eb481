"""One Stripe customer per person, created once and reused (billingCustomers/{uid}).

Two checkouts started at once must not make two customers. The first caller
claims the document with a create() precondition and is the only one that asks
Stripe; the others wait for its answer. If the claim holder died, the claim is
taken over after a while, and Stripe's idempotency key (one per uid) makes the
repeated request return the customer the first one may already have made.
"""

import datetime as _dt
import time

from billing import stripe_api as billing_stripe
from kernel import clock, db, log
from kernel.collections import BILLING_CUSTOMERS

# How long a waiting caller waits for the claim holder, and when a claim counts as abandoned.
WAIT_S = 15.0
ABANDONED_AFTER = _dt.timedelta(seconds=60)


def find(uid: str) -> str | None:
    """The person's Stripe customer id, or None if they never started a checkout."""
    snap = db.doc(BILLING_CUSTOMERS, uid).get()
    return (snap.to_dict() or {}).get("stripeCustomerId") if snap.exists else None


def uid_for(customer_id: str) -> str | None:
    """Whose customer this is; None for customers postr did not create."""
    from google.cloud.firestore import FieldFilter

    query = db.client().collection(BILLING_CUSTOMERS).where(
        filter=FieldFilter("stripeCustomerId", "==", customer_id)).limit(1)
    for snap in query.stream():
        return snap.get("uid")
    return None


def ensure(uid: str, email: str | None) -> str:
    """The person's Stripe customer id, creating the customer on first use."""
    from google.api_core.exceptions import AlreadyExists

    ref = db.doc(BILLING_CUSTOMERS, uid)
    snap = ref.get()
    if not snap.exists:
        try:
            ref.create({"uid": uid, "stripeCustomerId": None, "claimedAt": clock.now()})
        except AlreadyExists:
            return _await_claim(ref, uid, email)
        return _create(ref, uid, email)
    data = snap.to_dict()
    if data.get("stripeCustomerId"):
        return data["stripeCustomerId"]
    return _await_claim(ref, uid, email)


def _await_claim(ref, uid: str, email: str | None) -> str:
    deadline = time.monotonic() + WAIT_S
    while True:
        data = ref.get().to_dict() or {}
        if data.get("stripeCustomerId"):
            return data["stripeCustomerId"]
        claimed = data.get("claimedAt")
        if time.monotonic() > deadline or not claimed or clock.now() - claimed > ABANDONED_AFTER:
            log.warn("billing: taking over an abandoned customer claim", uid=uid)
            return _create(ref, uid, email)
        time.sleep(0.1)


def _create(ref, uid: str, email: str | None) -> str:
    params = {"metadata": {"uid": uid}}
    if email:
        params["email"] = email
    try:
        with billing_stripe.calling("customers.create"):
            customer = billing_stripe.client().v1.customers.create(
                params=params, options={"idempotency_key": f"postr-customer-{uid}"})
    except Exception:
        # Let the next attempt claim afresh instead of waiting for a holder that gave up.
        ref.delete()
        raise
    ref.update({"stripeCustomerId": customer.id, "createdAt": clock.now()})
    log.info("billing: stripe customer created", uid=uid, stripeCustomerId=customer.id)
    return customer.id
