"""A person's plan, derived from their subscriptions' latest state in Stripe.

Webhook events arrive late, twice, concurrently and out of order, so no event's
body decides a plan: an event only says which customer to look at, and
`sync_user` asks Stripe for that customer's subscriptions as they are now.
Two syncs of one person may still overlap. Each takes a ticket (a counter on
subscriptions/{uid}) before asking Stripe and writes only if no sync holding a
later ticket has written already; every change in Stripe is followed by an
event whose sync takes a later ticket, so the last write always reflects the
newest state.

The plan a subscription grants is found from its price (plans.plan_for_price).
It lands on the profile (users/{uid}.plan) in the same transaction. The custom
claim (`plan`) and the plan's limits (billing.limits: pausing, never
deleting, whatever no longer fits) cannot be in a transaction, so they follow
the stored state rather than the sync's own answer: `_enforce` reads the
effective plan as stored now and applies it, one sync at a time per person (a
lease on subscriptions/{uid}). Whatever the interleaving, the last to apply
read the last state written, so an older sync paused at the wrong moment can
no longer undo a newer one.
"""

import datetime as _dt
from dataclasses import dataclass, field

from billing import customers as billing_customers
from billing import limits as billing_limits
from billing import stripe_api as billing_stripe
from kernel import clock, db, log, notify, plans, settings
from kernel.collections import SUBSCRIPTIONS, USERS

# Statuses in which a subscription grants its plan (past_due only during the grace period).
PAYING = ("active", "trialing")
PAST_DUE = "past_due"
LIVE = (*PAYING, PAST_DUE)


@dataclass
class Outcome:
    uid: str
    plan: str = plans.DEFAULT_PLAN
    previous_plan: str = plans.DEFAULT_PLAN
    subscription: dict = field(default_factory=dict)
    stale: bool = False
    grace_started: bool = False
    limits: dict = field(default_factory=dict)


def sync_customer(customer_id: str) -> Outcome | None:
    """Sync the person behind a Stripe customer; None when the customer is not one of ours."""
    uid = billing_customers.uid_for(customer_id)
    if uid is None:
        return None
    return sync_user(uid, customer_id)


def sync_user(uid: str, customer_id: str) -> Outcome:
    ticket = _take_ticket(uid)
    subscription, plan_name = current(subscriptions(customer_id))
    outcome = _apply(uid, customer_id, subscription, plan_name, ticket)
    if outcome.stale:
        log.info("billing: a newer sync already wrote; this one is dropped", uid=uid, ticket=ticket)
        return outcome
    outcome.limits = _enforce(uid)
    _tell(outcome)
    _count(outcome)
    return outcome


def _count(outcome: Outcome) -> None:
    """A subscription started or ended, as a product event (the plan's name only)."""
    from telemetry import product as analytics_product

    old, new = plans.plan(outcome.previous_plan), plans.plan(outcome.plan)
    if new.paid and not old.paid:
        analytics_product.capture(outcome.uid, analytics_product.SUBSCRIPTION_STARTED, {"plan": new.name})
    elif old.paid and not new.paid:
        analytics_product.capture(outcome.uid, analytics_product.SUBSCRIPTION_ENDED,
                                  {"plan": old.name, "status": outcome.subscription.get("status") or "none"})


def effective_plan(state: dict, now: _dt.datetime) -> str:
    """The plan a stored subscription state grants at `now`."""
    plan, status, grace = state.get("plan"), state.get("status"), state.get("graceUntil")
    if not plan:
        return plans.DEFAULT_PLAN
    if status in PAYING or (status == PAST_DUE and grace is not None and now < grace):
        return plan
    return plans.DEFAULT_PLAN


def expire_grace_periods() -> int:
    """Re-sync every past-due subscription whose grace period is over (a scheduled
    job): if Stripe still has it unpaid, the person moves to the free plan."""
    from google.cloud.firestore import FieldFilter

    now = clock.now()
    due = [
        s.to_dict() for s in db.client().collection(SUBSCRIPTIONS)
        .where(filter=FieldFilter("status", "==", PAST_DUE)).stream()
    ]
    done = 0
    for state in due:
        grace = state.get("graceUntil")
        if grace is not None and grace <= now and state.get("effectivePlan") != plans.DEFAULT_PLAN:
            try:
                sync_user(state["uid"], state["stripeCustomerId"])
            except Exception as exc:  # one person's failure must not hold back everyone else's
                log.error("billing: grace expiry sync failed", uid=state["uid"], error=type(exc).__name__)
                continue
            done += 1
    return done


# --- steps ------------------------------------------------------------------------


def _take_ticket(uid: str) -> int:
    ref = db.doc(SUBSCRIPTIONS, uid)

    def take(tx) -> int:
        snap = ref.get(transaction=tx)
        ticket = ((snap.to_dict() or {}).get("syncTicket") or 0) + 1
        tx.set(ref, {"uid": uid, "syncTicket": ticket}, merge=True)
        return ticket

    return db.transaction(take)


def subscriptions(customer_id: str) -> list[dict]:
    # status=all includes canceled ones, so a cancellation is seen as such; newest first.
    with billing_stripe.calling("subscriptions.list"):
        page = billing_stripe.client().v1.subscriptions.list(
            params={"customer": customer_id, "status": "all", "limit": 100})
    return [s.to_dict() for s in page.data]


def plan_of(sub: dict) -> str | None:
    for item in (sub.get("items") or {}).get("data") or []:
        name = plans.plan_for_price((item.get("price") or {}).get("id"))
        if name:
            return name
    log.error("billing: subscription has no price of a known plan; check STRIPE_PRICE_*", subscription=sub.get("id"))
    return None


def current(subs: list[dict]) -> tuple[dict | None, str | None]:
    """The subscription that decides the plan: the best live one, else the newest."""
    known = [(s, plan_of(s)) for s in subs]
    live = [(s, p) for s, p in known if s.get("status") in LIVE and p]
    if live:
        return max(live, key=lambda sp: (plans.plan(sp[1]).rank, sp[0].get("created") or 0))
    if known:
        return max(known, key=lambda sp: sp[0].get("created") or 0)
    return None, None


def timestamp(value) -> _dt.datetime | None:
    """A Stripe Unix timestamp as an aware datetime (None stays None)."""
    return _dt.datetime.fromtimestamp(value, _dt.timezone.utc) if isinstance(value, int) and value else None


def _state(sub: dict | None, plan_name: str | None, stored: dict, now: _dt.datetime) -> tuple[dict, bool]:
    """The stored shape of a subscription, and whether a grace period starts now."""
    if sub is None:
        return {"stripeSubscriptionId": None, "plan": None, "status": None, "graceUntil": None}, False
    items = (sub.get("items") or {}).get("data") or [{}]
    status = sub.get("status")
    grace, started = None, False
    if status == PAST_DUE:
        same = stored.get("stripeSubscriptionId") == sub["id"]
        grace = stored.get("graceUntil") if same else None
        if grace is None:
            grace, started = now + _dt.timedelta(days=settings.BILLING_GRACE_DAYS.value), True
    latest_invoice = sub.get("latest_invoice")
    return {
        "stripeSubscriptionId": sub["id"],
        "plan": plan_name,
        "status": status,
        "priceId": (items[0].get("price") or {}).get("id"),
        "currentPeriodStart": timestamp(items[0].get("current_period_start")),
        "currentPeriodEnd": timestamp(items[0].get("current_period_end")),
        "cancelAtPeriodEnd": bool(sub.get("cancel_at_period_end")),
        "cancelAt": timestamp(sub.get("cancel_at")),
        "canceledAt": timestamp(sub.get("canceled_at")),
        "endedAt": timestamp(sub.get("ended_at")),
        "latestInvoice": latest_invoice.get("id") if isinstance(latest_invoice, dict) else latest_invoice,
        "graceUntil": grace,
    }, started


def _apply(uid: str, customer_id: str, sub: dict | None, plan_name: str | None, ticket: int) -> Outcome:
    client = db.client()
    sub_ref, user_ref = client.collection(SUBSCRIPTIONS).document(uid), client.collection(USERS).document(uid)

    def write(tx) -> Outcome:
        stored_snap, user_snap = sub_ref.get(transaction=tx), user_ref.get(transaction=tx)
        stored = stored_snap.to_dict() or {}
        previous = (user_snap.to_dict() or {}).get("plan") or plans.DEFAULT_PLAN
        if (stored.get("appliedTicket") or 0) > ticket:
            return Outcome(uid, plan=previous, previous_plan=previous, subscription=stored, stale=True)
        now = clock.now()
        state, grace_started = _state(sub, plan_name, stored, now)
        plan = effective_plan(state, now)
        state.update({"uid": uid, "stripeCustomerId": customer_id, "effectivePlan": plan,
                      "appliedTicket": ticket, "syncedAt": now})
        tx.set(sub_ref, state, merge=True)
        if user_snap.exists and previous != plan:
            tx.update(user_ref, {"plan": plan, "planUpdatedAt": now})
        return Outcome(uid, plan=plan, previous_plan=previous, subscription=state, grace_started=grace_started)

    outcome = db.transaction(write)
    if outcome.plan != outcome.previous_plan:
        log.info("billing: plan changed", uid=uid, plan=outcome.plan, previousPlan=outcome.previous_plan,
                 subscriptionStatus=outcome.subscription.get("status"))
    return outcome


ENFORCE_LEASE = _dt.timedelta(minutes=2)  # longer than applying limits takes; a crashed holder's lapses
ENFORCE_WAIT_S = 60.0


def _enforce(uid: str) -> dict:
    """Set the claim and apply the limits of the plan the stored state grants now,
    holding the person's enforcement lease. Returns what the limits paused and resumed."""
    import time
    import uuid

    from kernel.errors import Unavailable

    ref, holder = db.doc(SUBSCRIPTIONS, uid), uuid.uuid4().hex

    def take(tx) -> bool:
        lease = ((ref.get(transaction=tx).to_dict() or {}).get("enforcing") or {})
        if lease.get("until") and lease["until"] > clock.now() and lease.get("by") != holder:
            return False
        tx.set(ref, {"enforcing": {"by": holder, "until": clock.now() + ENFORCE_LEASE}}, merge=True)
        return True

    deadline, wait = time.monotonic() + ENFORCE_WAIT_S, 0.05
    while not db.transaction(take):
        if time.monotonic() > deadline:
            raise Unavailable("Your plan is being updated right now; try again in a minute.", {"retryable": True})
        time.sleep(wait)
        wait = min(wait * 2, 1.0)
    try:
        profile = db.doc(USERS, uid).get()
        if profile.exists and profile.get("status") != "active":
            return {}  # a deleted or disabled account's accounts and posts are not brought back by a plan
        state = ref.get().to_dict() or {}
        plan = state.get("effectivePlan") or plans.DEFAULT_PLAN
        _set_plan_claim(uid, plan)
        return billing_limits.apply_plan_limits(uid, plan)
    finally:
        def give_back(tx) -> None:
            if ((ref.get(transaction=tx).to_dict() or {}).get("enforcing") or {}).get("by") == holder:
                tx.update(ref, {"enforcing": None})

        db.transaction(give_back)


def _set_plan_claim(uid: str, plan: str) -> None:
    """Custom claims replace each other whole, so the plan is merged into the ones there."""
    from firebase_admin import auth

    try:
        user = auth.get_user(uid)
    except auth.UserNotFoundError:
        log.warn("billing: no auth user for a subscription; claims not set", uid=uid)
        return
    claims = dict(user.custom_claims or {})
    if claims.get("plan") != plan:
        claims["plan"] = plan
        auth.set_custom_user_claims(uid, claims)


def _tell(outcome: Outcome) -> None:
    sub = outcome.subscription
    if outcome.grace_started:
        title = plans.plan(sub.get("plan")).title
        grace = sub["graceUntil"]
        until = f"{grace:%B} {grace.day}, {grace.year}"
        notify.notify(
            outcome.uid, kind="payment_failed", category="transactional",
            title="Your payment didn't go through",
            body=(f"We couldn't take the payment for your {title} plan. Update your payment method in the "
                  f"billing portal by {until} to keep it; after that your account moves to the Free plan. "
                  "Nothing will be deleted."),
            dedupe_key=f"payment_failed:{sub.get('stripeSubscriptionId')}:{sub.get('latestInvoice')}",
        )
    old, new = plans.plan(outcome.previous_plan), plans.plan(outcome.plan)
    if new.rank < old.rank:
        paused = outcome.limits or {}
        accounts = (paused.get("accounts") or {}).get("paused", 0)
        posts = (paused.get("posts") or {}).get("paused", 0)
        extra = ""
        if accounts or posts:
            extra = (f" {accounts} connected account(s) and {posts} scheduled post(s) over the {new.title} "
                     "plan's limits are paused, not deleted; upgrade again to resume them.")
        notify.notify(
            outcome.uid, kind="plan_downgraded", category="transactional",
            title=f"Your {old.title} plan has ended",
            body=f"Your account is now on the {new.title} plan.{extra}",
        )
